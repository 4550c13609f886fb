"""De-duplication: each item processed once per run and once across runs.

Items: the same story can arrive from several feeds (or twice in one), and earlier runs may have
processed it already. Each item id is kept once, attributed to one feed chosen deterministically,
so that per feed, new items = article rows + item dead letters.

Streaming (`UniqueItemsStreaming`): the same item comes back at every poll while the feed lists it, so ids are
remembered in keyed state for a bounded time, then forgotten.
"""

from __future__ import annotations

from collections.abc import Iterable

import apache_beam as beam
from apache_beam import coders
from apache_beam.transforms import userstate, window
from apache_beam.transforms.timeutil import TimeDomain
from apache_beam.utils.timestamp import Timestamp

from schemas import FeedItem


def choose_item(copies: Iterable[FeedItem]) -> FeedItem:
    """The copy of an item that a run keeps: the one from the alphabetically first feed (stable across runs)."""
    return min(copies, key=lambda item: (item.feed_url, item.url or "", item.guid or ""))


class _KeepNew(beam.DoFn):
    def __init__(self, seen: frozenset[str]):
        self.seen = seen
        self.kept = beam.metrics.Metrics.counter("dedup", "new_items")
        self.already = beam.metrics.Metrics.counter("dedup", "items_seen_in_earlier_runs")
        self.cross_feed = beam.metrics.Metrics.counter("dedup", "duplicate_copies_in_run")

    def process(self, keyed):
        item_id, copies = keyed
        copies = list(copies)
        if len(copies) > 1:
            self.cross_feed.inc(len(copies) - 1)
        if item_id in self.seen:
            self.already.inc()
            return
        self.kept.inc()
        yield choose_item(copies)


class UniqueItems(beam.PTransform):
    """Keep one copy of each item id, and none of the ids in `seen` (processed by earlier runs)."""

    def __init__(self, seen: Iterable[str] = ()):
        super().__init__()
        self.seen = frozenset(seen)

    def expand(self, items):
        return (
            items
            | "ById" >> beam.Map(lambda item: (item.item_id, item))
            | "Group" >> beam.GroupByKey()
            | "KeepNew" >> beam.ParDo(_KeepNew(self.seen))
        )


# Streaming: how long an item id is remembered. Feeds keep an item for days; remembering it longer than the feed
# shows it means no repeat ever gets through, while state stays bounded by (items per day x this many days).
ITEM_MEMORY_SECONDS = 14 * 24 * 3600


_FIRST_SEEN = userstate.ReadModifyWriteStateSpec("first_seen", coders.FloatCoder())
_FORGET = userstate.TimerSpec("forget", TimeDomain.WATERMARK)
# Beam reads state and timers from parameter defaults; one shared instance of each.
_FIRST_SEEN_PARAM = beam.DoFn.StateParam(_FIRST_SEEN)
_FORGET_PARAM = beam.DoFn.TimerParam(_FORGET)


class _KeepFirstSighting(beam.DoFn):
    """Keyed by item id, in the global window: pass an item the first time its id is seen, drop repeats.

    The id's first sighting (event time) is kept in state; an event-time timer clears the state `memory_s`
    later so state is bounded. A repeat is judged by the stored sighting time rather than by whether the timer
    has fired yet, so the memory is exactly `memory_s` of event time however late the timer runs; a repeat
    after the memory expired counts as a new item (keep `memory_s` longer than feeds list an item).

    Timers can fire early: the in-process FnApiRunner fires every event-time timer at the end of each bundle
    of an unbounded source. So the timer clears the state only once this worker has itself seen an element
    at or past the expiry time; an early firing leaves the state, and the key's next sighting re-arms it.
    """

    def __init__(self, memory_s: float, seen: frozenset[str]):
        self.memory_s = memory_s
        self.seen = seen
        self.kept = beam.metrics.Metrics.counter("dedup", "new_items")
        self.repeats = beam.metrics.Metrics.counter("dedup", "repeated_items")
        self.already = beam.metrics.Metrics.counter("dedup", "items_seen_in_earlier_runs")
        self.forgotten = beam.metrics.Metrics.counter("dedup", "item_ids_forgotten")
        self.early_timers = beam.metrics.Metrics.counter("dedup", "timers_fired_early")
        self.event_clock = float("-inf")  # latest event time this worker has processed

    def process(
        self,
        keyed,
        timestamp=beam.DoFn.TimestampParam,
        first_seen=_FIRST_SEEN_PARAM,
        forget=_FORGET_PARAM,
    ):
        item_id, item = keyed
        if item_id in self.seen:
            self.already.inc()
            return
        now = float(timestamp)
        self.event_clock = max(self.event_clock, now)
        previous = first_seen.read()
        if previous is not None and abs(now - previous) < self.memory_s:
            self.repeats.inc()
            return
        first_seen.write(now)
        forget.set(Timestamp.of(now + self.memory_s))
        self.kept.inc()
        yield item

    @userstate.on_timer(_FORGET)
    def forget_item(self, first_seen=_FIRST_SEEN_PARAM):
        previous = first_seen.read()
        if previous is not None and previous + self.memory_s > self.event_clock:
            self.early_timers.inc()
            return
        self.forgotten.inc()
        first_seen.clear()


class UniqueItemsStreaming(beam.PTransform):
    """Unbounded UniqueItems: each item id passes once within `memory_s` of event time (and never if in `seen`).

    Elements must carry event timestamps (the poll time); the state lives in the global window whatever the
    input's windowing, and the output is re-windowed as the input was.
    """

    def __init__(self, seen: Iterable[str] = (), memory_s: float = ITEM_MEMORY_SECONDS):
        super().__init__()
        if memory_s <= 0:
            raise ValueError("memory_s must be positive")
        self.seen = frozenset(seen)
        self.memory_s = memory_s

    def expand(self, items):
        windowing = items.windowing
        unique = (
            items
            | "GlobalWindow" >> beam.WindowInto(window.GlobalWindows())
            | "ById" >> beam.Map(lambda item: (item.item_id, item))
            | "KeepFirstSighting" >> beam.ParDo(_KeepFirstSighting(self.memory_s, self.seen))
        )
        if isinstance(windowing.windowfn, window.GlobalWindows):
            return unique
        return unique | "Rewindow" >> beam.WindowInto(windowing.windowfn, allowed_lateness=windowing.allowed_lateness)
