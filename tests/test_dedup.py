"""Each item once: in a batch run, across runs, and in a streaming job whose polls repeat items."""

from __future__ import annotations

import datetime as dt

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing import test_stream
from apache_beam.testing.util import assert_that, equal_to
from apache_beam.transforms import window

from schemas import FeedItem
from transforms.dedup import UniqueItems, UniqueItemsStreaming

UTC = dt.timezone.utc
HOUR = 3600.0


def item(item_id: str, feed: str = "https://a.example/feed") -> FeedItem:
    return FeedItem(item_id=item_id, feed_url=feed, url=f"https://a.example/{item_id}")


def _streaming_pipeline() -> beam.Pipeline:
    # TestStream needs a streaming runner; the bundle-based DirectRunner runs it in-process without Prism.
    return beam.Pipeline(runner="BundleBasedDirectRunner", options=PipelineOptions(streaming=True))


def test_batch_keeps_one_copy_per_item_from_the_alphabetically_first_feed_and_none_seen_before():
    items = [item("x", "https://b.example/f"), item("x", "https://a.example/f"), item("y"), item("old")]
    with beam.Pipeline(runner="FnApiRunner") as p:
        kept = p | beam.Create(items) | UniqueItems(seen={"old"})
        assert_that(
            kept | beam.Map(lambda i: (i.item_id, i.feed_url)),
            equal_to([("x", "https://a.example/f"), ("y", "https://a.example/feed")]),
        )


def test_streaming_drops_repeats_and_late_copies_but_lets_an_item_back_after_its_memory_expires():
    memory = 10 * HOUR
    stream = (
        test_stream.TestStream()
        .add_elements([window.TimestampedValue(item("a"), 0), window.TimestampedValue(item("b"), 0)])
        .advance_watermark_to(1 * HOUR)
        # the next poll repeats a and b and brings c; a late copy of c (stamped before the watermark) follows
        .add_elements([window.TimestampedValue(item(i), 1 * HOUR) for i in ("a", "b", "c")])
        .add_elements([window.TimestampedValue(item("c"), 0.5 * HOUR)])
        .advance_watermark_to(2 * HOUR)
        .add_elements([window.TimestampedValue(item("old"), 2 * HOUR)])  # processed by an earlier run
        .advance_watermark_to(20 * HOUR)  # a's and b's memory (10 h) has run out and their state is cleared
        .add_elements([window.TimestampedValue(item("a"), 20 * HOUR), window.TimestampedValue(item("b"), 19 * HOUR)])
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        kept = (
            p
            | stream
            | UniqueItemsStreaming(seen={"old"}, memory_s=memory)
            | beam.Map(lambda i, t=beam.DoFn.TimestampParam: (i.item_id, float(t) / HOUR))
        )
        # c's late copy (0.5 h) is within c's memory: dropped. a and b, 19-20 h after their first sighting, pass.
        assert_that(kept, equal_to([("a", 0.0), ("b", 0.0), ("c", 1.0), ("a", 20.0), ("b", 19.0)]))


def test_streaming_dedup_keeps_the_input_windows_for_the_writers_downstream():
    stream = (
        test_stream.TestStream()
        .add_elements([window.TimestampedValue(item("a"), 10), window.TimestampedValue(item("a"), 70)])
        .add_elements([window.TimestampedValue(item("b"), 70)])
        .advance_watermark_to_infinity()
    )
    with _streaming_pipeline() as p:
        per_window = (
            p
            | stream
            | beam.WindowInto(window.FixedWindows(60))
            | UniqueItemsStreaming(memory_s=HOUR)
            | beam.Map(lambda i: ("n", i.item_id))
            | beam.GroupByKey()
            | beam.Map(lambda kv, w=beam.DoFn.WindowParam: (int(w.start), sorted(kv[1])))
        )
        assert_that(per_window, equal_to([(0, ["a"]), (60, ["b"])]))
