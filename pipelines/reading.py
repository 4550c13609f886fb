"""Reading a run output folder back, without Beam: committed runs only, the latest row per event.

The rules are the ones `docs/incremental-and-streaming.md` gives readers: rows of runs without a commit marker
(`_runs/<run_id>.json`) are left out, and an event that later runs updated is taken from its newest row
(`extracted_at`, then `run_id`). Local folders only (the report and the exports read what a run wrote here).
"""

from __future__ import annotations

import datetime as dt
import glob
import os
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from schemas.records import SINK_KINDS


class OutputError(Exception):
    """The folder given is not a conflictwire output that can be read."""


@dataclass
class Output:
    """What a report or an export reads: the four record kinds, filtered, as Arrow tables."""

    events: pa.Table
    articles: pa.Table
    dead_letters: pa.Table
    feed_status: pa.Table
    committed_runs: frozenset[str]


def committed_runs(root: str) -> frozenset[str]:
    return frozenset(os.path.basename(p)[: -len(".json")] for p in glob.glob(os.path.join(root, "_runs", "*.json")))


# What the report and the exports need of an article (its body text stays on disk).
ARTICLE_COLUMNS = ["article_id", "url", "title", "sitename", "published", "language", "run_id"]


def read_kind(root: str, kind: str, runs: frozenset[str], columns: list[str] | None = None) -> pa.Table:
    """Every row of `kind` written by a committed run (an empty table with the kind's schema when none)."""
    schema = SINK_KINDS[kind].arrow_schema()
    if columns:
        schema = pa.schema([schema.field(name) for name in columns])
    paths = sorted(glob.glob(os.path.join(root, kind, "dt=*", "*.parquet")))
    tables = [pq.read_table(path, columns=columns) for path in paths]
    if not tables:
        return schema.empty_table()
    table = pa.concat_tables(tables, promote_options="default")
    return table.filter(pc.is_in(table["run_id"], pa.array(sorted(runs), pa.string())))


def latest_per_event(events: pa.Table) -> pa.Table:
    """One row per event_id: the newest (by extracted_at, then run_id)."""
    if events.num_rows == 0:
        return events
    order = events.sort_by([("event_id", "ascending"), ("extracted_at", "descending"), ("run_id", "descending")])
    ids = order["event_id"].to_pylist()
    keep = [i for i in range(len(ids)) if i == 0 or ids[i] != ids[i - 1]]
    return order.take(pa.array(keep, pa.int64()))


def _on_or_after(table: pa.Table, column: str, since: dt.date) -> pa.Table:
    values = table[column]
    if pa.types.is_timestamp(values.type):
        bound = pa.scalar(dt.datetime.combine(since, dt.time(), dt.timezone.utc), values.type)
    else:
        bound = pa.scalar(since, values.type)
    return table.filter(pc.fill_null(pc.greater_equal(values, bound), False))


def load_output(root: str, since: dt.date | None = None, countries: tuple[str, ...] = ()) -> Output:
    """Read a run output folder: events (latest row each), their articles, dead letters and feed status.

    `since` keeps events dated on or after it (and side records fetched on or after it); `countries` (ISO
    3166-1 alpha-2, any case) keeps those countries' events, and only the articles those events cite.
    """
    if not os.path.isdir(root):
        raise OutputError(f"no output folder at {root!r}")
    runs = committed_runs(root)
    if not runs:
        raise OutputError(f"{root!r} holds no committed run (no _runs/*.json): is it a conflictwire output?")
    events = latest_per_event(read_kind(root, "events", runs))
    articles = read_kind(root, "articles", runs, ARTICLE_COLUMNS)
    dead = read_kind(root, "dead_letters", runs)
    status = read_kind(root, "feed_status", runs)
    if since is not None:
        events = _on_or_after(events, "event_date", since)
        dead = _on_or_after(dead, "at", since)
        status = _on_or_after(status, "fetched_at", since)
    if countries:
        wanted = pa.array(sorted({c.upper() for c in countries}), pa.string())
        events = events.filter(pc.fill_null(pc.is_in(events["country"], wanted), False))
        cited = {a for ids in events["source_article_ids"].to_pylist() for a in ids or ()}
        cited |= set(events["article_id"].to_pylist())
        articles = articles.filter(pc.is_in(articles["article_id"], pa.array(sorted(cited), pa.string())))
    events = events.sort_by([("event_date", "descending"), ("event_id", "ascending")])
    return Output(events, articles, dead, status, runs)


def parse_date(text: str | None) -> dt.date | None:
    if text is None:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise OutputError(f"--since takes a date as YYYY-MM-DD, got {text!r}") from exc
