"""A batch run's accounting, read back from what it wrote: the counts printed and the commit decision.

Nothing here trusts the runner. After the job ends, the driver reads the run's own files (`part-<run_id>-*`) back
and reconciles them with the feed list: every feed in the list has exactly one feed-status row, and every new item
of a feed is an article row or an item dead letter. A run that wrote nothing at all fails too, and where the runner
does report Beam counters, the sink's row counters must match the rows found. Any problem stops the run with a
one-line reason before its commit marker is written (`RunFailed`), so later runs and readers never take it as done.
"""

from __future__ import annotations

import collections
import logging
from types import SimpleNamespace

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from pipelines.batch import is_item_dead_letter
from pipelines.results import RunFailed
from transforms.sinks import files_of_run

log = logging.getLogger(__name__)

# The columns the reconciliation reads of each kind (a run's own files only).
COLUMNS = {
    "feed_status": ["feed_url", "status", "new_items"],
    "articles": ["article_id", "feed_url"],
    "events": ["event_id"],
    "dead_letters": ["stage", "reason", "item_id", "feed_url"],
}


def read_written(location: str, run_id: str) -> dict[str, list[dict]]:
    """The rows `run_id` wrote under `location`, per kind (the reconciliation's columns only)."""
    rows: dict[str, list[dict]] = {}
    for kind, columns in COLUMNS.items():
        try:
            paths = sorted(files_of_run(location, kind, run_id))
        except Exception:  # noqa: BLE001 - a kind never written has no folder: no rows
            paths = []
        rows[kind] = []
        for path in paths:
            with FileSystems.open(path) as handle:
                rows[kind] += pq.read_table(pa.BufferReader(handle.read()), columns=columns).to_pylist()
    return rows


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def reconcile(feeds, rows: dict[str, list[dict]], counters: dict | None = None) -> list[str]:
    """Every way the written rows fail to account for the feed list (most telling first); empty when they add up."""
    feeds = sorted(set(feeds))
    if not any(rows.values()):
        return ["nothing was written: no feed status, article, event or dead-letter rows"]
    problems = []
    statuses = collections.Counter(s["feed_url"] for s in rows["feed_status"])
    missing = [f for f in feeds if f not in statuses]
    if missing:
        first = missing[0]
        problems.append(f"{len(missing)} of {_plural(len(feeds), 'feed')} have no feed_status row (first: {first})")
    repeated = sorted(f for f, n in statuses.items() if n > 1)
    if repeated:
        problems.append(f"{_plural(len(repeated), 'feed')} have more than one feed_status row (first: {repeated[0]})")
    strangers = sorted(set(statuses) - set(feeds))
    if strangers:
        problems.append(f"{_plural(len(strangers), 'feed_status row')} for feeds not in the list: {strangers[0]}")
    articles = collections.Counter(a["feed_url"] for a in rows["articles"])
    dead = collections.Counter(
        d["feed_url"] for d in rows["dead_letters"] if is_item_dead_letter(SimpleNamespace(**d)) and d["feed_url"]
    )
    unaccounted = [
        (s["feed_url"], s["new_items"] or 0)
        for s in rows["feed_status"]
        if (s["new_items"] or 0) != articles[s["feed_url"]] + dead[s["feed_url"]]
    ]
    if unaccounted:
        feed, new = unaccounted[0]
        problems.append(
            f"the new items of {_plural(len(unaccounted), 'feed')} are not each an article or a dead letter "
            f"(first: {feed} has {new} new, {articles[feed]} articles, {dead[feed]} item dead letters)"
        )
    ids = collections.Counter(a["article_id"] for a in rows["articles"])
    doubled = sorted(i for i, n in ids.items() if n > 1)
    if doubled:
        problems.append(f"{_plural(len(doubled), 'article')} written more than once (first: {doubled[0]})")
    for kind, found in rows.items():
        reported = (counters or {}).get(("sink", f"{kind}_rows"))
        if counters is not None and (reported or 0) != len(found):
            problems.append(f"the runner counted {reported or 0} {kind} rows into the sink; {len(found)} were written")
    return problems


def check_run(location: str, run_id: str, feeds, counters: dict | None) -> dict[str, int]:
    """Rows per kind that `run_id` wrote; raises RunFailed (one line) when they do not account for the feeds."""
    rows = read_written(location, run_id)
    problems = reconcile(feeds, rows, counters)
    for problem in problems:
        log.error("run %s: %s", run_id, problem)
    if problems:
        more = f" (and {_plural(len(problems) - 1, 'more problem')})" if len(problems) > 1 else ""
        raise RunFailed(f"run {run_id} not committed: {problems[0]}{more}")
    return {kind: len(found) for kind, found in rows.items()}
