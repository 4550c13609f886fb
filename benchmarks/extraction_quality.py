"""Article extraction quality: bare `trafilatura.extract` against `transforms.extract.extract_article`.

Corpora (read-only, under ../shared/data; each one is skipped when absent):
- article-extraction-benchmark (scrapinghub): gold `articleBody`, scored exactly as upstream `evaluate.py` does:
  text -> `\\w+` tokens -> 4-token shingles; per page TP/FP/FN over shingle multisets (normalised per page); precision
  and recall are averaged over pages, F1 is their harmonic mean. The same with single tokens (n=1) is printed too.
- fundus-parser-testdata: gold `body_text` (many languages), same metric.
- trafilatura-eval: snippet accuracy: share of `with` snippets found in the text and of `without` snippets absent.

Usage: python -m benchmarks.extraction_quality [--limit N] [--corpus NAME ...]
Prints a Markdown table (the report for the issue) plus timing figures; no pass/fail.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import trafilatura

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from transforms.base import StageError  # noqa: E402
from transforms.extract import extract_article  # noqa: E402

SHARED_DATA = Path(os.environ.get("CONFLICTWIRE_SHARED", REPO.parent / "shared")).resolve() / "data"

# --- the upstream metric (scrapinghub/article-extraction-benchmark, evaluate.py) ----------------------------------

_TOKEN_RE = re.compile(r"\w+", re.UNICODE | re.MULTILINE | re.IGNORECASE | re.DOTALL)
SHINGLE_N = 4  # upstream's default n-gram size


def tokenize(text: str | None) -> list[str]:
    return _TOKEN_RE.findall(text or "")


def _shingles(text: str | None, n: int) -> Counter[tuple[str, ...]]:
    tokens = tokenize(text)
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def tp_fp_fn(true: str | None, pred: str | None, n: int = SHINGLE_N) -> tuple[float, float, float]:
    """Shingle-multiset TP/FP/FN of one page, normalised to sum 1 so that long pages weigh no more than short."""
    gold, got = _shingles(true, n), _shingles(pred, n)
    tp = float(sum((gold & got).values()))
    fp = float(sum((got - gold).values()))
    fn = float(sum((gold - got).values()))
    total = tp + fp + fn
    return (tp / total, fp / total, fn / total) if total > 0 else (tp, fp, fn)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fp == 0:
        return 0.0
    return tp / (tp + fp)


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    if tp == fn == 0:
        return 0.0
    return tp / (tp + fn)


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    pages: int


def score(rows: list[tuple[float, float, float]]) -> Scores:
    """Upstream's aggregate: mean precision and mean recall over pages, F1 their harmonic mean."""
    precision = statistics.mean([_precision(*r) for r in rows if r[0] + r[1] > 0] or [0.0])
    recall = statistics.mean([_recall(*r) for r in rows if r[0] + r[2] > 0] or [0.0])
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, len(rows))


# --- corpora -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    page_id: str
    url: str | None
    html: str
    gold: str | None = None  # gold body text
    with_snippets: tuple[str, ...] = ()
    without_snippets: tuple[str, ...] = ()


def _gunzip(path: Path) -> str:
    with gzip.open(path, "rb") as handle:
        return handle.read().decode("utf-8", errors="replace")


def load_scrapinghub(root: Path = SHARED_DATA / "article-extraction-benchmark") -> Iterator[Page]:
    gold = json.loads((root / "ground-truth.json").read_text(encoding="utf-8"))
    for page_id in sorted(gold):
        path = root / "html" / f"{page_id}.html.gz"
        if path.exists():
            yield Page(page_id, gold[page_id].get("url"), _gunzip(path), gold[page_id].get("articleBody") or "")


def load_fundus(root: Path = SHARED_DATA / "fundus-parser-testdata") -> Iterator[Page]:
    with (root / "gold.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            path = root / "html" / row["file"]
            if path.exists() and row.get("body_text"):
                yield Page(row["file"], row.get("url"), _gunzip(path), row["body_text"])


def load_trafilatura_eval(root: Path = SHARED_DATA / "trafilatura-eval") -> Iterator[Page]:
    data = json.loads((root / "evaldata.json").read_text(encoding="utf-8"))
    for url in sorted(data):
        row = data[url]
        path = root / "eval" / f"{row['file']}.gz"
        if path.exists():
            snippets = tuple(row.get("with") or ()), tuple(row.get("without") or ())
            yield Page(row["file"], url, _gunzip(path), None, *snippets)


CORPORA: dict[str, tuple[str, Callable[[], Iterator[Page]]]] = {
    "scrapinghub": ("article-extraction-benchmark", load_scrapinghub),
    "fundus": ("fundus-parser-testdata", load_fundus),
    "trafilatura-eval": ("trafilatura-eval", load_trafilatura_eval),
}

# --- extractors --------------------------------------------------------------------------------------------------


def bare_trafilatura(page: Page) -> str:
    return trafilatura.extract(page.html, url=page.url) or ""


def bare_trafilatura_no_comments(page: Page) -> str:
    # the configuration upstream's benchmark runs trafilatura with
    return trafilatura.extract(page.html, url=page.url, include_comments=False) or ""


def ours(page: Page) -> str:
    try:
        return extract_article(page.html, page.url).text
    except StageError:
        return ""


EXTRACTORS: dict[str, Callable[[Page], str]] = {
    "trafilatura.extract (defaults)": bare_trafilatura,
    "trafilatura.extract (include_comments=False)": bare_trafilatura_no_comments,
    "extract_article": ours,
}


def run_extractors(pages: list[Page]) -> dict[str, tuple[list[str], float]]:
    """Every extractor on every page, interleaved page by page so that load from other processes hits all alike."""
    texts: dict[str, list[str]] = {label: [] for label in EXTRACTORS}
    seconds = dict.fromkeys(EXTRACTORS, 0.0)
    for page in pages:
        for label, extract in EXTRACTORS.items():
            started = time.perf_counter()
            texts[label].append(extract(page))
            seconds[label] += time.perf_counter() - started
    return {label: (texts[label], seconds[label]) for label in EXTRACTORS}


def gold_scores(pages: list[Page], texts: list[str], n: int = SHINGLE_N) -> Scores:
    return score([tp_fp_fn(page.gold, text, n) for page, text in zip(pages, texts, strict=True)])


def snippet_accuracy(pages: list[Page], texts: list[str]) -> tuple[float, float, float]:
    """(share of `with` snippets found, share of `without` snippets absent, their mean)."""

    def norm(text: str) -> str:
        return " ".join(text.split())

    found = total_with = absent = total_without = 0
    for page, text in zip(pages, texts, strict=True):
        text = norm(text)
        found += sum(norm(s) in text for s in page.with_snippets)
        total_with += len(page.with_snippets)
        absent += sum(norm(s) not in text for s in page.without_snippets)
        total_without += len(page.without_snippets)
    with_rate = found / total_with if total_with else 0.0
    without_rate = absent / total_without if total_without else 0.0
    return with_rate, without_rate, (with_rate + without_rate) / 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=None, help="pages per corpus (default: all)")
    parser.add_argument("--corpus", action="append", choices=sorted(CORPORA), help="corpus to run (repeatable)")
    args = parser.parse_args(argv)

    print(
        "| corpus | pages | extractor | P (4-shingle) | R | F1 | F1 (tokens) | snippets with / without / mean "
        "| ms/page (x bare) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name in args.corpus or list(CORPORA):
        folder, loader = CORPORA[name]
        if not (SHARED_DATA / folder).exists():
            print(f"| {name} | - | (corpus not available at {SHARED_DATA / folder}) |||||||")
            continue
        pages = list(loader())[: args.limit]
        results = run_extractors(pages)
        bare_seconds = results["trafilatura.extract (defaults)"][1] or 1.0
        for label, (texts, seconds) in results.items():
            ms = 1000 * seconds / max(1, len(pages))
            if pages and pages[0].gold is not None:
                s4, s1 = gold_scores(pages, texts, SHINGLE_N), gold_scores(pages, texts, 1)
                print(
                    f"| {name} | {len(pages)} | {label} | {s4.precision:.4f} | {s4.recall:.4f} | {s4.f1:.4f} "
                    f"| {s1.f1:.4f} | | {ms:.1f} ({seconds / bare_seconds:.2f}x) |"
                )
            else:
                w, wo, mean = snippet_accuracy(pages, texts)
                print(
                    f"| {name} | {len(pages)} | {label} | | | | | {w:.4f} / {wo:.4f} / {mean:.4f} "
                    f"| {ms:.1f} ({seconds / bare_seconds:.2f}x) |"
                )
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
