"""Rebuild the shipped passage model (`transforms/models/event_passage.npz`): does a sentence report an event that
happened?

    .venv/bin/python -m training.train_passages            # cross-validate, train, write the artefact
    .venv/bin/python -m training.train_passages --cv-only  # the figures only

Training sentences (label 1: reports an ACLED-scope incident that happened; 0: anything else):
- `training/sentence_labels/*.tsv`: every sentence of 172 whole real articles read by hand in context (FA-KES's
  training half less the merge-set candidates, GVDB `dev`, IndiaPoliceEvents training documents, a few fundus and
  article-extraction-benchmark pages), with the kind of non-event (quote, reaction, background, plan, legal, crime,
  accident, figurative, other) or the event's sub-type;
- every sentence of GVDB's other `dev` articles (ordinary crime: 0);
- IndiaPoliceEvents sentences the corpus annotators marked KILL, FORCE or FAIL (1), training documents only;
- CASE 2021 snippets of the sub-event training split (ACLED types 1, the non-ACLED types 0; claims of
  responsibility left out), the hand-written ACLED-style snippets and the hand-written negatives.
The development gold, the merge-set candidates, GVDB `test` and FA-KES's evaluation half are never read here.

The threshold and the calibration come from out-of-fold decisions on the hand-labelled in-article sentences,
folds grouped by article, so that no article lends sentences to both sides of a fold.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import GroupKFold

from training import corpora, datasets
from training.datasets import NONE_LABEL, REPO
from training.train_classifiers import Featurized, _fit, _platt, _save
from transforms.classify import FeatureSettings
from transforms.passages import PASSAGE_MODEL, PassageClassifier

LABELS_DIR = REPO / "training" / "sentence_labels"
PASSAGE_C = 3.0
FOLDS = 5
# Sentences of one article share a topic; read as whole articles they would swamp the snippet corpora.
MAX_GVDB_SENTENCES_PER_ARTICLE = 8
# The sentence is the unit, not the article: no character n-grams beyond a word's, no 6,000-character lead.
SETTINGS = FeatureSettings(max_chars=1000)


def hand_labels(directory: Path = LABELS_DIR) -> dict[str, tuple[str, str]]:
    """Sentence id ("<doc id>#<sentence index>") -> (EVENT or NOT, sub-type or kind)."""
    out = {}
    for path in sorted(directory.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                sid, label, detail = line.split("\t")[:3]
                out[sid] = (label, detail)
    return out


def _article_sentences(doc_id: str) -> tuple[list[str], int | None]:
    """The sentences the pipeline reads for a corpus document, and the year it was published."""
    from pipelines.analyze import parse_time
    from transforms.extract import extract_article
    from transforms.sentences import split_sentences

    record = corpora.analyze_record(doc_id)
    text = extract_article(record["html"], record.get("url")).text if "html" in record else record["text"]
    published = parse_time(record.get("published"))
    # numbered as the annotators read them (uncased paragraphs whole: `split_sentences(uncased=False)`)
    return [s.text for s in split_sentences(text or "", uncased=False)], published.year if published else None


def examples() -> tuple[list[tuple[str, str, int]], list[tuple[str, str, int]]]:
    """(in-article hand-labelled examples, other examples), each (group, passage text, label)."""
    from transforms.events import passage_inputs

    excluded = corpora.training_excluded()
    labels = hand_labels()
    by_doc: dict[str, dict[int, int]] = {}
    for sid, (label, _) in labels.items():
        doc_id, _, index = sid.rpartition("#")
        by_doc.setdefault(doc_id, {})[int(index)] = int(label == "EVENT")
    leaked = set(by_doc) & excluded
    if leaked:
        raise SystemExit(f"hand labels cover held-out documents: {sorted(leaked)[:5]}")
    in_article = []
    for doc_id, marks in sorted(by_doc.items()):
        sentences, year = _article_sentences(doc_id)
        if len(sentences) <= max(marks):
            raise SystemExit(f"{doc_id}: labels for sentence {max(marks)}, text has {len(sentences)}")
        texts = passage_inputs(sentences, year)
        in_article += [(doc_id, texts[i], y) for i, y in sorted(marks.items())]
    other = []
    for gvdb_id, row in sorted(corpora.gvdb().items()):
        doc_id = f"gvdb:{gvdb_id}"
        if row["split"] != "dev" or doc_id in by_doc or doc_id in excluded:
            continue
        sentences, year = _article_sentences(doc_id)
        other += [(doc_id, t, 0) for t in passage_inputs(sentences, year)[:MAX_GVDB_SENTENCES_PER_ARTICLE]]
    relevance_test = {e.id for e in datasets.split(datasets.relevance_examples())[1]}
    violent = {"KILL", "FORCE", "FAIL"}
    for _, doc_id, text, marks in datasets.india_sentences():
        if marks & violent and doc_id not in relevance_test and doc_id not in excluded and doc_id not in by_doc:
            other.append((doc_id, passage_inputs([text], None)[0], 1))
    case_train, _ = datasets.split(datasets.sub_event_examples())
    snippets = case_train + datasets.acled_style_snippets() + datasets.hand_written_negatives()
    for e in snippets:
        other.append((e.id, passage_inputs([e.text], None)[0], int(e.label != NONE_LABEL)))
    return in_article, other


def cross_validate(in_article, other, c_value: float) -> np.ndarray:
    """Out-of-fold decisions for the in-article sentences (folds grouped by article); the other examples always
    train."""
    groups = [g for g, _, _ in in_article]
    y = np.array([label for _, _, label in in_article])
    features = Featurized([t for _, t, _ in in_article] + [t for _, t, _ in other], SETTINGS)
    n = len(in_article)
    other_idx = np.arange(n, n + len(other))
    other_y = [str(label) for _, _, label in other]
    out = np.zeros(n)
    for train_idx, test_idx in GroupKFold(n_splits=FOLDS).split(np.zeros(n), y, groups):
        index = np.concatenate([train_idx, other_idx])
        model, buckets, idf = _fit(features.subset(index), [str(v) for v in y[train_idx]] + other_y, c_value)
        out[test_idx] = model.decision_function(features.subset(test_idx).matrix(buckets, idf))
    return out


def _report(y: np.ndarray, probabilities: np.ndarray, threshold: float) -> str:
    p, r, f, _ = precision_recall_fscore_support(y, probabilities >= threshold, average="binary")
    return f"P {p:.3f} R {r:.3f} F1 {f:.3f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cv-only", action="store_true")
    parser.add_argument("--c", type=float, default=PASSAGE_C)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    in_article, other = examples()
    y = np.array([label for _, _, label in in_article])
    print(
        f"in-article hand-labelled sentences: {len(y)} ({int(y.sum())} events) in "
        f"{len({g for g, _, _ in in_article})} articles; other examples: {len(other)} "
        f"({Counter(label for _, _, label in other)[1]} events)",
        flush=True,
    )
    oof = cross_validate(in_article, other, args.c)
    a, b = _platt(oof, y)
    probabilities = 1.0 / (1.0 + np.exp(-(a * oof + b)))
    grid = np.round(np.arange(0.2, 0.81, 0.05), 2)
    scores = [precision_recall_fscore_support(y, probabilities >= t, average="binary")[2] for t in grid]
    threshold = float(grid[int(np.argmax(scores))])
    print(f"grouped {FOLDS}-fold out-of-fold, C={args.c}:")
    for t in (0.3, 0.4, 0.5, threshold):
        print(f"  threshold {t:.2f}: {_report(y, probabilities, t)}")
    kinds = hand_labels()
    by_kind: Counter[str] = Counter()
    wrong: Counter[str] = Counter()
    sids = sorted(kinds, key=lambda s: (s.rpartition("#")[0], int(s.rpartition("#")[2])))
    for sid, probability in zip(sids, probabilities, strict=True):
        label, detail = kinds[sid]
        kind = "EVENT" if label == "EVENT" else detail
        by_kind[kind] += 1
        wrong[kind] += (probability >= threshold) != (label == "EVENT")
    print("  errors by kind: " + ", ".join(f"{k} {wrong[k]}/{n}" for k, n in by_kind.most_common()))
    if args.cv_only:
        return 0
    features = Featurized([t for _, t, _ in in_article + other], SETTINGS)
    model, buckets, idf = _fit(features, [str(v) for v in y] + [str(label) for _, _, label in other], args.c)
    _save(PASSAGE_MODEL, SETTINGS, buckets, idf, model.coef_.T, model.intercept_, ["event"], [a, b], threshold)
    PassageClassifier._cache.clear()
    print(
        f"wrote {PASSAGE_MODEL} ({PASSAGE_MODEL.stat().st_size / 2**20:.1f} MiB) "
        f"in {time.perf_counter() - started:.0f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
