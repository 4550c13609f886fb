"""Streaming: windowed Parquet written once per window and pane, events merged across windows, a bounded run."""

from __future__ import annotations

import datetime as dt

import apache_beam as beam
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing import test_stream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import window

from pipelines.state import committed_runs, previous_state
from pipelines.streaming import MergeEventsStreaming, WriteWindowedParquet, parse_duration, run_streaming, window_run_id
from schemas import EVENTS, Event
from tests.test_incremental import FEED, FIRST_PAGES, LATER_PAGES, ChangingFeedServer
from transforms.merge import event_from_dict, latest_rows
from transforms.sinks import read_rows

UTC = dt.timezone.utc
T0 = 1_699_999_980  # aligned to a minute: windows of 60 s start at T0


def _report(article: str, day: int = 10, location: str = "Kramatorsk", fatalities: int | None = None) -> Event:
    return Event(
        event_id=f"{article}-e0",
        article_id=article,
        event_type="Explosions/Remote violence",
        event_date=dt.date(2024, 5, day),
        country="UA",
        admin1="Donetsk",
        location=location,
        geo_precision=1,
        fatalities=fatalities,
        casualty_text=f"{fatalities} killed" if fatalities else None,
        published=dt.datetime(2024, 5, day, 8, tzinfo=UTC),
        source_article_ids=[article],
        extracted_at=dt.datetime(2024, 5, day, 9, tzinfo=UTC),
    )


def _streaming_pipeline() -> beam.Pipeline:
    return beam.Pipeline(runner="BundleBasedDirectRunner", options=PipelineOptions(streaming=True))


def test_durations_parse_in_the_units_the_cli_documents():
    assert [parse_duration(t) for t in ("90s", "15m", "1h", "2d", "30")] == [90, 900, 3600, 172800, 30]
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_windowed_writes_merge_a_later_windows_report_into_the_recorded_event_and_keep_late_panes(tmp_path):
    out = str(tmp_path)
    stream = (
        test_stream.TestStream()
        .add_elements(
            [
                window.TimestampedValue(_report("ap", fatalities=5), T0 + 10),
                window.TimestampedValue(_report("other", location="Lviv"), T0 + 20),
            ]
        )
        .advance_watermark_to(T0 + 70)  # window 1 [T0, T0+60) closes
        .add_elements([window.TimestampedValue(_report("reuters", fatalities=7), T0 + 80)])
        .add_elements([window.TimestampedValue(_report("late", location="Odesa"), T0 + 30)])  # late for window 1
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        events = p | stream | beam.WindowInto(window.FixedWindows(60), allowed_lateness=3600) | MergeEventsStreaming()
        _ = events | WriteWindowedParquet(out, EVENTS, "s1")

    first, second = window_run_id("s1", T0), window_run_id("s1", T0 + 60)
    assert committed_runs(out) == {first, second}
    rows = [Event(**r) for r in read_rows(out, "events").to_pylist()]
    by_run = sorted((r.run_id, r.event_id, tuple(r.source_article_ids)) for r in rows)
    assert by_run == [
        (first, "ap-e0", ("ap",)),
        (first, "late-e0", ("late",)),
        (first, "other-e0", ("other",)),
        (second, "ap-e0", ("ap", "reuters")),  # the updated event, under its first id
    ]
    files = sorted(p.name for p in (tmp_path / "events").glob("dt=*/*.parquet"))
    # window 1's on-time pane, its late pane (a file of its own) and window 2's pane
    assert files == [f"part-{first}-00000.parquet", f"part-{first}-00001.parquet", f"part-{second}-00000.parquet"]
    latest = latest_rows(rows)
    assert len({e.event_id for e in latest}) == len(latest) == 3
    merged = next(e for e in latest if e.event_id == "ap-e0")
    assert merged.source_count == 2 and sorted(c["fatalities"] for c in merged.claims) == [5, 7]
    # committed windows are earlier-run state for a batch run or a restarted stream
    assert previous_state(out, 30, "next", today=dt.date(2024, 5, 12)).event_files


class PollCountingServer(ChangingFeedServer):
    """The changing feed, advancing to its next version at every poll."""

    def __init__(self, root, versions: list[list[str]]):
        super().__init__(root)
        self.versions = versions
        self.polls = 0

    def body(self, path: str) -> bytes | None:
        if path == FEED:
            self.paths = self.versions[min(self.polls, len(self.versions) - 1)]
            self.polls += 1
        return super().body(path)


def test_a_bounded_streaming_run_polls_a_changing_feed_and_writes_each_item_once(tmp_path):
    a, b, c, d = FIRST_PAGES[0], FIRST_PAGES[1], FIRST_PAGES[2], LATER_PAGES[0]
    root = tmp_path / "snapshot"
    root.mkdir()
    out = tmp_path / "out"
    with PollCountingServer(root, [[a, b], [a, b, c], [b, c, d]]) as server:
        feeds = tmp_path / "feeds.txt"
        feeds.write_text(server.url(FEED) + "\n")
        result = run_streaming(
            [
                "--streaming",
                "--poll-interval",
                "1s",
                "--max-polls",
                "3",
                "--feeds",
                str(feeds),
                "--output",
                str(out),
                "--allow-host",
                "127.0.0.1",
                "--run-id",
                "s1",
            ]
        )
        assert server.polls == 3
    articles = read_rows(str(out), "articles").to_pylist()
    assert sorted(x["url"].split(str(server.base_url))[1] for x in articles) == sorted([a, b, c, d])
    windows = committed_runs(str(out))
    assert windows and all(w.startswith("s1-w") for w in windows)
    assert {x["run_id"] for x in articles} <= windows
    statuses = read_rows(str(out), "feed_status").to_pylist()
    assert len(statuses) == 3  # one row per poll
    # new_items per poll, as a batch run counts them: a and b, then c, then d
    assert [s["new_items"] for s in sorted(statuses, key=lambda s: s["fetched_at"])] == [2, 1, 1]
    dead = read_rows(str(out), "dead_letters")
    item_dead = [d for d in (dead.to_pylist() if dead is not None else []) if d["item_id"] and d["feed_url"]]
    assert sum(s["new_items"] for s in statuses) == len(articles) + len(item_dead)
    assert result.counters.get(("dedup", "repeated_items")) == 4  # a and b again, then b and c
    events = latest_rows(event_from_dict(r) for r in read_rows(str(out), "events").to_pylist())
    assert len({e.event_id for e in events}) == len(events)


def test_a_stream_merges_reports_into_events_that_runs_before_it_recorded():
    recorded = _report("batch-run", fatalities=3)._replace(run_id="r1", source_count=1)
    stream = (
        test_stream.TestStream()
        .add_elements([window.TimestampedValue(_report("ap", fatalities=5), T0 + 10)])
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        earlier = p | "Earlier" >> beam.Create([recorded])
        merged = p | stream | beam.WindowInto(window.FixedWindows(60)) | MergeEventsStreaming(earlier=earlier)
        assert_that(
            merged | beam.Map(lambda e: (e.event_id, tuple(e.source_article_ids))),
            equal_to([("batch-run-e0", ("batch-run", "ap"))]),
        )


def test_streaming_on_the_dask_runner_is_refused_in_one_line():
    from pipelines.results import UsageError

    with pytest.raises(UsageError, match="Dask runner runs batch only"):
        run_streaming(["--streaming", "--runner", "DaskRunner", "--feeds", "f.txt", "--output", "out"])
