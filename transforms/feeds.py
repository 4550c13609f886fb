"""Feed polling: the feed list, a safe feed parser, and `PollFeeds`, which turns feed URLs into `FeedItem`s.

Every polled feed yields exactly one `FeedStatus` row (tag "feed_status"); every entry of a fetched feed document
ends either as a `FeedItem` (main output) or as a dead letter (tag `DEAD`, stage "feeds"). A feed that cannot be
fetched or is refused (SSRF, robots.txt) is a dead letter too, with the client's reason.
"""

from __future__ import annotations

import calendar
import codecs
import contextlib
import datetime as dt
import html
import re
import xml.etree.ElementTree as ElementTree
from collections import deque
from collections.abc import Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urljoin

import apache_beam as beam
import feedparser
from apache_beam.io.filesystems import FileSystems
from apache_beam.utils.windowed_value import WindowedValue

from schemas import FeedItem, FeedStatus
from transforms.base import DEAD, StageError, dead_letter, utcnow
from transforms.http import HttpClient, charset_from_headers, detect_encoding, normalise_charset
from transforms.settings import FetchSettings
from transforms.urls import canonicalize, is_http_url, item_id_for

STAGE = "feeds"
FEED_STATUS = "feed_status"  # tag of the FeedStatus output
REFUSALS = frozenset({"ssrf_refused", "host_not_allowed", "robots_disallowed", "robots_unreachable"})
# A feed whose summary runs longer than this is cut: the page is fetched anyway, the summary is only a fallback.
MAX_SUMMARY_CHARS = 20_000

# ---------------------------------------------------------------------------------------------------------------------
# The feed list


def read_feed_list(path: str) -> list[str]:
    """Feed URLs from a text file (one per line, `#` comments) or an OPML file (`xmlUrl`), local or gs://.

    Order is kept and duplicates dropped. Raises FileNotFoundError when `path` does not exist and ValueError when it
    holds no feed URL or a line that is not an http(s) URL.
    """
    try:
        exists = FileSystems.exists(path)
    except Exception as exc:  # an unknown scheme or an unreachable bucket
        raise FileNotFoundError(f"feed list {path!r} cannot be opened: {exc}") from exc
    if not exists:
        raise FileNotFoundError(f"feed list {path!r} does not exist")
    with FileSystems.open(path) as handle:
        data = handle.read()
    text = data.decode("utf-8-sig", errors="replace")
    urls = _opml_urls(data) if re.search(r"<opml[\s>]", text[:2000], re.IGNORECASE) else _text_urls(text, path)
    unique = list(dict.fromkeys(urls))
    if not unique:
        raise ValueError(f"feed list {path!r} contains no feed URL")
    return unique


def _text_urls(text: str, path: str) -> list[str]:
    urls = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = re.split(r"\s#", line, maxsplit=1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if not is_http_url(line):
            raise ValueError(f"{path}:{number}: not an http(s) URL: {line!r}")
        urls.append(line)
    return urls


def _opml_urls(data: bytes) -> list[str]:
    safe, _ = strip_dtd(data)
    try:
        root = ElementTree.fromstring(safe)
    except ElementTree.ParseError as exc:
        raise ValueError(f"OPML feed list is not well-formed XML: {exc}") from None
    urls = []
    for outline in root.iter("outline"):
        attributes = {name.lower(): value for name, value in outline.attrib.items()}
        url = (attributes.get("xmlurl") or "").strip()
        if is_http_url(url):
            urls.append(url)
    return urls


# ---------------------------------------------------------------------------------------------------------------------
# Parsing

# A DOCTYPE with an internal subset: where entity declarations (billion laughs, external entities) live.
_DOCTYPE_SUBSET = re.compile(rb"<!DOCTYPE[^\[>]*\[.*?\]\s*>", re.IGNORECASE | re.DOTALL)
_DOCTYPE_EXTERNAL = re.compile(rb"<!DOCTYPE[^\[>]*\bSYSTEM\b[^>]*>", re.IGNORECASE)
_ENTITY_DECL = re.compile(rb"<!ENTITY[^>]*>", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"<\s*(br|/p|/div|/li|/h[1-6])[^>]*>", re.IGNORECASE)
_SPACE = re.compile(r"[ \t\r\f\v\xa0]+")
_WIDE_ENCODINGS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
    (b"<\0\0\0", "utf-32-le"),
    (b"\0\0\0<", "utf-32-be"),
    (b"<\0?\0", "utf-16-le"),
    (b"\0<\0?", "utf-16-be"),
)


class ItemProblem(NamedTuple):
    reason: str  # e.g. item_no_link
    detail: str
    url: str | None
    guid: str | None


@dataclass
class ParsedFeed:
    items: list[FeedItem]  # type: ignore[valid-type]
    bozo: bool
    problem: str | None  # why the document is ill-formed or refused, when it is
    language: str | None
    item_problems: list[ItemProblem] = field(default_factory=list)
    entries: int = 0  # entries in the document: len(items) + len(item_problems) + duplicates
    duplicates: int = 0  # entries dropped because an earlier entry had the same item id
    version: str = ""  # feedparser's format name ("rss20", "atom10", ...); empty when not recognised as a feed
    title: str | None = None

    @property
    def is_feed(self) -> bool:
        return bool(self.version) or self.entries > 0


def strip_dtd(body: bytes) -> tuple[bytes, bool]:
    """`body` without a DOCTYPE internal subset, entity declarations or external DTD; True when something went.

    Entities are where XML bombs and external-entity reads live, and a news feed never needs its own. Feedparser
    strips unsafe entities itself; this is done first anyway so that no XML parser we call ever sees them. UTF-16/32
    documents are stripped in their own encoding.
    """
    wide = next((name for prefix, name in _WIDE_ENCODINGS if body.startswith(prefix)), None)
    if wide is not None:
        bom = body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))  # also covers UTF-32 LE
        try:
            text = body.decode(wide)
        except UnicodeDecodeError:
            return body, False
        stripped, changed = strip_dtd(text.lstrip("\ufeff").encode("utf-8"))
        if not changed:
            return body, False
        return (b"" if not bom else "\ufeff".encode(wide)) + stripped.decode("utf-8").encode(wide), True
    stripped = _DOCTYPE_SUBSET.sub(b"", body)
    stripped = _DOCTYPE_EXTERNAL.sub(b"", stripped)
    stripped = _ENTITY_DECL.sub(b"", stripped)
    return stripped, stripped != body


def html_to_text(value: str | None) -> str | None:
    if not value:
        return None
    text = _BLOCK_END.sub("\n", value)
    text = html.unescape(_TAG.sub("", text))
    lines = [_SPACE.sub(" ", line).strip() for line in text.splitlines()]
    text = "\n".join(line for line in lines if line)
    return text[:MAX_SUMMARY_CHARS] or None


def _timestamp(entry: Mapping[str, Any]) -> dt.datetime | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        parsed = dict.get(entry, key)  # FeedParserDict.get would alias (and warn about) updated/published
        if parsed:
            try:
                return dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.UTC)
            except (OverflowError, ValueError, TypeError, OSError):
                continue
    return None


def _language(value: str | None) -> str | None:
    if not value:
        return None
    value = value.strip().replace("_", "-").lower().split(",")[0].strip()
    return value if re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{1,8})*", value) else None


def _declares_encoding(body: bytes, headers: Mapping[str, str]) -> bool:
    return bool(
        charset_from_headers(headers)
        or _XML_ENCODING.search(body[:1024])
        or any(body.startswith(prefix) for prefix, _ in _WIDE_ENCODINGS)
        or body.startswith(codecs.BOM_UTF8)
    )


def _entry_link(entry: Mapping[str, Any], base: str) -> str | None:
    # FeedBurner keeps the publisher's URL beside its own redirect link; the publisher's is the story's identity.
    candidates = [entry.get("feedburner_origlink"), entry.get("link")]
    candidates += [link.get("href") for link in entry.get("links") or () if link.get("rel", "alternate") == "alternate"]
    for candidate in candidates:
        if candidate and candidate.strip():
            with contextlib.suppress(ValueError):
                resolved = urljoin(base, candidate.strip())
                if is_http_url(resolved):
                    return resolved
    guid = entry.get("id")
    if is_http_url(guid) and entry.get("guidislink", True):
        return guid.strip()
    return None


def parse_feed(
    body: bytes,
    *,
    feed_url: str,
    headers: Mapping[str, str] | None = None,
    seen_at: dt.datetime,
) -> ParsedFeed:
    """Parse one feed document (never touching the network or the file system) into `FeedItem`s.

    The HTTP Content-Type charset is honoured; an undeclared legacy encoding is detected. Entries with neither a link
    nor a GUID become `item_problems`; duplicate entries (same item id) are kept once. Raises only
    `StageError("parse_error")`, for a document that crashes feedparser.
    """
    response_headers = {name.lower(): value for name, value in (headers or {}).items()}
    # feedparser would resolve GUIDs against Content-Location too, turning an opaque GUID "12345" into a fetchable
    # (wrong) URL; relative links are resolved here instead.
    base = urljoin(feed_url, response_headers.pop("content-location", "") or "")
    safe_body, stripped = strip_dtd(body)
    declared = charset_from_headers(response_headers)
    if declared and normalise_charset(declared) is None:
        # A charset Python cannot decode with (or one that is no charset: punycode, rot13) would make feedparser
        # raise; the document is read as if undeclared instead (found by fuzzing).
        response_headers["content-type"] = (response_headers.get("content-type") or "").split(";")[0]
    if not _declares_encoding(safe_body, response_headers):
        encoding = detect_encoding(safe_body)
        if encoding and encoding != "utf-8":
            media_type = (response_headers.get("content-type") or "application/xml").split(";")[0]
            response_headers["content-type"] = f"{media_type}; charset={encoding}"
    parsed = _feedparser(safe_body, response_headers)
    meta = parsed.get("feed", {})
    language = _language(meta.get("language")) or _language(response_headers.get("content-language"))
    problems = []
    if stripped:
        problems.append("dtd_stripped: entity declarations or an external DTD were removed")
    if parsed.get("bozo"):
        exception = parsed.get("bozo_exception")
        problems.append(f"{type(exception).__name__}: {exception}"[:500])
    entries = parsed.get("entries") or []
    result = ParsedFeed(
        items=[],
        bozo=bool(parsed.get("bozo")) or stripped,
        problem="; ".join(problems) or None,
        language=language,
        entries=len(entries),
        version=parsed.get("version") or "",
        title=html_to_text(meta.get("title")),
    )
    seen: set[str] = set()
    for entry in entries:
        link = _entry_link(entry, base)
        guid = (entry.get("id") or "").strip() or None
        if link is None and guid is None:
            title = html_to_text(entry.get("title")) or "(untitled)"
            result.item_problems.append(
                ItemProblem("item_no_link", f"entry {title[:200]!r} has no link and no guid", None, None)
            )
            continue
        item_id = item_id_for(link, guid, feed_url)
        if item_id in seen:
            result.duplicates += 1
            continue
        seen.add(item_id)
        result.items.append(
            FeedItem(
                item_id=item_id,
                feed_url=feed_url,
                url=canonicalize(link) if link else None,
                guid=guid,
                title=html_to_text(entry.get("title")),
                summary=html_to_text(entry.get("summary") or _first_content(entry)),
                published=_timestamp(entry),
                feed_language=language,
                seen_at=seen_at,
            )
        )
    return result


def _feedparser(body: bytes, headers: dict[str, str]) -> Any:
    """feedparser's result, or `StageError("parse_error")` for a document that crashes it.

    Fuzzing found feedparser raising on a few kinds of broken input: a garbled encoding in the XML declaration
    (bytes that are not UTF-8, a NUL) and some broken markup its strict parser trips over (KeyError, ValueError).
    A garbled declaration is dropped and the document read again; what still crashes is a parse error.
    """
    for attempt in (body, _XML_DECLARATION.sub(b"", body, count=1)):
        try:
            return feedparser.parse(attempt, response_headers=headers, sanitize_html=True, resolve_relative_uris=True)
        except Exception as exc:  # noqa: BLE001 - feedparser's own bugs, in many types
            error = exc
        if attempt is not body or not _XML_DECLARATION.search(body[:1024]):
            break
    raise StageError("parse_error", f"feedparser failed: {type(error).__name__}: {error}"[:500])


_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>")


def _first_content(entry: Mapping[str, Any]) -> str | None:
    contents = entry.get("content") or []
    return contents[0].get("value") if contents else None


# ---------------------------------------------------------------------------------------------------------------------
# Polling one feed (plain, testable) and the Beam transform around it


Output = tuple[str | None, Any]  # (tag or None for the main output, row)


def poll_feed(
    client: HttpClient,
    feed_url: str,
    run_id: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
) -> list[Output]:
    """Everything one feed yields: its FeedItems, dead letters and exactly one FeedStatus. Never raises."""
    fetched_at = utcnow()
    status_row = FeedStatus(
        feed_url=feed_url, status="error", fetched_at=fetched_at, run_id=run_id, etag=etag, last_modified=last_modified
    )
    try:
        response = client.get(feed_url, kind="feed", etag=etag, last_modified=last_modified)
    except StageError as error:
        status = "refused" if error.reason in REFUSALS else "error"
        return [
            (
                FEED_STATUS,
                status_row._replace(
                    status=status,
                    http_status=error.http_status,
                    error=f"{error.reason}: {error.detail}"[:2000],
                    latency_ms=_ms_since(fetched_at),
                ),
            ),
            (
                DEAD,
                dead_letter(
                    STAGE,
                    error.reason,
                    url=feed_url,
                    feed_url=feed_url,
                    http_status=error.http_status,
                    detail=error.detail,
                ),
            ),
        ]
    except Exception as exc:  # a bug must cost one feed, not the bundle
        return [
            (FEED_STATUS, status_row._replace(error=f"internal_error: {exc!r}"[:2000])),
            (DEAD, dead_letter(STAGE, "internal_error", url=feed_url, feed_url=feed_url, detail=repr(exc))),
        ]
    status_row = status_row._replace(
        http_status=response.status,
        latency_ms=round(response.elapsed_s * 1000, 1),
        bytes=response.bytes_received,
        etag=response.headers.get("ETag") or etag,
        last_modified=response.headers.get("Last-Modified") or last_modified,
    )
    if response.not_modified:
        return [(FEED_STATUS, status_row._replace(status="not_modified", items=0))]
    try:
        parsed = parse_feed(response.body, feed_url=feed_url, headers=response.headers, seen_at=fetched_at)
    except Exception as exc:  # feedparser is very forgiving; whatever still breaks it is one bad feed
        detail = exc.detail if isinstance(exc, StageError) else repr(exc)
        return [
            (FEED_STATUS, status_row._replace(error=f"parse_error: {detail}"[:2000])),
            (
                DEAD,
                dead_letter(
                    STAGE, "parse_error", url=feed_url, feed_url=feed_url, http_status=response.status, detail=detail
                ),
            ),
        ]
    if not parsed.is_feed:
        detail = f"no feed found in {len(response.body)} bytes ({parsed.problem or 'no entries'})"
        return [
            (FEED_STATUS, status_row._replace(items=0, error=f"not_a_feed: {detail}"[:2000])),
            (
                DEAD,
                dead_letter(
                    STAGE, "not_a_feed", url=feed_url, feed_url=feed_url, http_status=response.status, detail=detail
                ),
            ),
        ]
    outputs: list[Output] = [(None, item) for item in parsed.items]
    outputs.extend(
        (DEAD, dead_letter(STAGE, problem.reason, url=problem.url, feed_url=feed_url, detail=problem.detail))
        for problem in parsed.item_problems
    )
    outputs.append((FEED_STATUS, status_row._replace(status="ok", items=parsed.entries, error=parsed.problem)))
    return outputs


def _ms_since(start: dt.datetime) -> float:
    return round((utcnow() - start).total_seconds() * 1000, 1)


class ConcurrentDoFn(beam.DoFn):
    """Runs `work(element)` on a small thread pool; outputs keep their element's window and timestamp.

    Results are emitted in input order from the bundle's own thread (Beam metrics only count there), at most
    `2 * worker_threads` elements being in flight, so memory stays bounded on large bundles.
    """

    def __init__(self, settings: FetchSettings):
        self._settings = settings
        self._pool: ThreadPoolExecutor | None = None
        self._client: HttpClient | None = None
        self._pending: deque[tuple[Future, Any, Any]] = deque()

    def setup(self) -> None:
        self._pool = ThreadPoolExecutor(self._settings.worker_threads, thread_name_prefix=type(self).__name__)
        # One client per worker, shared by the threads: connection reuse and per-host politeness across them.
        self._client = HttpClient(self._settings)

    def start_bundle(self) -> None:
        self._pending = deque()

    def prepare(self, element: Any) -> Any:
        """Turn the element into what `work` gets, on the bundle's thread (lazy iterables must be read here)."""
        return element

    def work(self, element: Any) -> list[Output]:
        raise NotImplementedError

    def count(self, tag: str | None, row: Any) -> None:
        """Update metrics for one output (called on the bundle's thread)."""

    def process(self, element, window=beam.DoFn.WindowParam, timestamp=beam.DoFn.TimestampParam):
        assert self._pool is not None
        self._pending.append((self._pool.submit(self.work, self.prepare(element)), window, timestamp))
        limit = 2 * self._settings.worker_threads
        while self._pending and (len(self._pending) > limit or self._pending[0][0].done()):
            yield from self._emit(*self._pending.popleft())

    def finish_bundle(self):
        while self._pending:
            yield from self._emit(*self._pending.popleft())

    def teardown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._client is not None:
            self._client.close()

    def _emit(self, future: Future, window: Any, timestamp: Any) -> Iterator[Any]:
        for tag, row in future.result():
            self.count(tag, row)
            value = WindowedValue(row, timestamp, (window,))
            yield value if tag is None else beam.pvalue.TaggedOutput(tag, value)


class _PollFeedFn(ConcurrentDoFn):
    def __init__(self, settings: FetchSettings, run_id: str, state: dict[str, tuple[str | None, str | None]]):
        super().__init__(settings)
        self._run_id = run_id
        self._state = state
        self._items = beam.metrics.Metrics.counter(STAGE, "items")
        self._dead = beam.metrics.Metrics.counter(STAGE, "dead_letters")
        self._bytes = beam.metrics.Metrics.counter(STAGE, "bytes")
        self._by_status = {
            status: beam.metrics.Metrics.counter(STAGE, f"feeds_{status}")
            for status in ("ok", "not_modified", "error", "refused")
        }

    def work(self, feed_url: str) -> list[Output]:
        assert self._client is not None
        etag, last_modified = self._state.get(feed_url, (None, None))
        return poll_feed(self._client, feed_url, self._run_id, etag=etag, last_modified=last_modified)

    def count(self, tag: str | None, row: Any) -> None:
        if tag is None:
            self._items.inc()
        elif tag == DEAD:
            self._dead.inc()
        else:
            self._by_status[row.status].inc()
            self._bytes.inc(row.bytes or 0)


class PollFeeds(beam.PTransform):
    """PCollection[str] of feed URLs -> FeedItems (main, "items"), FeedStatus ("feed_status"), DeadLetter (DEAD).

    `state` maps a feed URL to the (etag, last_modified) it answered last run, sent back as a conditional GET.
    Feed URLs are polled as given: pass each once (`read_feed_list` de-duplicates).
    """

    def __init__(self, settings: FetchSettings, run_id: str, state: dict | None = None):
        super().__init__()
        if not isinstance(settings, FetchSettings):
            raise TypeError("settings must be a FetchSettings")
        if not run_id:
            raise ValueError("run_id is required")
        self._settings = settings
        self._run_id = run_id
        self._state = {url: tuple(value) for url, value in (state or {}).items()}

    def expand(self, feed_urls):
        return feed_urls | "Poll" >> beam.ParDo(_PollFeedFn(self._settings, self._run_id, self._state)).with_outputs(
            FEED_STATUS, DEAD, main="items"
        )
