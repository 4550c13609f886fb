"""The numpy sentence encoder: its tokenizer against BERT's, its forward pass against itself and the sub-event mix."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from transforms.classify import SubEventClassifier
from transforms.encoder import ENCODER_MODEL, SentenceEncoder, _erf, basic_tokens, dequantize, quantize


@pytest.fixture(scope="module")
def encoder() -> SentenceEncoder:
    return SentenceEncoder.load()


def test_basic_tokens_split_punctuation_strip_accents_and_cjk():
    assert basic_tokens("Khankendi's \u201cStepanakert\u201d—Café 東京!") == [
        "khankendi", "'", "s", "\u201c", "stepanakert", "\u201d", "\u2014", "cafe", "東", "京", "!",
    ]  # fmt: skip
    assert basic_tokens("a\u0000b\u200bc\tD") == ["abc", "d"]  # NUL and format characters dropped


def test_wordpiece_ids_of_a_known_sentence(encoder):
    ids = encoder.tokenizer.encode("Troops shelled Stepanakert.")
    vocab = {i: t for t, i in encoder.tokenizer.ids.items()}
    pieces = [vocab[i] for i in ids]
    assert pieces[0] == "[CLS]" and pieces[-1] == "[SEP]"
    assert pieces[1:4] == ["troops", "shell", "##ed"]
    assert "".join(p.removeprefix("##") for p in pieces[4:-2]) == "stepanakert"  # an unknown word is split, not lost
    assert all(p.startswith("##") for p in pieces[5:-2])
    assert pieces[-2] == "."


def test_long_texts_are_truncated_and_unknown_words_become_unk(encoder):
    assert len(encoder.tokenizer.encode("word " * 500)) == 128
    assert encoder.tokenizer.encode("\U0001f600" * 3)[1] == encoder.tokenizer.unk


@pytest.mark.skipif(importlib.util.find_spec("transformers") is None, reason="reference tokenizer not installed")
def test_tokenizer_matches_the_reference_bert_tokenizer(encoder):
    from transformers import BertTokenizerFast

    vocab = [t for t, _ in sorted(encoder.tokenizer.ids.items(), key=lambda item: item[1])]
    reference = BertTokenizerFast(vocab={token: i for i, token in enumerate(vocab)}, do_lower_case=True)
    texts = [
        "On 3 May 2019, Al Shabaab militants clashed with SNA forces in Afgoye (Lower Shabelle). 3 fatalities.",
        "Azerbaijani forces shelled Khankendi/Stepanakert and Aghdara (Martakert) on Wednesday, the ministry said.",
        "Ünïcödé — “quotes” 東京 naïve café, a\u00adsoft hyphen and http://example.org/a?b=c&d=1",
    ]
    for text in texts:
        assert encoder.tokenizer.encode(text) == reference(text, truncation=True, max_length=128)["input_ids"]


def test_erf_is_accurate():
    import math

    xs = np.linspace(-4, 4, 401)
    assert np.max(np.abs(_erf(xs) - np.array([math.erf(x) for x in xs]))) < 2e-7
    xs32 = xs.astype(np.float32)
    assert _erf(xs32).dtype == np.float32
    assert np.max(np.abs(_erf(xs32) - np.array([math.erf(x) for x in xs32]))) < 1e-6


def test_int8_quantisation_round_trips_within_half_a_step():
    rng = np.random.default_rng(0)
    matrix = rng.normal(size=(20, 50)).astype(np.float32)
    values, scales = quantize(matrix)
    assert values.dtype == np.int8
    assert np.all(np.abs(dequantize(values, scales) - matrix) <= scales[:, None] / 2 + 1e-7)


def test_embeddings_are_unit_length_and_do_not_depend_on_batch_padding(encoder):
    texts = [
        "Police fired tear gas at protesters in Nairobi.",
        "A suicide bomber blew himself up at a checkpoint in Kabul on Monday, killing six people, officials said.",
        "Floods displaced thousands.",
    ]
    together = encoder.encode(texts)
    alone = np.vstack([encoder.encode([t]) for t in texts])
    assert together.shape == (3, encoder.dim)
    assert np.allclose(np.linalg.norm(together, axis=1), 1.0, atol=1e-5)
    assert np.allclose(together, alone, atol=1e-4)  # padding is masked out of attention and pooling
    assert encoder.encode([]).shape == (0, encoder.dim)


def test_related_sentences_are_closer_than_unrelated_ones(encoder):
    a, b, c = encoder.encode(
        [
            "Soldiers and rebels exchanged fire near the border town.",
            "Government troops clashed with insurgents close to the frontier village.",
            "The central bank raised interest rates by half a point.",
        ]
    )
    assert a @ b > a @ c + 0.2


def test_the_shipped_classifier_mixes_the_encoder_only_where_the_linear_model_is_unsure():
    classifier = SubEventClassifier.load()
    assert classifier.uses_encoder
    linear_only = SubEventClassifier.load(encoder_path=None)
    assert not linear_only.uses_encoder
    texts = [
        "The army said it had pushed the militants out of three villages near the border.",  # typed, unsure
        "Government forces retook the town of Sirte from Islamic State fighters after weeks of fighting.",  # sure
        "The museum reopened after renovation on Sunday.",  # no event
    ]
    mixed = classifier.probabilities(texts)
    linear = classifier.linear_probabilities(texts)
    decided = classifier.decide(linear)
    assert decided[0][0] is not None and decided[0][1] < classifier.sure
    assert decided[1][0] is not None and decided[1][1] >= classifier.sure
    assert decided[2][0] is None
    assert classifier.gated(linear) == [0]
    assert np.allclose(mixed.sum(axis=1), 1.0)
    assert not np.allclose(mixed[0], linear[0])  # the encoder voted on the sentence the linear model was unsure of
    assert np.allclose(mixed[1:], linear[1:])  # a sure type and a non-event skip the encoder
    assert [label for label, _ in classifier.predict_many(texts)] == [
        "Government regains territory",
        "Government regains territory",
        None,
    ]


def test_the_artefact_is_int8_and_plain_arrays():
    assert ENCODER_MODEL.stat().st_size < 25_000_000
    with np.load(ENCODER_MODEL, allow_pickle=False) as data:
        assert data["word.q"].dtype == np.int8 and data["0.qkv.q"].dtype == np.int8
        assert all(data[name].dtype != object for name in data.files)


def test_windows_cut_a_long_text_into_consecutive_pieces(encoder):
    tokenizer = encoder.tokenizer
    text = " ".join(f"soldiers{i % 7} shelled the village near the border" for i in range(120))
    every = tokenizer.encode(text, max_tokens=100_000)[1:-1]
    windows = tokenizer.windows(text, max_tokens=64, max_windows=3)
    assert len(windows) == 3
    assert all(w[0] == tokenizer.cls and w[-1] == tokenizer.sep and len(w) == 64 for w in windows)
    assert [piece for w in windows for piece in w[1:-1]] == every[: 3 * 62]  # consecutive, nothing skipped
    short = tokenizer.windows("Troops shelled the village.", max_tokens=64, max_windows=3)
    assert short == [tokenizer.encode("Troops shelled the village.")]
    assert tokenizer.windows("", max_tokens=64, max_windows=3) == [[tokenizer.cls, tokenizer.sep]]


def test_a_compact_encoder_gives_the_same_embeddings_with_int8_layers():
    full = SentenceEncoder.load()
    compact = SentenceEncoder.load(compact=True)
    assert compact is not full and SentenceEncoder.load(compact=True) is compact
    assert "qkv" not in compact.weights[0] and compact.weights[0]["qkv.q"].dtype == np.int8
    texts = ["Police fired tear gas at protesters in Nairobi.", "Floods displaced thousands."]
    assert np.allclose(compact.encode(texts), full.encode(texts), atol=1e-5)
