"""The batch pipeline: feeds -> items -> pages -> articles -> events, written with dead letters and feed status.

    feed URLs ─ PollFeeds ─ UniqueItems ─ FetchPages ─ ExtractArticles ─ DetectLanguage ─ ClassifyConflict
                  │            │              │              │                                   │
             feed_status   new counts     dead letters   dead letters                      ExtractEvents
                  └── joined ──┘                                                     articles ─┴─ events
                                                                                 ClusterArticles    MergeEvents
                                                                  (with committed earlier runs' articles / events)

Each stage lives in its own module under transforms/; this file only wires them.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

import apache_beam as beam

from pipelines.options import ConflictwireOptions
from pipelines.state import ReadEarlierRows
from schemas import ARTICLES, DEAD_LETTERS, EVENTS, FEED_STATUS
from transforms.base import DEAD
from transforms.classify import ClassifyConflict
from transforms.cluster import ClusterArticles
from transforms.dedup import UniqueItems
from transforms.events import ExtractEvents
from transforms.extract import ExtractArticles
from transforms.feeds import PollFeeds
from transforms.fetch import FetchPages
from transforms.language import DetectLanguage
from transforms.merge import MergeEvents
from transforms.settings import FetchSettings
from transforms.sinks import WriteParquet

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RunPlan:
    """Everything a run decides before the graph is built (read from options and from earlier runs' output)."""

    feeds: tuple[str, ...]
    output: str
    run_id: str
    settings: FetchSettings
    language_backend: str = "auto"
    feed_state: dict | None = None  # feed_url -> (etag, last_modified) from earlier runs
    seen_item_ids: frozenset[str] = frozenset()
    earlier_event_files: tuple[str, ...] = ()  # committed earlier runs' events, merged with this run's
    earlier_article_files: tuple[str, ...] = ()  # recent committed articles, for near-duplicate clusters
    state_location: str | None = None  # where the Parquet copy and commit markers go when output is bq://


def fetch_settings(options: ConflictwireOptions) -> FetchSettings:
    settings = FetchSettings()
    changes = {}
    if options.allow_host:
        changes["allow_hosts"] = tuple(options.allow_host)
    if options.user_agent:
        changes["user_agent"] = options.user_agent
    if options.only_allowed_hosts:
        changes["only_allowed_hosts"] = True
    if options.host_interval is not None:
        changes["min_host_interval_s"] = options.host_interval
    if options.request_timeout is not None:
        changes["total_timeout_s"] = options.request_timeout
    return dataclasses.replace(settings, **changes) if changes else settings


def is_item_dead_letter(letter) -> bool:
    """Dead letters about one item (as opposed to a whole feed that failed)."""
    return letter.stage != "feeds" or letter.item_id is not None or letter.reason.startswith("item_")


def merge_status(keyed):
    """(key, {"status", "new", "bad_items"}) -> the status rows with new_items filled in (0 for a failed poll)."""
    _key, grouped = keyed
    statuses = list(grouped["status"])
    new_items = sum(grouped["new"]) + sum(grouped["bad_items"])
    for status in statuses:
        yield status._replace(new_items=new_items if status.status in ("ok", "not_modified") else 0)


def _outputs(result, main: str):
    """The main and tagged outputs of a stage, whichever container it returns them in."""
    if isinstance(result, dict):
        return result[main], result
    try:
        return result[main], result  # a ParDo's outputs named with main=...
    except (KeyError, ValueError):
        return result[None], result


class AnalyzeArticles(beam.PTransform):
    """Pages -> articles and events: the stages shared by the batch and streaming pipelines."""

    def __init__(self, run_id: str, language_backend: str = "auto"):
        super().__init__()
        self.run_id = run_id
        self.language_backend = language_backend

    def expand(self, pages):
        extracted = pages | "Extract" >> ExtractArticles(run_id=self.run_id)
        articles, _ = _outputs(extracted, "articles")
        classified = (
            articles | "Language" >> DetectLanguage(backend=self.language_backend) | "Classify" >> ClassifyConflict()
        )
        analysed = classified | "Events" >> ExtractEvents(run_id=self.run_id)
        final_articles, _ = _outputs(analysed, "articles")
        return {
            "articles": final_articles,
            "events": analysed["events"],
            DEAD: (extracted[DEAD], analysed[DEAD]) | "FlattenDead" >> beam.Flatten(),
        }


class FeedsToRecords(beam.PTransform):
    """Feed URLs -> the four record kinds (before the sinks)."""

    def __init__(self, plan: RunPlan):
        super().__init__()
        self.plan = plan

    def expand(self, feed_urls):
        plan = self.plan
        polled = feed_urls | "Poll" >> PollFeeds(plan.settings, run_id=plan.run_id, state=plan.feed_state)
        items, _ = _outputs(polled, "items")
        feed_dead = polled[DEAD]
        new_items = items | "Unique" >> UniqueItems(seen=plan.seen_item_ids)
        fetched = new_items | "Fetch" >> FetchPages(plan.settings)
        pages, _ = _outputs(fetched, "pages")
        analysed = pages | "Analyze" >> AnalyzeArticles(plan.run_id, plan.language_backend)
        pipeline = feed_urls.pipeline
        earlier_articles = pipeline | "EarlierArticles" >> ReadEarlierRows(ARTICLES, plan.earlier_article_files)
        earlier_events = pipeline | "EarlierEvents" >> ReadEarlierRows(EVENTS, plan.earlier_event_files)
        articles = analysed["articles"] | "Cluster" >> ClusterArticles(earlier=earlier_articles)
        events = analysed["events"] | "MergeEvents" >> MergeEvents(earlier=earlier_events, run_id=plan.run_id)

        counts = {
            "status": polled["feed_status"] | "StatusByFeed" >> beam.Map(lambda s: (s.feed_url, s)),
            "new": new_items | "NewByFeed" >> beam.Map(lambda i: (i.feed_url, 1)),
            "bad_items": feed_dead
            | "BadItems" >> beam.Filter(is_item_dead_letter)
            | "BadByFeed" >> beam.Map(lambda d: (d.feed_url, 1)),
        }
        feed_status = counts | "JoinCounts" >> beam.CoGroupByKey() | "Status" >> beam.FlatMap(merge_status)
        dead = (feed_dead, fetched[DEAD], analysed[DEAD]) | "AllDead" >> beam.Flatten()
        return {
            "articles": articles,
            "events": events,
            "dead_letters": dead,
            "feed_status": feed_status,
        }


class WriteRecords(beam.PTransform):
    """The four record kinds to Parquet under one output; rows the schema refuses join the dead letters.

    `writer(output, kind, run_id)` writes one kind and returns {"files", DEAD}: `WriteParquet` for a batch run,
    a windowed writer for the streaming one.
    """

    def __init__(self, output: str, run_id: str, writer=WriteParquet):
        super().__init__()
        self.output = output
        self.run_id = run_id
        self.writer = writer

    def expand(self, records):
        written = {}
        refused = []
        for kind in (ARTICLES, EVENTS, FEED_STATUS):
            result = records[kind.name] | f"Write{kind.name}" >> self.writer(self.output, kind, self.run_id)
            written[kind.name] = result["files"]
            refused.append(result[DEAD])
        dead = (records["dead_letters"], *refused) | "DeadWithRefused" >> beam.Flatten()
        result = dead | "Writedead_letters" >> self.writer(self.output, DEAD_LETTERS, self.run_id)
        written["dead_letters"] = result["files"]
        return written


class WriteWarehouseAndState(beam.PTransform):
    """BigQuery tables, plus the Parquet copy under the state location that later runs read their state from."""

    def __init__(self, output: str, run_id: str, state_sink: beam.PTransform | None):
        super().__init__()
        self.output = output
        self.run_id = run_id
        self.state_sink = state_sink

    def expand(self, records):
        from transforms.bigquery import WriteBigQueryRecords

        written = records | "BigQuery" >> WriteBigQueryRecords(self.output, self.run_id)
        if self.state_sink is not None:
            records | "StateCopy" >> self.state_sink
        return written


def sink_for(output: str, run_id: str, state_location: str | None = None) -> beam.PTransform:
    """Parquet under a folder by default; BigQuery tables for an output of the form bq://PROJECT.DATASET."""
    if output.startswith("bq://"):
        state_sink = WriteRecords(state_location, run_id) if state_location else None
        return WriteWarehouseAndState(output, run_id, state_sink)
    return WriteRecords(output, run_id)


def build(pipeline: beam.Pipeline, plan: RunPlan) -> dict:
    feed_urls = pipeline | "Feeds" >> beam.Create(sorted(set(plan.feeds)))
    records = feed_urls | "FeedsToRecords" >> FeedsToRecords(plan)
    return records | "Sinks" >> sink_for(plan.output, plan.run_id, plan.state_location)
