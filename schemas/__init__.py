"""conflictwire's data model: one declaration per record kind, every other form derived from it."""

from schemas.model import Field, RecordKind
from schemas.records import (
    ARTICLES,
    DEAD_LETTERS,
    EVENTS,
    FEED_ITEMS,
    FEED_STATUS,
    SCHEMA_VERSION,
    SINK_KINDS,
    Article,
    DeadLetter,
    Event,
    FeedItem,
    FeedStatus,
    FetchedPage,
)

__all__ = [
    "ARTICLES",
    "DEAD_LETTERS",
    "EVENTS",
    "FEED_ITEMS",
    "FEED_STATUS",
    "SCHEMA_VERSION",
    "SINK_KINDS",
    "Article",
    "DeadLetter",
    "Event",
    "FeedItem",
    "FeedStatus",
    "FetchedPage",
    "Field",
    "RecordKind",
]
