"""Held-out quality and speed of the shipped classifiers (transforms/models/*.npz). Prints figures, never fails.

    .venv/bin/python benchmarks/evaluate_classifiers.py [--only relevance|sub_event]

Held-out = the 30% test split of training/datasets.py (seeded, stratified per corpus and label), which the
shipped models were not trained on. Relevance: precision/recall/F1 overall and per source corpus. Sub-event
types: per class and weighted F1 on the CASE 2021 test split, counted two ways (see `weighted_f1s`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from training import datasets  # noqa: E402
from training.datasets import NONE_LABEL  # noqa: E402
from training.metrics import binary_counts, per_class, prf, weighted_f1s  # noqa: E402
from transforms.classify import ConflictClassifier, SubEventClassifier  # noqa: E402


def _relevance_table(test: list, gold: list[bool], pred: list[bool]) -> None:
    print(f"{'source':<12} {'n':>5} {'pos':>5} {'P':>7} {'R':>7} {'F1':>7} {'acc':>7}")
    for source in [None, "-muc4", *sorted({e.source for e in test})]:
        idx = [
            i
            for i, e in enumerate(test)
            if source is None or e.source == source or (source == "-muc4" and e.source != "muc4")
        ]
        g, p = [gold[i] for i in idx], [pred[i] for i in idx]
        precision, recall, f1 = prf(*binary_counts(g, p))
        accuracy = sum(a == b for a, b in zip(g, p, strict=True)) / len(idx)
        name = {None: "ALL", "-muc4": "ALL-muc4"}.get(source, source)
        print(f"{name:<12} {len(idx):>5} {sum(g):>5} {precision:>7.4f} {recall:>7.4f} {f1:>7.4f} {accuracy:>7.4f}")


def _annotator_agreement(test: list, pred: list[bool]) -> None:
    """How far two people reading the same MUC-4 / CAMEO test texts agree, beside the model on the final labels."""
    readings = datasets.acled_scope_readings()
    print("\n== held-out MUC-4 and CAMEO: two annotators' agreement; readings against the final labels")
    header = f"{'F1 2nd vs 1st':>14} {'F1 1st vs final':>16} {'F1 model vs final':>18}"
    print(f"{'source':<8} {'n':>5} {'agree':>7} {header}")
    for source in ("muc4", "cameo"):
        idx = [i for i, e in enumerate(test) if e.source == source and e.id in readings]
        first, second, final = ([readings[test[i].id][k] == "1" for i in idx] for k in range(3))
        model = [pred[i] for i in idx]
        agree = sum(a == b for a, b in zip(first, second, strict=True)) / len(idx)
        f1s = [prf(*binary_counts(gold, guess))[2] for gold, guess in ((first, second), (final, first), (final, model))]
        print(f"{source:<8} {len(idx):>5} {agree:>7.3f} {f1s[0]:>14.4f} {f1s[1]:>16.4f} {f1s[2]:>18.4f}")


def evaluate_relevance() -> None:
    classifier = ConflictClassifier.load()
    _, test = datasets.split(datasets.relevance_examples())
    started = time.perf_counter()
    scores = classifier.score_many([(None, e.text) for e in test])
    elapsed = time.perf_counter() - started
    pred = [classifier.is_conflict(s) for s in scores]
    print(f"\n== Conflict relevance (held-out {len(test)} texts, threshold {classifier.threshold}), corpus labels")
    _relevance_table(test, [e.label == "1" for e in test], pred)
    # MUC-4 (terrorist incidents only) and CAMEO (cooperation vs conflict) do not label ACLED's scope; their test
    # texts were relabelled by reading (training/README.md).
    in_scope = [e.label == "1" for e in datasets.in_acled_scope(test)]
    print("\n== the same predictions, MUC-4 and CAMEO labelled for ACLED scope (training/acled_scope_relabels.tsv)")
    _relevance_table(test, in_scope, pred)
    _annotator_agreement(test, pred)
    chars = sum(len(e.text) for e in test)
    print(f"speed: {1000 * elapsed / len(test):.2f} ms per text (mean {chars / len(test):.0f} characters)")
    if classifier.uses_encoder:
        _encoder_settings(classifier, test, in_scope)


def _encoder_settings(classifier: ConflictClassifier, test: list, gold: list[bool]) -> None:
    """Held-out F1 of the linear model alone, the encoder alone, and their vote for other bands and window counts
    than the shipped ones (`ConflictClassifier.band`, `.windows`): how much each read buys."""
    import numpy as np

    encoder = classifier._encoder
    linear = classifier.linear_scores([e.text for e in test])
    per_doc = encoder.window_logits([e.text for e in test])
    print(f"\n== relevance voters, ACLED-scope labels (shipped: band {classifier.band}, {classifier.windows} window)")
    alone = np.array([w.max() for w in per_doc])
    for name, pred in (("linear alone", linear >= classifier.threshold), ("encoder alone, all windows", alone >= 0)):
        print(f"{name:<40} F1 {prf(*binary_counts(gold, list(pred)))[2]:.4f}")
    for windows in range(1, encoder.max_windows + 1):
        logits = np.array([w[:windows].max() for w in per_doc])
        for band in ((0.0, 1.0), (0.1, 0.9), (0.2, 0.8), (0.25, 0.75), (0.3, 0.7)):
            read = (linear >= band[0]) & (linear <= band[1])
            scores = linear.copy()
            scores[read] = classifier.combine(linear[read], logits[read])
            f1 = prf(*binary_counts(gold, list(scores >= classifier.threshold)))[2]
            n_windows = sum(min(len(w), windows) for w, r in zip(per_doc, read, strict=True) if r)
            print(
                f"vote, {windows} window(s), band {band!s:<12} F1 {f1:.4f}  "
                f"(encoder reads {read.mean():.1%} of texts, {n_windows} windows)"
            )


def evaluate_sub_events() -> None:
    classifier = SubEventClassifier.load()
    _, test = datasets.split(datasets.sub_event_examples())
    texts = [e.text for e in test]
    started = time.perf_counter()
    predicted = classifier.predict_many(texts)
    elapsed = time.perf_counter() - started
    gold = [e.label for e in test]
    pred = [label or NONE_LABEL for label, _ in predicted]
    print(f"\n== ACLED sub-event type (CASE 2021 held-out split, {len(test)} snippets; NONE = non-ACLED types)")
    print(f"{'class':<38} {'P':>6} {'R':>6} {'F1':>6} {'n':>4}")
    for label, (precision, recall, f1, support) in per_class(gold, pred).items():
        print(f"{label:<38} {precision:>6.3f} {recall:>6.3f} {f1:>6.3f} {support:>4}")
    with_none, acled_only = weighted_f1s(gold, pred)
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold)
    print(f"weighted F1, 25 ACLED classes + NONE: {with_none:.4f}")
    print(f"weighted F1, ACLED classes only:      {acled_only:.4f}")
    print(f"accuracy: {accuracy:.4f}")
    none_pred = [p for g, p in zip(gold, pred, strict=True) if g == NONE_LABEL]
    print(f"non-ACLED snippets answered None: {sum(p == NONE_LABEL for p in none_pred)}/{len(none_pred)}")
    if classifier.uses_encoder:  # each voter alone, for comparison with the shipped mix
        for name, probabilities in (
            ("linear model alone", classifier.linear_probabilities(texts)),
            ("encoder alone", classifier.encoder_probabilities(texts)),
        ):
            alone = [label or NONE_LABEL for label, _ in classifier.decide(probabilities)]
            print(f"{name}: weighted F1 (+ NONE) {weighted_f1s(gold, alone)[0]:.4f}")
    print(f"speed: {1000 * elapsed / len(test):.3f} ms per snippet (first call, cold caches)")
    sentences = [s for _, _, s, _ in datasets.india_sentences()[:1000]]
    started = time.perf_counter()
    classifier.predict_many(sentences)
    elapsed = time.perf_counter() - started
    print(
        f"speed: {1000 * elapsed / len(sentences):.3f} ms per sentence (predict_many on {len(sentences)} "
        "IndiaPoliceEvents sentences)"
    )
    if classifier.uses_encoder:
        gated = len(classifier.gated(classifier.linear_probabilities(sentences))) / len(sentences)
        print(f"  the encoder read {gated:.1%} of them (`SubEventClassifier.gated`)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("relevance", "sub_event"))
    args = parser.parse_args(argv)
    if not datasets.SHARED_DATA.exists():
        print(f"corpora not found at {datasets.SHARED_DATA}; nothing to evaluate")
        return 0
    if args.only in (None, "relevance"):
        evaluate_relevance()
    if args.only in (None, "sub_event"):
        evaluate_sub_events()
    return 0


if __name__ == "__main__":
    sys.exit(main())
