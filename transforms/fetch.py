"""Page fetching: `FetchPages` turns `FeedItem`s into `FetchedPage`s (HTML decoded to Unicode) or dead letters.

Politeness across elements: items are keyed by host and grouped, so one host's pages are fetched in order by one
worker, spaced by the client's per-host interval (robots.txt Crawl-delay included); different hosts are fetched at
the same time on a small thread pool.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import apache_beam as beam

from schemas import FeedItem, FetchedPage
from transforms.base import DEAD, StageError, dead_letter, utcnow
from transforms.feeds import ConcurrentDoFn, Output
from transforms.http import HttpClient, decode_html
from transforms.settings import FetchSettings
from transforms.urls import is_http_url

STAGE = "fetch"


def host_key(url: str) -> str:
    """The politeness key of a URL: scheme and host (ports count as different servers)."""
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def fetch_page(client: HttpClient, item: FeedItem) -> tuple[str | None, Any]:  # type: ignore[valid-type]
    """(None, FetchedPage) or (DEAD, DeadLetter) for one item. Never raises."""
    try:
        response = client.get(item.url, kind="page")
        html = decode_html(response.body, response.headers)
    except StageError as error:
        return DEAD, _dead(item, error.reason, error.detail, error.http_status)
    except Exception as exc:  # a bug must cost one page, not the bundle
        return DEAD, _dead(item, "internal_error", repr(exc), None)
    if not html.strip():
        return DEAD, _dead(
            item, "empty_page", f"{response.url} answered {response.status} with no text", response.status
        )
    return None, FetchedPage(
        item=item,
        url=response.url,
        http_status=response.status,
        html=html,
        content_type=response.headers.get("Content-Type"),
        fetched_at=utcnow(),
    )


def _dead(item: FeedItem, reason: str, detail: str | None, http_status: int | None):  # type: ignore[valid-type]
    return dead_letter(
        STAGE,
        reason,
        url=item.url,
        feed_url=item.feed_url,
        item_id=item.item_id,
        http_status=http_status,
        detail=detail,
    )


class _FetchHostFn(ConcurrentDoFn):
    """(host, items) -> pages: a host's items in order, in chunks, hosts side by side."""

    def __init__(self, settings: FetchSettings):
        super().__init__(settings)
        self._pages = beam.metrics.Metrics.counter(STAGE, "pages")
        self._dead = beam.metrics.Metrics.counter(STAGE, "dead_letters")
        self._chars = beam.metrics.Metrics.counter(STAGE, "html_chars")

    def process(self, keyed, window=beam.DoFn.WindowParam, timestamp=beam.DoFn.TimestampParam):
        # A host's items go to the pool in small chunks, not all at once: extraction starts on the first pages
        # while later ones are fetched, and no element ever holds every page of a large host. Politeness does not
        # depend on this: the one HttpClient enforces each host's interval and connection cap across threads.
        host, items = keyed
        chunk: list = []
        for item in items:
            chunk.append(item)
            if len(chunk) >= self._settings.fetch_chunk:
                yield from super().process((host, chunk), window, timestamp)
                chunk = []
        if chunk:
            yield from super().process((host, chunk), window, timestamp)

    def work(self, keyed: tuple[str, list]) -> list[Output]:
        assert self._client is not None
        host, items = keyed
        if not host:
            return [(DEAD, _dead(item, "no_url", "the feed gave no http(s) link", None)) for item in items]
        return [fetch_page(self._client, item) for item in items]

    def count(self, tag: str | None, row: Any) -> None:
        if tag is None:
            self._pages.inc()
            self._chars.inc(len(row.html))
        else:
            self._dead.inc()


def _key_by_host(item: FeedItem) -> tuple[str, FeedItem]:  # type: ignore[valid-type]
    # Items without a fetchable URL share the empty key and become dead letters in the fetching DoFn, so that the
    # transform has a single producer of both outputs.
    return (host_key(item.url) if is_http_url(item.url) else ""), item


class FetchPages(beam.PTransform):
    """PCollection[FeedItem] -> FetchedPage (main, "pages") and DeadLetter (tag DEAD, stage "fetch")."""

    def __init__(self, settings: FetchSettings):
        super().__init__()
        if not isinstance(settings, FetchSettings):
            raise TypeError("settings must be a FetchSettings")
        self._settings = settings

    def expand(self, items):
        return (
            items
            | "KeyByHost" >> beam.Map(_key_by_host)
            | "GroupByHost" >> beam.GroupByKey()
            | "Fetch" >> beam.ParDo(_FetchHostFn(self._settings)).with_outputs(DEAD, main="pages")
        )
