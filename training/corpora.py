"""Whole real articles from ../shared/data as `conflictwire analyze` reads them, and the fixed rules that keep
training and measuring apart.

- `fakes_split(id)`: FA-KES (whole Syrian-war articles) is split by a seeded hash of its id: "train" or "eval". The
  multi-outlet merge set (`benchmarks/gold/merge-set.json`) and the development gold are held out of training
  whatever their hash says (`training_excluded()`).
- `gvdb`: the Gun Violence Database's own `split` field: train on `dev`, report on `test`.
- `analyze_record(doc_id)`: the analyze input line of a corpus document, by its corpus-qualified id
  ("fakes:<id>", "india:<doc_id>", "muc4:<id>", "gvdb:<id>", "fundus:<file>", "aeb:<id>", "bbc:<n>").

Standard library only (the benchmarks and tests import it without the `train` extra).
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from training.datasets import REPO, SHARED_DATA

GOLD_DIR = REPO / "benchmarks" / "gold"
DEV_GOLD = GOLD_DIR / "dev-gold.jsonl"
MERGE_SET = GOLD_DIR / "merge-set.json"

FAKES_SEED = "conflictwire-fakes-v1"
FAKES_EVAL_SHARE = 50  # percent of FA-KES (by hash) never trained on


def fakes_split(article_id: str) -> str:
    digest = hashlib.sha256(f"{FAKES_SEED}\x1f{article_id}".encode()).hexdigest()
    return "eval" if int(digest[:8], 16) % 100 < FAKES_EVAL_SHARE else "train"


@functools.cache
def fakes() -> dict[str, dict[str, Any]]:
    with (SHARED_DATA / "fakes-syria" / "articles.jsonl").open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return {r["id"]: r for r in rows}


@functools.cache
def gvdb() -> dict[str, dict[str, Any]]:
    with (SHARED_DATA / "gvdb-gun-violence" / "articles.jsonl").open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return {r["id"]: r for r in rows}


@functools.cache
def india() -> dict[str, dict[str, Any]]:
    dates = {}
    with (SHARED_DATA / "india-police-events" / "metadata.jsonl").open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                dates[row["doc_id"]] = row.get("date")
    out = {}
    with gzip.open(SHARED_DATA / "india-police-events" / "docs.jsonl.gz", "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            out[str(row["doc_id"])] = {**row, "date": dates.get(row["doc_id"])}
    return out


@functools.cache
def muc4() -> dict[str, str]:
    with gzip.open(SHARED_DATA / "muc4-grit" / "train.json.gz", "rt", encoding="utf-8") as handle:
        return {doc_id: doc["doc"] for doc_id, doc in json.load(handle).items()}


@functools.cache
def fundus() -> dict[str, dict[str, Any]]:
    with (SHARED_DATA / "fundus-parser-testdata" / "gold.jsonl").open(encoding="utf-8") as handle:
        return {r["file"]: r for r in (json.loads(line) for line in handle if line.strip())}


@functools.cache
def aeb() -> dict[str, dict[str, Any]]:
    return json.loads((SHARED_DATA / "article-extraction-benchmark" / "ground-truth.json").read_text("utf-8"))


@functools.cache
def bbc_texts() -> list[str]:
    with gzip.open(SHARED_DATA / "bbc-news-politics" / "train.tsv.gz", "rt", encoding="utf-8") as handle:
        return [line.rstrip("\n").rsplit("\t", 1)[0] for line in handle if line.strip()]


def _page(path: Path) -> str:
    with gzip.open(path, "rb") as handle:
        return handle.read().decode("utf-8", errors="replace")


def sentence_case(text: str) -> str:
    """MUC-4 is upper case; names are told from words by capitals here, so it is read lower-cased with capitals only
    at sentence starts (acronyms are lost, which the figures then honestly reflect)."""
    out, start = [], True
    for ch in text.lower():
        out.append(ch.upper() if start and ch.isalpha() else ch)
        if ch.isalpha():
            start = False
        elif ch in ".!?\n":
            start = True
    return "".join(out)


def analyze_record(doc_id: str) -> dict[str, Any]:
    """The `conflictwire analyze` input line for a corpus document."""
    corpus, _, key = doc_id.partition(":")
    if corpus == "fakes":
        row = fakes()[key]
        published = fakes_dateline(row["text"])
        return {
            "id": doc_id,
            "title": row["title"],
            "text": row["text"],
            "published": published and published.isoformat(),
        }
    if corpus == "gvdb":
        row = gvdb()[key]
        return {"id": doc_id, "title": row.get("title"), "text": row["text"], "published": row.get("published")}
    if corpus == "india":
        row = india()[key]
        return {"id": doc_id, "text": row["doc_text"], "published": row["date"]}
    if corpus == "muc4":
        return {"id": doc_id, "text": sentence_case(muc4()[key])}
    if corpus == "fundus":
        row = fundus()[key]
        html = _page(SHARED_DATA / "fundus-parser-testdata" / "html" / key)
        return {"id": doc_id, "html": html, "url": row.get("url")}
    if corpus == "aeb":
        html = _page(SHARED_DATA / "article-extraction-benchmark" / "html" / f"{key}.html.gz")
        return {"id": doc_id, "html": html, "url": aeb()[key].get("url")}
    if corpus == "bbc":
        return {"id": doc_id, "text": bbc_texts()[int(key)]}
    raise KeyError(f"unknown corpus in {doc_id!r}")


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def dev_gold_ids(path: Path = DEV_GOLD) -> set[str]:
    return {r["id"] for r in load_jsonl(path)} if path.exists() else set()


def merge_set_ids(path: Path = MERGE_SET) -> set[str]:
    if not path.exists():
        return set()
    groups = json.loads(path.read_text("utf-8"))["groups"]
    return {doc_id for group in groups for doc_id in group["articles"]}


@functools.cache
def merge_candidates() -> frozenset[str]:
    """FA-KES articles that may share an incident with another outlet's: same gold governorate, gold dates at most a
    day apart, different outlets. All of them stay out of training, whatever the merge set's reading of them."""
    items = [
        (f"fakes:{i}", r["gold"]["location"], dt.date.fromisoformat(r["gold"]["date"]), r["source"])
        for i, r in fakes().items()
        if r["gold"].get("date")
    ]
    out: set[str] = set()
    for a in items:
        for b in items:
            if a[0] < b[0] and a[1] == b[1] and a[3] != b[3] and abs((a[2] - b[2]).days) <= 1:
                out.update((a[0], b[0]))
    return frozenset(out)


def training_excluded() -> set[str]:
    """Corpus-qualified ids no model may train on: the development gold and the merge set's candidates."""
    return dev_gold_ids() | merge_set_ids() | merge_candidates()


_DATELINE = re.compile(r"^\s*(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\w*\.?\s+(\d{1,2})\s+(\w{3})\w*\s+(\d{4})")
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}


def fakes_dateline(text: str) -> dt.date | None:
    """FA-KES texts begin "Wed 05 Apr 2017 ...": the day the article was filed."""
    m = _DATELINE.match(text)
    if not m or m.group(2).lower() not in _MONTHS:
        return None
    try:
        return dt.date(int(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1)))
    except ValueError:
        return None


def relevance_articles() -> list:
    """Whole articles for relevance training: GVDB `dev` (label "0") and FA-KES's training half (label "1"), less
    everything `training_excluded()` names."""
    from training.datasets import Example

    excluded = training_excluded()
    out = [
        Example(f"gvdb:{i}", "gvdb", "\n".join(filter(None, [r.get("title"), r["text"]])), "0")
        for i, r in sorted(gvdb().items())
        if r["split"] == "dev" and f"gvdb:{i}" not in excluded
    ]
    out += [
        Example(f"fakes:{i}", "fakes", "\n".join(filter(None, [r.get("title"), r["text"]])), "1")
        for i, r in sorted(fakes().items())
        if fakes_split(i) == "train" and f"fakes:{i}" not in excluded
    ]
    return out
