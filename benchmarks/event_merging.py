"""Measure near-duplicate clustering and cross-outlet event merging on real articles; prints figures, asserts nothing.

Part 1, near-duplicate articles: the 880 Times of India articles of IndiaPoliceEvents (March 2002), in which the
paper reprinted and lightly edited its own reports across editions. Gold: tests/fixtures/merge/
near_duplicate_pairs.json (hand-labelled). MinHash+LSH as shipped (`transforms.cluster`) at several thresholds,
against SimHash (64-bit, over the same shingles) at several Hamming distances.

Part 2, event merging: the same corpus's documents labelled KILL or FORCE (police violence, many reported by
several articles), run through the event extractor, then merged (`transforms.merge`). Gold: tests/fixtures/
merge/event_gold.json, hand-labelled incidents per event report. Prints reports before merging, events after,
pairs merged rightly and wrongly, and pairs of one incident left apart.

Part 3, multi-outlet merging: the 90 FA-KES articles that share a governorate and a day with another outlet's
(benchmarks/gold/merge-set.json, read by hand: 19 incidents reported by 50 articles, 40 singletons), each run
through `conflictwire analyze`'s stages, then merged. An article pair is merged when one merged event holds
reports from both; pairs of one incident are the gold.

    .venv/bin/python benchmarks/event_merging.py [--only-merge-set]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import itertools
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from schemas import Article  # noqa: E402
from tests.conftest import SHARED_DATA  # noqa: E402
from transforms.cluster import ClusterSettings, MinHasher, assign_clusters, shingles, words  # noqa: E402

CORPUS = SHARED_DATA / "india-police-events"
FIXTURES = REPO / "tests" / "fixtures" / "merge"
UTC = dt.timezone.utc


def load_corpus() -> tuple[dict[int, str], dict[int, dict], dict[int, list[str]]]:
    with gzip.open(CORPUS / "docs.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    meta = {}
    for line in (CORPUS / "metadata.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        meta[row["doc_id"]] = row
    return {r["doc_id"]: r["doc_text"] for r in rows}, meta, {r["doc_id"]: r["doc_labels"] for r in rows}


def pair_scores(predicted: set[tuple[int, int]], copies: set[tuple[int, int]]) -> tuple[int, int, int]:
    return len(predicted & copies), len(predicted - copies), len(copies - predicted)


def simhash(tokens: list[str], size: int = 4) -> int:
    counts = np.zeros(64)
    for gram in shingles(tokens, size):
        value = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "big")
        bits = np.array([(value >> i) & 1 for i in range(64)])
        counts += np.where(bits == 1, 1, -1)
    return int(sum(1 << i for i in range(64) if counts[i] > 0))


def near_duplicates(docs: dict[int, str]) -> None:
    gold = json.loads((FIXTURES / "near_duplicate_pairs.json").read_text())
    copies = {tuple(sorted(p)) for p in gold["copy"]}
    print(
        f"near-duplicates: {len(docs)} articles, {len(copies)} hand-labelled copy pairs "
        f"({len(gold['different'])} look-alike pairs labelled different)"
    )
    print(f"  {'method':<34} {'found':>5} {'wrong':>5} {'missed':>6} {'precision':>9} {'recall':>6} {'ms/doc':>7}")

    def report(name: str, predicted: set[tuple[int, int]], seconds: float) -> None:
        hit, wrong, missed = pair_scores(predicted, copies)
        precision = hit / (hit + wrong) if hit + wrong else 1.0
        print(
            f"  {name:<34} {hit:>5} {wrong:>5} {missed:>6} {precision:>9.2f} {hit / len(copies):>6.2f} "
            f"{1000 * seconds / len(docs):>7.2f}"
        )

    variants = [(3, 0.3), (3, 0.35), (3, 0.4), (3, 0.5), (4, 0.35), (4, 0.5), (5, 0.35)]
    for size, threshold in variants:
        settings = ClusterSettings(shingle_words=size, threshold=threshold)
        started = time.perf_counter()
        hasher = MinHasher(settings)
        signed = [hasher.sign(Article(article_id=str(d), url="u", text=t)) for d, t in docs.items()]
        clusters = assign_clusters(signed, settings)
        seconds = time.perf_counter() - started
        members = defaultdict(list)
        for article, cluster in clusters.items():
            members[cluster].append(int(article))
        predicted = {tuple(sorted(p)) for group in members.values() for p in itertools.combinations(group, 2)}
        shipped = " (shipped)" if settings == ClusterSettings() else ""
        report(f"MinHash {size}-word J>={threshold}{shipped}", predicted, seconds)

    started = time.perf_counter()
    hashes = {d: simhash(words(t), 3) for d, t in docs.items()}
    seconds = time.perf_counter() - started
    ids = sorted(hashes)
    for distance in (3, 6, 10, 14):
        predicted = {
            (a, b) for a, b in itertools.combinations(ids, 2) if bin(hashes[a] ^ hashes[b]).count("1") <= distance
        }
        report(f"SimHash-64 3-word hamming<={distance}", predicted, seconds)


def extracted_reports(docs, meta, labels) -> list:
    from transforms.events import EventExtractor

    extractor = EventExtractor()
    chosen = sorted(d for d, lab in labels.items() if {"KILL", "FORCE"} & set(lab))
    reports = []
    for doc_id in chosen:
        day = dt.date.fromisoformat(meta[doc_id]["date"])
        article = Article(
            article_id=f"toi{doc_id}",
            url=meta[doc_id]["url"],
            text=docs[doc_id],
            language="en",
            language_confidence=1.0,
            is_conflict=True,
            conflict_score=1.0,
            published=dt.datetime(day.year, day.month, day.day, 6, tzinfo=UTC),
        )
        reports.extend(extractor.extract(article, "bench"))
    return reports


def event_merging(docs, meta, labels, dump: Path | None) -> None:
    from transforms.merge import MergeSettings

    started = time.perf_counter()
    reports = extracted_reports(docs, meta, labels)
    extract_s = time.perf_counter() - started
    print(
        f"event merging: {len(reports)} event reports from {len({r.article_id for r in reports})} articles"
        f"  [extraction {extract_s:.1f}s]"
    )
    for overlap in (0.2, 0.25, 0.3, 0.4):
        settings = MergeSettings(region_evidence_jaccard=overlap)
        shipped = " (shipped)" if settings == MergeSettings() else ""
        print(f" region-level wording overlap >= {overlap}{shipped}")
        score_merging(reports, settings, dump)
        dump = None


def score_merging(reports, settings, dump: Path | None) -> None:
    from transforms.merge import cluster_events, merge_events

    started = time.perf_counter()
    merged = merge_events(reports, settings=settings)
    merge_s = time.perf_counter() - started
    groups = cluster_events(reports, settings=settings)
    if dump:
        dump.write_text(
            json.dumps(
                [
                    {
                        "event_id": r.event_id,
                        "article": r.article_id,
                        "date": str(r.event_date),
                        "type": r.event_type,
                        "location": r.location,
                        "admin1": r.admin1,
                        "fatalities": r.fatalities,
                        "evidence": r.evidence,
                    }
                    for r in reports
                ],
                indent=1,
                ensure_ascii=False,
            )
        )
        print(f"  wrote {len(reports)} reports to {dump} for labelling")
    multi = [m for m in merged if m.source_count > 1]
    print(
        f"  {len(reports)} reports -> {len(merged)} events after merging ({len(multi)} with several sources)"
        f"  [merging {1000 * merge_s:.1f} ms]"
    )
    gold_path = FIXTURES / "event_gold.json"
    if not gold_path.exists():
        print("  no gold labels yet (tests/fixtures/merge/event_gold.json)")
        return
    gold = json.loads(gold_path.read_text())
    doc_incident = {f"toi{doc}": name for name, docs_ in gold["incidents"].items() for doc in docs_}
    incident = {r.event_id: doc_incident.get(r.article_id, "_alone_" + r.article_id) for r in reports}
    report_group = {member.event_id: members[0].event_id for members in groups for member in members}
    ids = sorted(incident)
    merged_pairs = {(a, b) for a, b in itertools.combinations(ids, 2) if report_group[a] == report_group[b]}
    gold_pairs = {
        (a, b)
        for a, b in itertools.combinations(ids, 2)
        if incident[a] == incident[b] and not incident[a].startswith("_alone_")
    }
    right, wrong, missed = merged_pairs & gold_pairs, merged_pairs - gold_pairs, gold_pairs - merged_pairs
    gold_events = len(set(incident.values()))
    print(f"  gold: {len(gold['incidents'])} incidents reported by several documents; {gold_events} real events")
    print(
        f"  report pairs merged rightly {len(right)}, wrongly {len(wrong)}, same incident left apart {len(missed)}"
        f" (of {len(gold_pairs)} gold pairs)"
    )
    by_id = {r.event_id: r for r in reports}
    for label, pairs in (("wrongly merged", wrong), ("left apart", missed)):
        for a, b in sorted(pairs):
            ra, rb = by_id[a], by_id[b]
            print(
                f"    {label}: {ra.article_id} ({incident[a]}, {ra.event_type}, {ra.event_date}) + "
                f"{rb.article_id} ({incident[b]}, {rb.event_type}, {rb.event_date})"
            )


def merge_set() -> None:
    from pipelines.analyze import Analyzer
    from training.corpora import MERGE_SET
    from transforms.merge import cluster_events, event_from_dict, sources_of

    sys.path.insert(0, str(REPO / "benchmarks"))
    from evaluate_events import analyze_corpus_documents

    if not MERGE_SET.exists() or not (SHARED_DATA / "fakes-syria").exists():
        print("merge set: benchmarks/gold/merge-set.json or shared/data/fakes-syria not available")
        return
    gold = json.loads(MERGE_SET.read_text("utf-8"))
    ids = sorted({a for g in gold["groups"] for a in g["articles"]} | {s["id"] for s in gold["singletons"]})
    same = {tuple(sorted(p)) for g in gold["groups"] for p in itertools.combinations(g["articles"], 2)}
    results = analyze_corpus_documents(ids, Analyzer())

    def typed(row: dict) -> dict:
        # analyze writes JSON: dates and times back to Python values, as the Parquet sink would give them
        day = row.get("event_date")
        published = row.get("published")
        return {
            **row,
            "event_date": dt.date.fromisoformat(day) if day else None,
            "published": dt.datetime.fromisoformat(published) if published else None,
        }

    events = [event_from_dict(typed(e)) for r in results for e in r.get("events") or []]
    merged: set[tuple[str, str]] = set()
    for members in cluster_events(events):
        articles = sorted({a for m in members for a in sources_of(m)})
        merged.update(itertools.combinations(articles, 2))
    tp = len(merged & same)
    print(
        f"Multi-outlet merge set (FA-KES): {len(ids)} articles, {len(gold['groups'])} incidents, {len(same)} gold "
        f"pairs; {len(events)} events before merging"
    )
    print(
        f"  pair precision {tp / max(len(merged), 1):.3f} ({tp}/{len(merged)}), "
        f"recall {tp / max(len(same), 1):.3f} ({tp}/{len(same)})"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--skip-near-duplicates", action="store_true")
    parser.add_argument("--skip-events", action="store_true")
    parser.add_argument("--only-merge-set", action="store_true")
    parser.add_argument("--dump-reports", type=Path, help="write the extracted reports as JSON (for labelling)")
    args = parser.parse_args(argv)
    merge_set()
    if args.only_merge_set:
        return 0
    if not CORPUS.exists():
        print(f"corpus not available: {CORPUS}")
        return 0
    docs, meta, labels = load_corpus()
    if not args.skip_near_duplicates:
        near_duplicates(docs)
    if not args.skip_events:
        event_merging(docs, meta, labels, args.dump_reports)
    return 0


if __name__ == "__main__":
    sys.exit(main())
