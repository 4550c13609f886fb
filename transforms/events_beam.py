"""The Beam transform of the events stage (re-exported by transforms/events.py, which stays free of Beam)."""

from __future__ import annotations

from typing import Any

import apache_beam as beam

from transforms.base import DEAD, dead_letter
from transforms.events import EVENTS_TAG, EventExtractor, _analysable


class _ExtractEventsFn(beam.DoFn):
    def __init__(self, run_id: str | None):
        self.run_id = run_id
        self.analysed = beam.metrics.Metrics.counter("events", "articles_analysed")
        self.skipped_language = beam.metrics.Metrics.counter("events", "articles_unsupported_language")
        self.not_conflict = beam.metrics.Metrics.counter("events", "articles_not_conflict")
        self.events = beam.metrics.Metrics.counter("events", "events_extracted")
        self.failed = beam.metrics.Metrics.counter("events", "articles_failed")
        self.extractor: EventExtractor | None = None

    def setup(self) -> None:
        self.extractor = EventExtractor()

    def process(self, article: Any):
        if not article.is_conflict:
            self.not_conflict.inc()
            yield article._replace(event_count=0)
            return
        if not _analysable(article):
            self.skipped_language.inc()
            yield article._replace(event_count=0)
            return
        try:
            events = self.extractor.extract(article, self.run_id)
        except Exception as exc:  # noqa: BLE001 - any failure of one article becomes its dead letter
            self.failed.inc()
            yield beam.pvalue.TaggedOutput(
                DEAD,
                dead_letter(
                    "events",
                    "extraction_failed",
                    url=article.url,
                    item_id=article.article_id,
                    detail=f"{type(exc).__name__}: {exc}",
                ),
            )
            yield article._replace(event_count=0)
            return
        self.analysed.inc()
        self.events.inc(len(events))
        for event in events:
            yield beam.pvalue.TaggedOutput(EVENTS_TAG, event)
        yield article._replace(event_count=len(events))


class ExtractEvents(beam.PTransform):
    """PCollection[Article] -> main: Articles with event_count; "events": Event rows; DEAD: DeadLetter rows."""

    def __init__(self, run_id: str | None = None):
        super().__init__()
        self.run_id = run_id

    def expand(self, articles):
        return articles | "ExtractEvents" >> beam.ParDo(_ExtractEventsFn(self.run_id)).with_outputs(
            EVENTS_TAG, DEAD, main="articles"
        )
