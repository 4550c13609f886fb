"""Precision/recall/F1 helpers shared by the benchmark and the tests (standard library only)."""

from __future__ import annotations

from collections import Counter

from training.datasets import NONE_LABEL


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def binary_counts(gold: list[bool], pred: list[bool]) -> tuple[int, int, int]:
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    fp = sum(p and not g for g, p in zip(gold, pred, strict=True))
    fn = sum(g and not p for g, p in zip(gold, pred, strict=True))
    return tp, fp, fn


def per_class(gold: list[str], pred: list[str]) -> dict[str, tuple[float, float, float, int]]:
    support = Counter(gold)
    out = {}
    for label in sorted(support):
        out[label] = (*prf(*binary_counts([g == label for g in gold], [p == label for p in pred])), support[label])
    return out


def weighted_f1s(gold: list[str], pred: list[str]) -> tuple[float, float]:
    """(weighted F1 over the ACLED classes + NONE, weighted F1 over the ACLED classes only).

    Both weight each gold class's F1 by its support; "ACLED only" leaves NONE out of the average, while a NONE
    prediction for an ACLED row still costs that class recall (as scikit-learn's `labels=` argument does)."""
    classes = per_class(gold, pred)
    total = sum(s for *_, s in classes.values())
    with_none = sum(f * s for _, _, f, s in classes.values()) / total
    acled = {k: v for k, v in classes.items() if k != NONE_LABEL}
    acled_total = sum(s for *_, s in acled.values())
    acled_only = sum(f * s for _, _, f, s in acled.values()) / acled_total
    return with_none, acled_only
