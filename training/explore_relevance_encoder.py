"""Experiment, not shipped: a MiniLM encoder fine-tuned for conflict relevance, alone and mixed with the linear model.

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python -m training.explore_relevance_encoder [--epochs 3]   # ~25 min on 2 cores; writes nothing

Fine-tunes all-MiniLM-L6-v2 (the same base as `train_encoder.py`) with a two-class head on the relevance training
split (ACLED-scope labels for MUC-4 and CAMEO, plus the hand-written negatives), each document cut to its first
256 word pieces, and prints held-out F1 for the encoder alone and averaged with the shipped linear model's
log-odds. docs/models.md has the figures and why it is not shipped.
"""

from __future__ import annotations

import argparse
import math
import sys
import time

import numpy as np

from training import datasets
from training.metrics import binary_counts, prf
from training.train_encoder import _logits, base_model_dir
from transforms.classify import ConflictClassifier

SEED = 5
MAX_TOKENS = 256
BATCH = 16
ENCODER_LR = 4e-5
HEAD_LR = 1e-3


def _log_odds(p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def run(epochs: int) -> None:
    import torch
    from torch import nn
    from transformers import AutoModel, AutoTokenizer

    torch.set_num_threads(2)
    torch.manual_seed(SEED)
    rng = np.random.default_rng(SEED)
    train, test = datasets.split(datasets.relevance_examples())
    train = datasets.in_acled_scope(train) + datasets.hand_written_negatives(label="0")
    test = datasets.in_acled_scope(test)
    tokenizer = AutoTokenizer.from_pretrained(base_model_dir())
    encoder = AutoModel.from_pretrained(base_model_dir())
    head = nn.Linear(encoder.config.hidden_size, 2)

    def lengths(texts):  # in word pieces, as cut
        return [len(tokenizer(t[:4000], truncation=True, max_length=MAX_TOKENS)["input_ids"]) for t in texts]

    def batches(sizes, shuffle):
        order = np.argsort(sizes, kind="stable")  # similar lengths pad least
        chunks = [order[i : i + BATCH] for i in range(0, len(order), BATCH)]
        if shuffle:
            rng.shuffle(chunks)
        return chunks

    def logits(texts):
        return _logits(encoder, head, tokenizer, [t[:4000] for t in texts], max_tokens=MAX_TOKENS)

    train_texts, test_texts = [e.text for e in train], [e.text for e in test]
    train_lengths, test_lengths = lengths(train_texts), lengths(test_texts)
    y = np.array([int(e.label) for e in train])
    loss_fn = nn.CrossEntropyLoss(weight=torch.tensor(len(y) / (2 * np.bincount(y)), dtype=torch.float))
    optimiser = torch.optim.AdamW(
        [{"params": encoder.parameters(), "lr": ENCODER_LR}, {"params": head.parameters(), "lr": HEAD_LR}],
        weight_decay=0.01,
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, max_lr=[ENCODER_LR, HEAD_LR], total_steps=epochs * math.ceil(len(y) / BATCH), pct_start=0.1
    )
    encoder.train()
    for epoch in range(epochs):
        started, total = time.perf_counter(), 0.0
        for index in batches(train_lengths, shuffle=True):
            loss = loss_fn(logits([train_texts[i] for i in index]), torch.tensor(y[index]))
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            total += loss.item() * len(index)
        print(f"  epoch {epoch + 1}/{epochs}: loss {total / len(y):.4f} ({time.perf_counter() - started:.0f} s)")
    encoder.eval()
    encoder_p = np.zeros(len(test))
    with torch.no_grad():
        for index in batches(test_lengths, shuffle=False):
            encoder_p[index] = torch.softmax(logits([test_texts[i] for i in index]), -1)[:, 1].numpy()

    linear = ConflictClassifier.load()
    linear_p = np.array(linear.score_many([(None, e.text) for e in test]))
    gold = [e.label == "1" for e in test]
    mixed = 0.5 * (_log_odds(linear_p) - _log_odds(np.array(linear.threshold))) + 0.5 * _log_odds(encoder_p)
    for name, pred in (
        ("linear (shipped)", linear_p >= linear.threshold),
        ("encoder alone", encoder_p >= 0.5),
        ("mixed, weight 0.5", mixed >= 0),
    ):
        precision, recall, f1 = prf(*binary_counts(gold, list(pred)))
        print(f"held-out ({len(test)}), ACLED-scope labels, {name}: P {precision:.4f} R {recall:.4f} F1 {f1:.4f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    if not datasets.SHARED_DATA.exists():
        print(f"corpora not found at {datasets.SHARED_DATA}", file=sys.stderr)
        return 2
    run(args.epochs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
