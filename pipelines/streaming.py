"""The streaming pipeline: poll the feeds every --poll-interval, keep each item once, write windowed Parquet.

    PeriodicImpulse ─ feed URLs ─ PollFeeds ─ UniqueItemsStreaming ─ window ─ FetchPages ─ AnalyzeArticles
                                      │        (keyed state, expires)                          │         │
                                 feed_status                                    ClusterArticles  MergeEventsStreaming
                                      └────────────── WriteWindowedParquet (one slot per window) ─┴──────────┘

The stages are the batch pipeline's composites. Each window of `window_s` is written as its own run slot,
`<stream_id>-w<window start>`, with files named by window, pane and shard (written to staging, then renamed:
a retried bundle rewrites the same names) and a commit marker under `_runs/`, so batch runs, a restarted
stream and readers all see committed windows only.

Beam's built-in streaming Parquet write produced empty or corrupt files on the local runner in our trials,
hence the writer here. `--max-polls N` bounds a local run: the impulse stops after N polls and the job drains.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import dataclass

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.transforms import userstate, window
from apache_beam.transforms.periodicsequence import PeriodicImpulse
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.utils.timestamp import MAX_TIMESTAMP, Timestamp

from pipelines import batch
from pipelines.options import ConflictwireOptions, with_default_runner
from pipelines.planning import plan_run
from pipelines.results import RunResult, UsageError, counters_of
from pipelines.state import ReadEarlierRows, commit_run
from schemas import EVENTS, RecordKind
from transforms.base import DEAD
from transforms.cluster import ClusterArticles
from transforms.dedup import ITEM_MEMORY_SECONDS, UniqueItemsStreaming
from transforms.feeds import PollFeeds
from transforms.fetch import FetchPages
from transforms.merge import MergeSettings, latest_rows, merge_events
from transforms.sinks import ValidateRows, join, partition_of, staging_dir, write_table

log = logging.getLogger(__name__)

# Events stay mergeable with later reports for this long (event time): a story is re-reported for days.
EVENT_MEMORY_SECONDS = 3 * 24 * 3600
# Rows stamped this far behind the watermark still reach the files (as a window's extra pane, an extra file).
ALLOWED_LATENESS_SECONDS = 6 * 3600
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


def parse_duration(text: str) -> float:
    """Seconds in '90s', '15m', '1h', '2d' or a bare number of seconds."""
    match = _DURATION.match(text or "")
    if not match or float(match.group(1)) <= 0:
        raise ValueError(f"not a positive duration: {text!r} (e.g. 90s, 15m, 1h)")
    return float(match.group(1)) * _UNITS[match.group(2)]


@dataclass(frozen=True)
class StreamPlan:
    run: batch.RunPlan  # feeds, output, settings, earlier state; run.run_id is the stream's id
    poll_interval_s: float
    max_polls: int | None = None  # None: poll until cancelled
    window_s: float | None = None  # None: one window per poll
    item_memory_s: float = ITEM_MEMORY_SECONDS
    start: float | None = None  # first poll (Unix seconds); None: when the pipeline starts

    @property
    def window_seconds(self) -> float:
        return self.window_s or self.poll_interval_s

    def windowing(self) -> Windowing:
        return Windowing(window.FixedWindows(self.window_seconds), ALLOWED_LATENESS_SECONDS)


@dataclass(frozen=True)
class Windowing:
    windowfn: window.WindowFn
    lateness: float

    def into(self) -> beam.WindowInto:
        return beam.WindowInto(self.windowfn, allowed_lateness=self.lateness)


def window_run_id(stream_id: str, window_start: Timestamp) -> str:
    start = dt.datetime.fromtimestamp(float(window_start), dt.timezone.utc)
    return f"{stream_id}-w{start:%Y%m%dT%H%M%SZ}"


class _WriteWindow(beam.DoFn):
    """One window's (and pane's) rows of a kind -> Parquet files in place, then the window's commit marker."""

    def __init__(self, output: str, kind: RecordKind, stream_id: str):
        self.output = output
        self.kind = kind
        self.stream_id = stream_id
        self.files = beam.metrics.Metrics.counter("sink", f"{kind.name}_window_files")

    def process(self, keyed, win=beam.DoFn.WindowParam, pane=beam.DoFn.PaneInfoParam):
        partition, rows = keyed
        run_id = window_run_id(self.stream_id, win.start)
        ordered = sorted((r._replace(run_id=run_id) for r in rows), key=lambda r: str(r[0]))
        shard = pane.index if pane is not None else 0  # a late pane adds a file instead of replacing one
        name = f"part-{run_id}-{shard:05d}.parquet"
        staged = join(staging_dir(self.output, run_id), f"{self.kind.name}-{partition}-{name}")
        final = join(self.output, self.kind.name, f"dt={partition}", name)
        write_table(staged, self.kind, ordered)
        parent = final.rsplit("/", 1)[0]
        if "://" not in parent and not FileSystems.exists(parent):
            FileSystems.mkdirs(parent)
        if FileSystems.exists(final):
            FileSystems.delete([final])
        FileSystems.rename([staged], [final])
        commit_run(self.output, run_id, {"stream_id": self.stream_id})
        self.files.inc()
        yield final


class WriteWindowedParquet(beam.PTransform):
    """Rows of one kind, windowed -> `<output>/<kind>/dt=<date>/part-<stream_id>-w<start>-<pane>.parquet`."""

    def __init__(self, output: str, kind: RecordKind, stream_id: str):
        super().__init__()
        if not output or not stream_id or "/" in stream_id:
            raise ValueError("WriteWindowedParquet needs an output and a path-safe stream id")
        self.output = output
        self.kind = kind
        self.stream_id = stream_id

    def expand(self, rows):
        kind = self.kind
        return (
            rows
            | "ByPartition" >> beam.Map(lambda row: (partition_of(kind, row), row))
            | "Group" >> beam.GroupByKey()
            | "Write" >> beam.ParDo(_WriteWindow(self.output, kind, self.stream_id))
        )


_RECENT = userstate.BagStateSpec("recent", beam.coders.PickleCoder())
_SEEDED = userstate.ReadModifyWriteStateSpec("seeded", beam.coders.BooleanCoder())
_FORGET = userstate.TimerSpec("forget", TimeDomain.WATERMARK)
# Beam reads state and timers from parameter defaults; one shared instance of each.
_RECENT_PARAM = beam.DoFn.StateParam(_RECENT)
_SEEDED_PARAM = beam.DoFn.StateParam(_SEEDED)
_FORGET_PARAM = beam.DoFn.TimerParam(_FORGET)


class _MergeIntoRecent(beam.DoFn):
    """Keyed by country: merge each window's events into the events of earlier windows still remembered.

    A country's memory starts with the events committed runs wrote before the stream started (side input), so a
    restarted stream, or one following scheduled runs, keeps their ids.
    """

    def __init__(self, settings: MergeSettings, memory_s: float):
        self.settings = settings
        self.memory_s = memory_s
        self.updated = beam.metrics.Metrics.counter("merge", "events_updated_from_earlier_windows")
        # Latest event time this worker has processed: timers may fire early (see UniqueItemsStreaming), so
        # what is forgotten is judged against it rather than against the timer's own time.
        self.event_clock = float("-inf")

    def process(
        self,
        keyed,
        earlier,
        timestamp=beam.DoFn.TimestampParam,
        recent=_RECENT_PARAM,
        seeded=_SEEDED_PARAM,
        forget=_FORGET_PARAM,
    ):
        country, new = keyed
        self.event_clock = max(self.event_clock, float(timestamp))
        if not seeded.read():
            seeded.write(True)
            try:
                recorded = list(earlier[country])
            except KeyError:  # a plain dict on some runners, a multimap that answers [] on others
                recorded = []
            for event in latest_rows(recorded):
                recent.add((float(timestamp), event))
        remembered = latest_rows(event for _, event in recent.read())
        known = {e.event_id for e in remembered}
        merged = merge_events(new, remembered, self.settings)
        self.updated.inc(sum(e.event_id in known for e in merged))
        keep = {e.event_id: (float(timestamp), e) for e in merged}
        for stamp, event in recent.read():
            keep.setdefault(event.event_id, (stamp, event))
        recent.clear()
        for stamp_event in keep.values():
            recent.add(stamp_event)
        forget.set(Timestamp.of(float(timestamp) + self.memory_s))
        yield from merged

    @userstate.on_timer(_FORGET)
    def forget_old(self, recent=_RECENT_PARAM):
        alive = [(stamp, event) for stamp, event in recent.read() if stamp + self.memory_s > self.event_clock]
        recent.clear()
        for stamp_event in alive:
            recent.add(stamp_event)


class MergeEventsStreaming(beam.PTransform):
    """MergeEvents for an unbounded stream: per window, merged into what earlier windows recorded (keyed state)."""

    def __init__(
        self,
        earlier: beam.PCollection | None = None,
        settings: MergeSettings | None = None,
        memory_s: float = EVENT_MEMORY_SECONDS,
    ):
        super().__init__()
        self.earlier = earlier
        self.settings = settings or MergeSettings()
        self.memory_s = memory_s

    def expand(self, events):
        windowing = events.windowing
        earlier = self.earlier if self.earlier is not None else events.pipeline | "NoEarlier" >> beam.Create([])
        earlier_by_country = beam.pvalue.AsMultiMap(earlier | "KeyEarlier" >> beam.Map(lambda e: (e.country or "", e)))
        return (
            events
            | "ByCountry" >> beam.Map(lambda e: (e.country or "", e))
            | "Window" >> beam.GroupByKey()
            | "Global" >> beam.WindowInto(window.GlobalWindows())
            | "MergeIntoRecent" >> beam.ParDo(_MergeIntoRecent(self.settings, self.memory_s), earlier_by_country)
            | "Rewindow" >> beam.WindowInto(windowing.windowfn, allowed_lateness=windowing.allowed_lateness)
        )


def _feeds_of_tick(_tick, feeds: tuple[str, ...]):
    yield from feeds


def _by_poll(row, timestamp=beam.DoFn.TimestampParam):
    """Keyed by feed and poll: a poll's status row and its items carry the poll's tick as their timestamp."""
    return (row.feed_url, timestamp.micros), row


def _one_by_poll(row, timestamp=beam.DoFn.TimestampParam):
    return (row.feed_url, timestamp.micros), 1


class StreamRecords(beam.PTransform):
    """Ticks -> the four record kinds, windowed (before the sinks)."""

    def __init__(self, plan: StreamPlan):
        super().__init__()
        self.plan = plan

    def expand(self, ticks):
        run = self.plan.run
        feed_urls = ticks | "FeedsPerPoll" >> beam.FlatMap(_feeds_of_tick, tuple(sorted(set(run.feeds))))
        polled = feed_urls | "Poll" >> PollFeeds(run.settings, run_id=run.run_id, state=run.feed_state)
        items = polled["items"] | "Unique" >> UniqueItemsStreaming(run.seen_item_ids, self.plan.item_memory_s)
        windowing = self.plan.windowing()
        windowed = items | "Window" >> beam.WindowInto(windowing.windowfn, allowed_lateness=windowing.lateness)
        fetched = windowed | "Fetch" >> FetchPages(run.settings)
        analysed = fetched["pages"] | "Analyze" >> batch.AnalyzeArticles(run.run_id, run.language_backend)
        articles = analysed["articles"] | "Cluster" >> ClusterArticles()
        earlier = ticks.pipeline | "EarlierEvents" >> ReadEarlierRows(EVENTS, run.earlier_event_files)
        events = analysed["events"] | "Merge" >> MergeEventsStreaming(earlier=earlier)
        feed_dead = polled[DEAD] | "WindowFeedDead" >> windowing.into()
        dead = (feed_dead, fetched[DEAD], analysed[DEAD]) | "AllDead" >> beam.Flatten()
        # new_items per poll, as batch counts it per run: the poll's items no earlier poll or run had, plus its
        # items that were dead letters already in the feed.
        counts = {
            "status": polled["feed_status"] | "WindowStatus" >> windowing.into() | "StatusByPoll" >> beam.Map(_by_poll),
            "new": windowed | "NewByPoll" >> beam.Map(_one_by_poll),
            "bad_items": feed_dead
            | "BadItems" >> beam.Filter(batch.is_item_dead_letter)
            | "BadByPoll" >> beam.Map(_one_by_poll),
        }
        feed_status = counts | "JoinCounts" >> beam.CoGroupByKey() | "Status" >> beam.FlatMap(batch.merge_status)
        return {
            "articles": articles,
            "events": events,
            "dead_letters": dead,
            "feed_status": feed_status,
        }


class _CheckedWindowedParquet(beam.PTransform):
    """Schema check, then the windowed write: the streaming counterpart of `WriteParquet` ({"files", DEAD})."""

    def __init__(self, output: str, kind: RecordKind, stream_id: str):
        super().__init__()
        self.output = output
        self.kind = kind
        self.stream_id = stream_id

    def expand(self, rows):
        checked = rows | "Check" >> beam.ParDo(ValidateRows(self.kind)).with_outputs(DEAD, main="rows")
        files = checked["rows"] | "Windowed" >> WriteWindowedParquet(self.output, self.kind, self.stream_id)
        return {"files": files, DEAD: checked[DEAD]}


class WriteStreamRecords(batch.WriteRecords):
    """The four record kinds to windowed Parquet under one output, each window committed like a run."""

    def __init__(self, output: str, stream_id: str):
        super().__init__(output, stream_id, writer=_CheckedWindowedParquet)


def build(pipeline: beam.Pipeline, plan: StreamPlan) -> dict:
    start = plan.start if plan.start is not None else time.time()
    stop = start + plan.max_polls * plan.poll_interval_s if plan.max_polls else MAX_TIMESTAMP
    ticks = pipeline | "Polls" >> PeriodicImpulse(
        start_timestamp=start, stop_timestamp=stop, fire_interval=plan.poll_interval_s
    )
    records = ticks | "StreamRecords" >> StreamRecords(plan)
    return records | "Sinks" >> stream_sink(plan.run)


def stream_sink(run: batch.RunPlan) -> beam.PTransform:
    """Windowed Parquet under a folder; for bq:// streaming inserts plus the windowed Parquet state copy."""
    if run.output.startswith("bq://"):
        state_sink = WriteStreamRecords(run.state_location, run.run_id) if run.state_location else None
        return batch.WriteWarehouseAndState(run.output, run.run_id, state_sink)
    return WriteStreamRecords(run.output, run.run_id)


def plan_stream(argv: list[str]) -> tuple[PipelineOptions, StreamPlan]:
    options = with_default_runner(PipelineOptions(argv))
    if "dask" in str(options.view_as(StandardOptions).runner).lower():
        raise UsageError("the Dask runner runs batch only: stream on Dataflow, Flink or the local runner")
    opts = options.view_as(ConflictwireOptions)
    try:
        interval = parse_duration(opts.poll_interval)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if opts.max_polls is not None and opts.max_polls < 1:
        raise UsageError("--max-polls must be at least 1")
    # The same plan as a batch run (feeds, state read from committed earlier runs); the stream id is its run id.
    run = plan_run(options)
    return options, StreamPlan(run=run, poll_interval_s=interval, max_polls=opts.max_polls)


def run_streaming(argv: list[str]):
    """`conflictwire run --streaming ...`: returns the same RunResult as a batch run once the job ends."""
    options, plan = plan_stream(argv)
    started = time.monotonic()
    pipeline = beam.Pipeline(options=options)
    build(pipeline, plan)
    result = pipeline.run()
    result.wait_until_finish()
    return RunResult(plan.run.run_id, plan.run.output, time.monotonic() - started, counters_of(result))
