"""Rebuild the shipped classifiers (`transforms/models/*.npz`) from the corpora in ../shared/data.

    .venv/bin/python -m training.train_classifiers            # train, report, write the artefacts
    .venv/bin/python -m training.train_classifiers --explore  # also compare model variants by cross-validation

Dev-time only: needs scikit-learn and scipy; the artefacts it writes are plain numpy arrays read by
`transforms/classify.py` without either. Deterministic: the split is hash-based (training/datasets.py), the
solvers are deterministic (lbfgs) and every fold assignment is seeded.

Both models are trained on the 70% training split only, so that the 30% test split (and the benchmark's figures
on it) stays unseen. Sub-event numbers are also given as 5-fold cross-validation over all CASE 2021 rows.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score, precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold

from training import corpora, datasets
from training.datasets import NONE_LABEL, Example
from transforms.classify import (
    RELEVANCE_MODEL,
    SUB_EVENT_MODEL,
    ConflictClassifier,
    FeatureSettings,
    SubEventClassifier,
    block_tfidf,
    hashed_counts,
)

SEED = 20211
FOLDS = 5
MIN_DF = 2  # buckets seen in one training text only are noise, and dropping them keeps the artefacts small
RELEVANCE_C = 10.0
SUB_EVENT_C = 50.0


# --- features: the exact mirror of transforms.classify._LinearModel.vectorize ---------------------------------


class Featurized:
    """Raw hashed counts of a list of texts, and the TF-IDF matrix over a fitted bucket list."""

    def __init__(self, texts: list[str], settings: FeatureSettings):
        self.settings = settings
        self.counts = [hashed_counts(text, settings) for text in texts]

    def subset(self, index: np.ndarray | list[int]) -> Featurized:
        out = Featurized.__new__(Featurized)
        out.settings = self.settings
        out.counts = [self.counts[i] for i in index]
        return out

    def fit_idf(self, min_df: int = MIN_DF) -> tuple[np.ndarray, np.ndarray]:
        df = Counter()
        for counts in self.counts:
            df.update(counts.keys())
        buckets = np.array(sorted(b for b, n in df.items() if n >= min_df), dtype=np.int64)
        n_docs = len(self.counts)
        dfs = np.array([df[b] for b in buckets], dtype=np.float64)
        # rounded as the artefact stores it, so training sees exactly what inference will
        idf = (np.log((1.0 + n_docs) / (1.0 + dfs)) + 1.0).astype(np.float16).astype(np.float32)
        return buckets, idf

    def matrix(self, buckets: np.ndarray, idf: np.ndarray) -> sp.csr_matrix:
        index = {int(b): i for i, b in enumerate(buckets)}
        indptr, indices, data = [0], [], []
        for counts in self.counts:
            rows = [(index[b], c) for b, c in counts.items() if b in index]
            cols = np.array([r for r, _ in rows], dtype=np.int64)
            values = np.array([c for _, c in rows], dtype=np.float32)
            weights = block_tfidf(buckets[cols], values, idf[cols], self.settings) if len(cols) else values
            indices.extend(cols.tolist())
            data.extend(weights.tolist())
            indptr.append(len(indices))
        return sp.csr_matrix(
            (np.array(data, np.float32), np.array(indices, np.int64), np.array(indptr)),
            shape=(len(self.counts), len(buckets)),
        )


def _fit(features: Featurized, labels: list[str], c_value: float, class_weight: str | None = "balanced"):
    buckets, idf = features.fit_idf()
    model = LogisticRegression(C=c_value, max_iter=3000, class_weight=class_weight)
    model.fit(features.matrix(buckets, idf), labels)
    return model, buckets, idf


def _save(path: Path, settings: FeatureSettings, buckets, idf, coef, intercept, classes, calibration, threshold):
    np.savez_compressed(
        path,
        settings=np.array(settings.to_json()),
        buckets=buckets.astype(np.int32),
        idf=idf.astype(np.float16),
        coef=coef.astype(np.float16),
        intercept=np.asarray(intercept, np.float32),
        classes=np.array(classes),
        calibration=np.asarray(calibration, np.float64),
        threshold=np.array(threshold, np.float64),
    )


# --- relevance ---------------------------------------------------------------------------------------------------


def _platt(decision: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    model = LogisticRegression(C=1e6, max_iter=1000)
    model.fit(decision.reshape(-1, 1), y)
    return float(model.coef_[0, 0]), float(model.intercept_[0])


def _oof_decision(features: Featurized, labels: list[str], c_value: float, classes: list[str] | None = None):
    """Out-of-fold decision values (binary: one column; multi-class: one per class in `classes`)."""
    y = np.array(labels)
    width = 1 if classes is None else len(classes)
    out = np.zeros((len(y), width))
    for train_idx, test_idx in cv_folds(labels):
        train = features.subset(train_idx)
        model, buckets, idf = _fit(train, list(y[train_idx]), c_value)
        x_test = features.subset(test_idx).matrix(buckets, idf)
        if classes is None:
            out[test_idx, 0] = model.decision_function(x_test)
        else:
            scores = model.decision_function(x_test)
            order = [list(model.classes_).index(c) if c in model.classes_ else None for c in classes]
            out[test_idx] = np.column_stack(
                [scores[:, i] if i is not None else np.full(len(test_idx), -1e3) for i in order]
            )
    return out


def _relevance_training(train: list[Example]) -> list[Example]:
    """The relevance split's training part, the hand-written negatives, and whole articles from two corpora outside
    the split: GVDB's `dev` gun-crime news as negatives (crime is not ACLED's scope) and FA-KES's training half as
    positives (whole war reports). The development gold and the merge set stay out (training/corpora.py)."""
    return train + datasets.hand_written_negatives(label="0") + corpora.relevance_articles()


def train_relevance(settings: FeatureSettings, c_value: float, explore: bool, labels: str = "acled") -> dict:
    """`labels`: "acled" trains on MUC-4's and CAMEO's ACLED-scope relabels (training/README.md), "corpus" on the
    corpora's own labels. The split is the same either way, and the held-out figures are printed on both."""
    examples = datasets.relevance_examples()
    train, test = datasets.split(examples)
    train = _relevance_training(datasets.in_acled_scope(train) if labels == "acled" else train)
    texts = [e.text for e in train]
    y = np.array([int(e.label) for e in train])
    features = Featurized(texts, settings)
    if explore:
        for c_try in (1.0, 3.0, 10.0, 30.0):
            oof = _oof_decision(features, [str(v) for v in y], c_try)[:, 0]
            print(f"  relevance C={c_try:>5}: 5-fold OOF F1 {f1_score(y, oof > 0):.4f}", flush=True)
    oof = _oof_decision(features, [str(v) for v in y], c_value)[:, 0]
    a, b = _platt(oof, y)
    probs = 1.0 / (1.0 + np.exp(-(a * oof + b)))
    grid = np.round(np.arange(0.2, 0.81, 0.02), 2)
    f1s = [f1_score(y, probs >= t) for t in grid]
    threshold = float(grid[int(np.argmax(f1s))])
    print(f"relevance: OOF F1 {max(f1s):.4f} at threshold {threshold} (Platt a={a:.3f} b={b:.3f})", flush=True)
    model, buckets, idf = _fit(features, [str(v) for v in y], c_value)
    _save(RELEVANCE_MODEL, settings, buckets, idf, model.coef_.T, model.intercept_, ["conflict"], [a, b], threshold)
    ConflictClassifier._cache.clear()
    shipped = ConflictClassifier.load(RELEVANCE_MODEL)
    scores = shipped.score_many([(None, e.text) for e in test])
    pred = np.array([shipped.is_conflict(s) for s in scores])
    report = {}
    for name, gold in (("corpus labels", test), ("ACLED-scope labels", datasets.in_acled_scope(test))):
        y_test = np.array([int(e.label) for e in gold])
        p, r, f, _ = precision_recall_fscore_support(y_test, pred, average="binary")
        print(f"relevance held-out ({len(test)}), {name}: P {p:.4f} R {r:.4f} F1 {f:.4f}", flush=True)
        report[name] = {"precision": p, "recall": r, "f1": f}
    return {
        "labels": labels,
        "oof_f1": max(f1s),
        "threshold": threshold,
        "test": report,
        "n_train": len(train),
        "n_test": len(test),
        "n_buckets": len(buckets),
    }


# --- sub-event types ---------------------------------------------------------------------------------------------


def _weighted_f1s(y_true: list[str], y_pred: list[str]) -> tuple[float, float]:
    """(weighted F1 over the 25 ACLED types + NONE, weighted F1 over the ACLED types only).

    "ACLED only" keeps the rows whose gold label is an ACLED type and weights by their support; a prediction of
    NONE on such a row counts as a miss."""
    all_labels = sorted(set(y_true))
    acled = [label for label in all_labels if label != NONE_LABEL]
    with_none = f1_score(y_true, y_pred, labels=all_labels, average="weighted", zero_division=0)
    acled_only = f1_score(y_true, y_pred, labels=acled, average="weighted", zero_division=0)
    return float(with_none), float(acled_only)


def _decide(probs: np.ndarray, classes: list[str], threshold: float) -> list[str]:
    best = probs.argmax(axis=1)
    return [NONE_LABEL if probs[i, j] < threshold else classes[j] for i, j in enumerate(best)]


def _softmax(logits: np.ndarray, temperature: float) -> np.ndarray:
    z = logits / temperature
    z -= z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def cv_folds(labels: list[str], folds: int = FOLDS):
    """The (train, test) index pairs every cross-validation here uses: stratified by label, seeded."""
    return StratifiedKFold(n_splits=folds, shuffle=True, random_state=SEED).split(np.zeros(len(labels)), labels)


def _cv_sub_event(
    case: list[Example],
    extra: list[Example],
    settings: FeatureSettings,
    c_value: float,
    classes: list[str],
    folds: int = FOLDS,
) -> np.ndarray:
    """Out-of-fold logits over `case` (`cv_folds`); `extra` joins every training fold only."""
    y = np.array([e.label for e in case])
    all_features = Featurized([e.text for e in case] + [e.text for e in extra], settings)
    extra_idx = list(range(len(case), len(case) + len(extra)))
    out = np.zeros((len(case), len(classes)))
    for train_idx, test_idx in cv_folds(list(y), folds):
        train = all_features.subset(list(train_idx) + extra_idx)
        labels = list(y[train_idx]) + [e.label for e in extra]
        model, buckets, idf = _fit(train, labels, c_value)
        scores = model.decision_function(all_features.subset(test_idx).matrix(buckets, idf))
        order = [list(model.classes_).index(c) for c in classes]
        out[test_idx] = scores[:, order]
    return out


def _tune(logits: np.ndarray, y: list[str], classes: list[str]) -> tuple[float, float, float]:
    """(temperature, None threshold, weighted F1 with NONE) chosen on out-of-fold logits."""
    y_idx = np.array([classes.index(label) for label in y])
    best_t, best_nll = 1.0, np.inf
    for temperature in np.round(np.arange(0.2, 3.01, 0.1), 2):
        probs = _softmax(logits, temperature)
        nll = -np.mean(np.log(probs[np.arange(len(y)), y_idx] + 1e-12))
        if nll < best_nll:
            best_t, best_nll = float(temperature), nll
    probs = _softmax(logits, best_t)
    best_threshold, best_f1 = 0.0, -1.0
    for threshold in np.round(np.arange(0.0, 0.51, 0.05), 2):
        f1 = _weighted_f1s(y, _decide(probs, classes, threshold))[0]
        if f1 > best_f1 + 1e-9:
            best_threshold, best_f1 = float(threshold), f1
    return best_t, best_threshold, best_f1


def _report_sub_event(name: str, y: list[str], pred: list[str]) -> tuple[float, float]:
    with_none, acled_only = _weighted_f1s(y, pred)
    none_true = [label == NONE_LABEL for label in y]
    none_pred = [label == NONE_LABEL for label in pred]
    p, r, f, _ = precision_recall_fscore_support(none_true, none_pred, average="binary", zero_division=0)
    print(
        f"  {name}: weighted F1 (25 ACLED + NONE) {with_none:.4f} | (ACLED rows only) {acled_only:.4f} | "
        f"NONE P {p:.3f} R {r:.3f} F1 {f:.3f}",
        flush=True,
    )
    return with_none, acled_only


def train_sub_event(settings: FeatureSettings, c_value: float, explore: bool) -> dict:
    case = datasets.sub_event_examples()
    train, test = datasets.split(case)
    relevance_test = datasets.split(datasets.relevance_examples())[1]
    relevance_test_ids = frozenset(e.id for e in relevance_test)
    augmentation = datasets.sub_event_augmentation(exclude_ids=relevance_test_ids)
    # Shipped: CASE + the hand-written hard negatives + the hand-written ACLED-style snippets. The corpus
    # augmentation was measured (--explore) and lowered cross-validated F1 (its sentences differ in style from
    # CASE snippets), so it is not used.
    hand_written = datasets.hand_written_negatives()
    extra = hand_written + datasets.acled_style_snippets()
    classes = sorted({e.label for e in case})
    results: dict = {}
    variants = {"case + hand-written negatives + ACLED-style snippets (shipped recipe)": extra}
    if explore:
        variants["case + hand-written negatives"] = hand_written
        variants["case only"] = []
        variants["case + hand-written + augmentation"] = extra + augmentation
        variants["case + hand-written + augmentation without CAMEO"] = extra + [
            e for e in augmentation if e.source != "cameo"
        ]
        for c_try in (5.0, 20.0, 200.0):
            logits = _cv_sub_event(case, extra, settings, c_try, classes)
            temperature, threshold, _ = _tune(logits, [e.label for e in case], classes)
            pred = _decide(_softmax(logits, temperature), classes, threshold)
            _report_sub_event(f"C={c_try} (5-fold, all {len(case)})", [e.label for e in case], pred)
    for name, extra_try in variants.items():
        logits = _cv_sub_event(case, extra_try, settings, c_value, classes)
        temperature, threshold, _ = _tune(logits, [e.label for e in case], classes)
        pred = _decide(_softmax(logits, temperature), classes, threshold)
        results[name] = _report_sub_event(
            f"{name} (5-fold OOF over all {len(case)} CASE rows)", [e.label for e in case], pred
        )
    # The shipped model: training split + extra; temperature and threshold tuned by CV within the training split.
    logits = _cv_sub_event(train, extra, settings, c_value, classes)
    temperature, threshold, oof_f1 = _tune(logits, [e.label for e in train], classes)
    features = Featurized([e.text for e in train + extra], settings)
    model, buckets, idf = _fit(features, [e.label for e in train + extra], c_value)
    order = [list(model.classes_).index(c) for c in classes]
    _save(
        SUB_EVENT_MODEL,
        settings,
        buckets,
        idf,
        model.coef_[order].T,
        model.intercept_[order],
        classes,
        [temperature],
        threshold,
    )
    SubEventClassifier._cache.clear()
    shipped = SubEventClassifier.load(SUB_EVENT_MODEL)
    pred = [label or NONE_LABEL for label, _ in shipped.predict_many([e.text for e in test])]
    print(
        f"sub-event shipped model: temperature {temperature}, None threshold {threshold}, "
        f"train-split OOF F1 {oof_f1:.4f}",
        flush=True,
    )
    test_scores = _report_sub_event(f"held-out split ({len(test)} CASE rows)", [e.label for e in test], pred)
    results["held_out"] = test_scores
    results["temperature"], results["threshold"], results["n_buckets"] = temperature, threshold, len(buckets)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--explore", action="store_true", help="compare variants by cross-validation first")
    parser.add_argument("--only", choices=("relevance", "sub_event"), help="train one model only")
    parser.add_argument(
        "--relevance-labels",
        choices=("acled", "corpus"),
        default="acled",
        help="MUC-4 and CAMEO labels to train relevance on (default: their ACLED-scope relabels)",
    )
    args = parser.parse_args(argv)
    if not datasets.SHARED_DATA.exists():
        print(f"corpora not found at {datasets.SHARED_DATA}", file=sys.stderr)
        return 2
    settings = FeatureSettings()
    started = time.perf_counter()
    report = {}
    if args.only in (None, "relevance"):
        report["relevance"] = train_relevance(settings, RELEVANCE_C, args.explore, args.relevance_labels)
    if args.only in (None, "sub_event"):
        report["sub_event"] = train_sub_event(settings, SUB_EVENT_C, args.explore)
    print(json.dumps(report, indent=1, default=float))
    print(f"done in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
