"""De-duplication: each item processed once per run and once across runs.

Items: the same story can arrive from several feeds (or twice in one), and earlier runs may have
processed it already. Each item id is kept once, attributed to one feed chosen deterministically,
so that per feed, new items = article rows + item dead letters.
"""

from __future__ import annotations

from collections.abc import Iterable

import apache_beam as beam

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
