"""Writing record kinds to Parquet datasets, hive-partitioned by date, one deterministic slot per run.

Layout under the output folder (a local path or any Beam filesystem URL such as gs://):

    <output>/<kind>/dt=<YYYY-MM-DD>/part-<run_id>-<nnnnn>.parquet

A run first streams each bundle's rows into files under `<output>/_staging/<run_id>/` (no step holds a
partition's rows: memory stays flat however large the run), and only then moves its files into place,
after removing whatever an earlier attempt of the same run left there: a retried run replaces its own
output instead of adding to it, and a run killed before its finalisation leaves nothing in the dataset.
"""

from __future__ import annotations

import datetime as dt
import logging
import posixpath
import uuid
from collections.abc import Iterable
from typing import Any

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from schemas import RecordKind
from transforms.base import DEAD, dead_letter

log = logging.getLogger(__name__)

PARTITION_COLUMN = "dt"
NO_DATE = "__HIVE_DEFAULT_PARTITION__"  # Hive's, DuckDB's and Spark's name for a null partition value
ROWS_PER_FILE = 20_000
ROWS_PER_ROW_GROUP = 2_000

# Which field dates each kind's rows; the run date stands in for a row without one.
PARTITION_SOURCE = {
    "articles": "fetched_at",
    "events": "event_date",
    "dead_letters": "at",
    "feed_status": "fetched_at",
}


def join(base: str, *parts: str) -> str:
    """Join path parts for local paths and filesystem URLs alike."""
    if "://" in base:
        return posixpath.join(base, *parts)
    return FileSystems.join(base, *parts)


def partition_of(kind: RecordKind, row: Any) -> str:
    value = getattr(row, PARTITION_SOURCE.get(kind.name, ""), None)
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return NO_DATE


def final_file(output: str, kind: str, partition: str, run_id: str, shard: int) -> str:
    return join(output, kind, f"{PARTITION_COLUMN}={partition}", f"part-{run_id}-{shard:05d}.parquet")


def staging_dir(output: str, run_id: str) -> str:
    return join(output, "_staging", run_id)


class _TableWriter:
    """One Parquet file being written: rows go out in row groups, so a bundle never holds more than one group."""

    def __init__(self, path: str, kind: RecordKind):
        self.path = path
        self.kind = kind
        self.schema = kind.arrow_schema()
        self.handle = FileSystems.create(path)
        self.writer = pq.ParquetWriter(self.handle, self.schema, compression="zstd")
        self.buffer: list[dict] = []
        self.rows = 0

    def add(self, row: Any) -> None:
        self.buffer.append(self.kind.to_dict(row))
        self.rows += 1
        if len(self.buffer) >= ROWS_PER_ROW_GROUP:
            self.flush()

    def flush(self) -> None:
        if self.buffer:
            self.writer.write_table(pa.Table.from_pylist(self.buffer, schema=self.schema))
            self.buffer = []

    def close(self) -> None:
        self.flush()
        self.writer.close()
        self.handle.close()


def write_table(path: str, kind: RecordKind, rows: Iterable[Any]) -> int:
    """Write rows of `kind` to one Parquet file at `path` (any Beam filesystem); returns the row count."""
    writer = _TableWriter(path, kind)
    for row in rows:
        writer.add(row)
    writer.close()
    return writer.rows


def files_of_run(output: str, kind: str, run_id: str) -> list[str]:
    pattern = join(output, kind, f"{PARTITION_COLUMN}=*", f"part-{run_id}-*.parquet")
    return [m.path for m in FileSystems.match([pattern])[0].metadata_list]


class ValidateRows(beam.DoFn):
    """Rows that break the schema become dead letters here, before they can spoil a file.

    With a `run_id`, rows that carry none are stamped with it (a batch run's slot). A sink with a stricter check
    or another row shape (BigQuery) subclasses it: `problems`, `shaped`, `dead_letter_ids` and `counter_prefix`.
    """

    counter_prefix = ""

    def __init__(self, kind: RecordKind, run_id: str | None = None):
        self.kind = kind
        self.run_id = run_id
        self.valid = beam.metrics.Metrics.counter("sink", f"{self.counter_prefix}{kind.name}_rows")
        self.invalid = beam.metrics.Metrics.counter("sink", f"{self.counter_prefix}{kind.name}_schema_violations")

    def problems(self, row: Any) -> list[str]:
        """Every way the row breaks its kind's schema; empty when it is fine."""
        return self.kind.validate(row)

    def shaped(self, row: Any) -> Any:
        """What goes on for a valid row."""
        return row

    def dead_letter_ids(self, row: Any) -> dict[str, str | None]:
        return {
            "url": getattr(row, "url", None) or getattr(row, "source_url", None),
            "feed_url": getattr(row, "feed_url", None),
            "item_id": getattr(row, "article_id", None),
        }

    def process(self, row):
        if self.run_id and "run_id" in self.kind.field_names and getattr(row, "run_id", None) is None:
            row = row._replace(run_id=self.run_id)
        problems = self.problems(row)
        if problems:
            self.invalid.inc()
            detail = f"{self.kind.name}: " + "; ".join(problems[:5])
            letter = dead_letter("sink", "schema_violation", detail=detail, **self.dead_letter_ids(row))
            yield beam.pvalue.TaggedOutput(DEAD, letter)
            return
        self.valid.inc()
        yield self.shaped(row)


class _WriteBundle(beam.DoFn):
    """Stream each bundle's rows into staged files, one per date partition (rolled over at `rows_per_file`).

    Only the staged files' names travel on to the finalisation: no step ever holds a partition's rows.
    """

    def __init__(self, output: str, kind: RecordKind, run_id: str, rows_per_file: int):
        self.output = output
        self.kind = kind
        self.run_id = run_id
        self.rows_per_file = rows_per_file
        self.writers: dict[str, _TableWriter] = {}
        self.done: list[tuple[str, str]] = []

    def start_bundle(self):
        self.writers = {}
        self.done = []

    def process(self, row):
        partition = partition_of(self.kind, row)
        writer = self.writers.get(partition)
        if writer is None or writer.rows >= self.rows_per_file:
            if writer is not None:
                writer.close()
                self.done.append((partition, writer.path))
            name = f"{self.kind.name}-{partition}-{uuid.uuid4().hex}.parquet"
            writer = self.writers[partition] = _TableWriter(
                join(staging_dir(self.output, self.run_id), name), self.kind
            )
        writer.add(row)

    def finish_bundle(self):
        for partition, writer in self.writers.items():
            writer.close()
            self.done.append((partition, writer.path))
        for staged in self.done:
            yield WindowedValue(staged, MIN_TIMESTAMP, [GlobalWindow()])
        self.writers = {}
        self.done = []


class _Finalize(beam.DoFn):
    """Replace whatever an earlier attempt of this run wrote for this kind with what this attempt wrote."""

    def __init__(self, output: str, kind: RecordKind, run_id: str):
        self.output = output
        self.kind = kind
        self.run_id = run_id

    def process(self, staged: list[tuple[str, str]]):
        # Shard numbers are given here, once every bundle has written: deterministic names for the run's files.
        moves = []
        for partition in sorted({p for p, _ in staged}):
            paths = sorted(path for p, path in staged if p == partition)
            moves += [
                (path, final_file(self.output, self.kind.name, partition, self.run_id, shard))
                for shard, path in enumerate(paths)
            ]
        targets = {final for _, final in moves}
        stale = [path for path in files_of_run(self.output, self.kind.name, self.run_id) if path not in targets]
        if stale:
            FileSystems.delete(stale)
        for staged, final in sorted(moves):
            if FileSystems.exists(final):
                FileSystems.delete([final])
            parent = final.rsplit("/", 1)[0]
            if "://" not in parent and not FileSystems.exists(parent):
                FileSystems.mkdirs(parent)  # object stores have no folders; local renames need one
            FileSystems.rename([staged], [final])
            yield final


class WriteParquet(beam.PTransform):
    """Write rows of one record kind as a hive-partitioned Parquet dataset under `<output>/<kind>/`.

    Returns a dict: "files" (the final paths written) and DEAD (dead letters for rows that break the schema).
    """

    def __init__(self, output: str, kind: RecordKind, run_id: str, rows_per_file: int = ROWS_PER_FILE):
        super().__init__(label=None)
        if not output:
            raise ValueError("WriteParquet needs an output location")
        if not run_id or "/" in run_id:
            raise ValueError(f"run_id must be a non-empty path-safe string, got {run_id!r}")
        self.output = output
        self.kind = kind
        self.run_id = run_id
        self.rows_per_file = rows_per_file

    def expand(self, rows):
        kind = self.kind
        checked = rows | "Validate" >> beam.ParDo(ValidateRows(kind, self.run_id)).with_outputs(DEAD, main="rows")
        files = (
            checked.rows
            | "Write" >> beam.ParDo(_WriteBundle(self.output, kind, self.run_id, self.rows_per_file))
            | "Collect" >> beam.combiners.ToList()
            | "Finalize" >> beam.ParDo(_Finalize(self.output, self.kind, self.run_id))
        )
        return {"files": files, DEAD: checked[DEAD]}


def read_rows(
    output: str, kind: str, columns: list[str] | None = None, partitions_since: str | None = None
) -> pa.Table | None:
    """Read a kind's dataset (every committed run) for state such as 'what was seen before'.

    `partitions_since` (YYYY-MM-DD) bounds the read to recent partitions: the lookback window.
    """
    pattern = join(output, kind, f"{PARTITION_COLUMN}=*", "*.parquet")
    try:
        matches = FileSystems.match([pattern])[0].metadata_list
    except Exception:  # noqa: BLE001 - a missing dataset is simply empty state
        return None
    tables = []
    for meta in sorted(matches, key=lambda m: m.path):
        partition = meta.path.rsplit(f"{PARTITION_COLUMN}=", 1)[-1].split("/", 1)[0]
        if partitions_since and partition != NO_DATE and partition < partitions_since:
            continue
        with FileSystems.open(meta.path) as handle:
            tables.append(pq.read_table(pa.BufferReader(handle.read()), columns=columns))
    if not tables:
        return None
    return pa.concat_tables(tables, promote_options="default")
