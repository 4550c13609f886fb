"""The record kinds conflictwire reads and writes, each declared once.

feed item -> article -> event, plus the two side records every run writes: a dead letter for whatever
could not be turned into an article or event, and a feed status row per feed per run.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from schemas.model import Field, RecordKind

SCHEMA_VERSION = "1.0"

_VERSION = Field(
    "schema_version", "STRING", description="Version of this schema the row was written with.", default=SCHEMA_VERSION
)
_RUN = Field("run_id", "STRING", description="Deterministic id of the run (slot) that wrote the row.")

FEED_ITEMS = RecordKind(
    name="feed_items",
    description="One entry of a polled feed, before its page is fetched.",
    fields=(
        Field("item_id", "STRING", "REQUIRED", "Stable id: hash of the canonical URL (or the GUID without a link)."),
        Field("feed_url", "STRING", "REQUIRED", "The feed the item came from."),
        Field("url", "STRING", description="The item's link, canonicalised."),
        Field("guid", "STRING", description="The feed's own id for the item."),
        Field("title", "STRING"),
        Field("summary", "STRING", description="The feed's summary or description, as text."),
        Field("published", "TIMESTAMP", description="Publication time given by the feed."),
        Field("feed_language", "STRING", description="Language the feed declares, if any."),
        Field("seen_at", "TIMESTAMP", description="When the feed was polled."),
    ),
)

ARTICLES = RecordKind(
    name="articles",
    description="A fetched, extracted, language-tagged and classified news article.",
    fields=(
        Field("article_id", "STRING", "REQUIRED", "Stable id: hash of the canonical URL."),
        Field("url", "STRING", "REQUIRED", "The URL the article was fetched from (after redirects)."),
        Field("canonical_url", "STRING", description="The page's canonical URL, tracking parameters stripped."),
        Field("feed_url", "STRING", description="The feed that announced the article."),
        Field("guid", "STRING", description="The feed's id for the item."),
        Field("title", "STRING"),
        Field("text", "STRING", description="Main body text."),
        Field("description", "STRING", description="Summary from the page metadata or the feed."),
        Field("authors", "STRING", "REPEATED"),
        Field("sitename", "STRING"),
        Field("published", "TIMESTAMP", description="Publication time (page metadata, else the feed)."),
        Field("fetched_at", "TIMESTAMP", description="When the page was fetched."),
        Field("http_status", "INT64"),
        Field("declared_language", "STRING", description="Language the page (or else the feed) declares; a hint."),
        Field("language", "STRING", description="Detected: ISO 639-1 code (or 639-3 where there is none)."),
        Field("language_confidence", "FLOAT64", description="Detector's probability for `language`, 0-1."),
        Field("is_conflict", "BOOL", description="Reports political violence, protest or conflict (ACLED's scope)."),
        Field("conflict_score", "FLOAT64", description="Calibrated probability that is_conflict is true."),
        Field("event_count", "INT64", description="Events extracted from the article."),
        Field("cluster_id", "STRING", description="Shared by near-duplicate articles (syndicated copy)."),
        _RUN,
        _VERSION,
    ),
    partition_field="fetched_at",
    cluster_fields=("language", "is_conflict"),
)

CLAIM = Field(
    "claims",
    "RECORD",
    "REPEATED",
    "Every casualty figure reported for the event, with who claims it.",
    fields=(
        Field("source_article_id", "STRING", description="Article the claim was read in."),
        Field("claimed_by", "STRING", description="Who makes the claim (a ministry, a spokesperson, 'reported')."),
        Field("fatalities", "INT64", description="Killed, when a number is given."),
        Field("wounded", "INT64", description="Wounded, when a number is given."),
        Field("vague", "BOOL", description="True when the figure is a vague amount ('dozens'), not a count."),
        Field("text", "STRING", description="The exact phrase the figure was read from."),
    ),
)

EVENTS = RecordKind(
    name="events",
    description="One political-violence or protest event, normalised to ACLED's categories.",
    fields=(
        Field("event_id", "STRING", "REQUIRED", "Stable id of the real-world event."),
        Field("article_id", "STRING", "REQUIRED", "The article the event was first read in."),
        Field("disorder_type", "STRING", description="ACLED disorder type."),
        Field("event_type", "STRING", description="ACLED event type (6)."),
        Field("sub_event_type", "STRING", description="ACLED sub-event type (25)."),
        Field("event_date", "DATE"),
        Field("date_precision", "INT64", description="ACLED time precision: 1 day, 2 week, 3 month."),
        Field("date_text", "STRING", description="The expression the date was resolved from."),
        Field("actor1", "STRING"),
        Field("actor1_type", "STRING", description="State forces, rebel group, political militia, ..."),
        Field("actor1_country", "STRING", description="ISO 3166-1 alpha-2."),
        Field("actor2", "STRING"),
        Field("actor2_type", "STRING"),
        Field("actor2_country", "STRING", description="ISO 3166-1 alpha-2."),
        Field("location", "STRING", description="Place name as resolved."),
        Field("location_text", "STRING", description="Place name as written in the article."),
        Field("admin1", "STRING"),
        Field("admin2", "STRING"),
        Field("country", "STRING", description="ISO 3166-1 alpha-2."),
        Field("latitude", "FLOAT64"),
        Field("longitude", "FLOAT64"),
        Field("geo_precision", "INT64", description="ACLED geo precision: 1 town, 2 near/part of, 3 region."),
        Field("geo_source", "STRING", description="gazetteer, alias, region_fallback or country."),
        Field("fatalities", "INT64", description="Killed, by the first claim with a number."),
        Field("wounded", "INT64", description="Wounded, by the first claim with a number."),
        Field("claimed_by", "STRING", description="Who claims the fatalities/wounded figures above."),
        Field("casualty_text", "STRING", description="The exact casualty phrase, kept even when vague."),
        Field("casualties_vague", "BOOL", description="True when casualties are given only as a vague amount."),
        CLAIM,
        Field("evidence", "STRING", description="The sentence the event was read from."),
        Field("confidence", "FLOAT64", description="Classifier probability for the sub-event type."),
        Field("language", "STRING"),
        Field("source_url", "STRING"),
        Field("published", "TIMESTAMP", description="Publication time of the first source."),
        Field("source_count", "INT64", description="How many articles report this event.", default=1),
        Field("source_article_ids", "STRING", "REPEATED"),
        Field("extracted_at", "TIMESTAMP"),
        _RUN,
        _VERSION,
    ),
    partition_field="event_date",
    cluster_fields=("country", "event_type"),
)

DEAD_LETTERS = RecordKind(
    name="dead_letters",
    description="Something that could not become an article or event, and why.",
    fields=(
        Field("stage", "STRING", "REQUIRED", "feeds, fetch, extract, language, classify, events, sink, input."),
        Field("reason", "STRING", "REQUIRED", "Short machine-readable reason, e.g. http_404, robots_disallowed."),
        Field("url", "STRING"),
        Field("feed_url", "STRING"),
        Field("item_id", "STRING"),
        Field("http_status", "INT64"),
        Field("detail", "STRING", description="Human-readable detail (exception text, limit hit)."),
        Field("at", "TIMESTAMP"),
        _RUN,
        _VERSION,
    ),
    partition_field="at",
    cluster_fields=("stage", "reason"),
)

FEED_STATUS = RecordKind(
    name="feed_status",
    description="One row per feed per run: how polling it went.",
    fields=(
        Field("feed_url", "STRING", "REQUIRED"),
        Field("status", "STRING", "REQUIRED", "ok, not_modified, error or refused."),
        Field("http_status", "INT64"),
        Field("items", "INT64", description="Items in the feed document."),
        Field("new_items", "INT64", description="Items not seen in earlier runs."),
        Field("latency_ms", "FLOAT64"),
        Field("bytes", "INT64", description="Bytes received."),
        Field("etag", "STRING", description="ETag to send next time."),
        Field("last_modified", "STRING", description="Last-Modified to send next time."),
        Field("error", "STRING"),
        Field("fetched_at", "TIMESTAMP"),
        _RUN,
        _VERSION,
    ),
    partition_field="fetched_at",
)

# The kinds a run writes, by output folder / table name.
SINK_KINDS = {kind.name: kind for kind in (ARTICLES, EVENTS, DEAD_LETTERS, FEED_STATUS)}

FeedItem = FEED_ITEMS.make_row_type("FeedItem", __name__)
Article = ARTICLES.make_row_type("Article", __name__)
Event = EVENTS.make_row_type("Event", __name__)
DeadLetter = DEAD_LETTERS.make_row_type("DeadLetter", __name__)
FeedStatus = FEED_STATUS.make_row_type("FeedStatus", __name__)


class FetchedPage(NamedTuple):
    """A feed item's page as fetched: internal to a run (between fetch and extract), never written."""

    item: FeedItem  # type: ignore[valid-type]
    url: str  # final URL, after redirects
    http_status: int
    html: str  # decoded to Unicode by the fetch stage
    content_type: str | None
    fetched_at: dt.datetime
