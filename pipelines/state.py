"""What a run needs to know of earlier runs, read back from what they wrote (so it works on a folder or a bucket).

A run counts only once it is committed: the driver writes `<output>/_runs/<run_id>.json` after the pipeline
finished, i.e. after all four record kinds were finalised. A run killed half way (some kinds moved into place,
others not) has no marker, so its rows are never read as "seen"; the next run deletes its files
(`clean_uncommitted`) and processes its items again. Exactly one run per output may be in progress at a time
(a scheduler's concurrency limit of one), since a run in progress has no marker either.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from dataclasses import dataclass

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from schemas import RecordKind
from transforms.sinks import NO_DATE, PARTITION_COLUMN, join, read_rows, staging_dir

log = logging.getLogger(__name__)

RUNS_DIR = "_runs"
KINDS = ("articles", "events", "dead_letters", "feed_status")
# Dead-letter reasons worth retrying next run: the network or the server, not the item, was at fault.
TRANSIENT_REASONS = frozenset(
    {
        "timeout",
        "connection_error",
        "dns_error",
        "truncated",
        "tls_error",
        "internal_error",
        "robots_unreachable",
        "host_not_allowed",  # a setting, not the item: a later run with a wider allow-list should fetch it
        "http_408",
        "http_429",
    }
)
# An item that failed transiently this many times (in committed runs within the lookback) is not retried again.
MAX_TRANSIENT_ATTEMPTS = 3
# Near-duplicate copies are looked for among this many days of earlier articles (syndication is a matter of days).
CLUSTER_LOOKBACK_DAYS = 3


def is_transient(reason: str) -> bool:
    return reason in TRANSIENT_REASONS or (reason.startswith("http_5") and len(reason) == 8)


@dataclass(frozen=True)
class PreviousState:
    """What committed earlier runs (within the lookback) tell this run."""

    feed_state: dict  # feed_url -> (etag, last_modified)
    seen_item_ids: frozenset[str]  # articles written, plus items that failed for good
    event_files: tuple[str, ...] = ()  # earlier events, for cross-run merging
    article_files: tuple[str, ...] = ()  # recent earlier articles, for near-duplicate clusters
    committed_runs: frozenset[str] = frozenset()


def marker_path(output: str, run_id: str) -> str:
    return join(output, RUNS_DIR, f"{run_id}.json")


def commit_run(output: str, run_id: str, summary: dict | None = None) -> str:
    """Mark a run as complete: from now on its rows are earlier-run state. Called by the driver after success."""
    if output.startswith("bq://"):
        return ""  # BigQuery loads are atomic per table; there are no files to guard
    body = {"run_id": run_id, "committed_at": dt.datetime.now(dt.timezone.utc).isoformat(), **(summary or {})}
    path = marker_path(output, run_id)
    parent = join(output, RUNS_DIR)
    if "://" not in output and not FileSystems.exists(parent):
        FileSystems.mkdirs(parent)
    tmp = path + ".tmp"
    with FileSystems.create(tmp) as handle:
        handle.write(json.dumps(body, sort_keys=True).encode("utf-8"))
    if FileSystems.exists(path):
        FileSystems.delete([path])
    FileSystems.rename([tmp], [path])
    staged = staging_dir(output, run_id)
    if "://" not in staged and FileSystems.exists(staged):
        FileSystems.delete([staged])  # every staged file has been moved into place; only the empty folder is left
    return path


def discard_run(output: str, run_id: str) -> list[str]:
    """Before a retry of `run_id`'s slot: take its commit marker back, then delete what earlier attempts wrote.

    Marker first: from then on no reader or later run takes the old attempt's rows as committed, so they can go
    (the retry processes their items again). What the retry's own read-back finds is then its own output only.
    Returns the files deleted.
    """
    if output.startswith("bq://"):
        return []
    path = marker_path(output, run_id)
    if FileSystems.exists(path):
        FileSystems.delete([path])
    doomed = [p for kind in KINDS for p in _files(output, kind) if _run_of(p) == run_id]
    try:
        doomed += [m.path for m in FileSystems.match([join(staging_dir(output, run_id), "*")])[0].metadata_list]
    except Exception:  # noqa: BLE001 - no staging folder: nothing staged
        pass
    if doomed:
        FileSystems.delete(doomed)
    return doomed


def committed_runs(output: str, since: dt.datetime | None = None) -> frozenset[str]:
    """Ids of the runs that committed (at or after `since`, by the marker's modification time, when given)."""
    try:
        matches = FileSystems.match([join(output, RUNS_DIR, "*.json")])[0].metadata_list
    except Exception:  # noqa: BLE001 - no marker folder yet: nothing committed
        return frozenset()
    floor = since.timestamp() if since is not None else None
    return frozenset(
        m.path.rsplit("/", 1)[-1][: -len(".json")]
        for m in matches
        if floor is None or (m.last_updated_in_seconds or 0) >= floor
    )


def _run_of(path: str) -> str:
    """The run id in `part-<run_id>-<nnnnn>.parquet`."""
    name = path.rsplit("/", 1)[-1]
    return name[len("part-") : -len(".parquet")].rsplit("-", 1)[0]


def _partition_of(path: str) -> str:
    return path.rsplit(f"{PARTITION_COLUMN}=", 1)[-1].split("/", 1)[0]


def _files(output: str, kind: str) -> list[str]:
    try:
        matches = FileSystems.match([join(output, kind, f"{PARTITION_COLUMN}=*", "part-*.parquet")])[0]
    except Exception:  # noqa: BLE001 - a missing dataset is simply empty
        return []
    return sorted(m.path for m in matches.metadata_list)


def clean_uncommitted(output: str, keep_run_id: str) -> list[str]:
    """Delete the files of runs that never committed (killed half way), except `keep_run_id`'s.

    Their items are then processed again by this run, so the dataset ends with exactly the rows of an
    uninterrupted run. `keep_run_id`'s own leftovers are replaced by its sink, slot by slot.
    """
    if output.startswith("bq://"):
        return []
    committed = committed_runs(output)
    doomed = [
        path
        for kind in KINDS
        for path in _files(output, kind)
        if _run_of(path) not in committed and _run_of(path) != keep_run_id
    ]
    if doomed:
        log.warning("removing %d files of %d uncommitted runs", len(doomed), len({_run_of(p) for p in doomed}))
        FileSystems.delete(doomed)
    try:
        staged = FileSystems.match([join(output, "_staging", "*", "*")])[0].metadata_list
    except Exception:  # noqa: BLE001
        staged = []
    stale_staging = [m.path for m in staged if not m.path.startswith(staging_dir(output, keep_run_id))]
    if stale_staging:
        FileSystems.delete(stale_staging)
    return doomed


def _committed_files(output: str, kind: str, runs: frozenset[str], run_id: str, since: str | None) -> tuple[str, ...]:
    return tuple(
        path
        for path in _files(output, kind)
        if _run_of(path) in runs
        and _run_of(path) != run_id
        and (since is None or _partition_of(path) == NO_DATE or _partition_of(path) >= since)
    )


def _rows(output: str, kind: str, columns: list[str], since: str, committed: frozenset[str], run_id: str) -> list:
    table = read_rows(output, kind, columns, since)
    if table is None:
        return []
    return [r for r in table.to_pylist() if r["run_id"] in committed and r["run_id"] != run_id]


def previous_state(output: str, lookback_days: int, run_id: str, today: dt.date | None = None) -> PreviousState:
    """What committed earlier runs wrote that this run needs.

    Rows of this same run id are left out: a retried run redoes its slot instead of skipping its own items.
    Seen items are the articles written plus items dead-lettered for a permanent reason (a 404, robots, a page
    with no text) or transiently `MAX_TRANSIENT_ATTEMPTS` times; other transient failures are retried.
    """
    today = today or dt.datetime.now(dt.timezone.utc).date()
    since = (today - dt.timedelta(days=lookback_days)).isoformat()
    committed = committed_runs(output)
    earliest = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    feed_state: dict = {}
    status = _rows(
        output, "feed_status", ["feed_url", "etag", "last_modified", "fetched_at", "run_id"], since, committed, run_id
    )
    for row in sorted(status, key=lambda r: r["fetched_at"] or earliest):
        if row["etag"] or row["last_modified"]:
            feed_state[row["feed_url"]] = (row["etag"], row["last_modified"])
    seen = {r["article_id"] for r in _rows(output, "articles", ["article_id", "run_id"], since, committed, run_id)}
    transient_runs: dict[str, set[str]] = {}
    letters = _rows(output, "dead_letters", ["stage", "reason", "item_id", "run_id"], since, committed, run_id)
    for letter in letters:
        if not letter["item_id"] or letter["stage"] == "sink":
            continue  # a feed-level failure, or our own schema bug: the item itself deserves another try
        if is_transient(letter["reason"]):
            transient_runs.setdefault(letter["item_id"], set()).add(letter["run_id"])
        else:
            seen.add(letter["item_id"])
    seen.update(item for item, runs in transient_runs.items() if len(runs) >= MAX_TRANSIENT_ATTEMPTS)
    cluster_since = (today - dt.timedelta(days=min(lookback_days, CLUSTER_LOOKBACK_DAYS))).isoformat()
    # Events are partitioned by the day they happened, which may be long before a run reports them: the
    # lookback picks the runs that wrote them instead.
    start_of_today = dt.datetime.combine(today, dt.time(), dt.timezone.utc)
    recent_runs = committed_runs(output, start_of_today - dt.timedelta(days=lookback_days))
    return PreviousState(
        feed_state=feed_state,
        seen_item_ids=frozenset(seen),
        event_files=_committed_files(output, "events", recent_runs, run_id, None),
        article_files=_committed_files(output, "articles", committed, run_id, cluster_since),
        committed_runs=committed,
    )


def rows_of_file(path: str, kind: RecordKind) -> list:
    """The rows of one Parquet file of `kind`, as the kind's row type."""
    with FileSystems.open(path) as handle:
        table = pq.read_table(pa.BufferReader(handle.read()))
    row_type = kind._row_type
    return [row_type(**{k: v for k, v in row.items() if k in row_type._fields}) for row in table.to_pylist()]


class ReadEarlierRows(beam.PTransform):
    """Rows that committed earlier runs wrote (the files `previous_state` listed), read by the workers."""

    def __init__(self, kind: RecordKind, files: tuple[str, ...]):
        super().__init__()
        self.kind = kind
        self.files = tuple(files)

    def expand(self, pbegin):
        kind = self.kind
        return (
            pbegin
            | "Files" >> beam.Create(sorted(self.files))
            | "Spread" >> beam.Reshuffle()
            | "Read" >> beam.FlatMap(rows_of_file, kind)
        )
