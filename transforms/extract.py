"""Stage `extract`: a fetched page becomes an article (main text plus metadata); trafilatura does the heavy lifting.

The page is parsed once with lxml; trafilatura runs its main extractor on that tree in its fast mode. Its default
cascade (a readability / jusText comparison after the main extractor) costs ~50% more time and, measured on the
article-extraction benchmark, adds boilerplate more often than it rescues text, so it only runs as a second try when
the fast result looks like a miss (see below). Comments are never part of the article. What trafilatura returns is then
cleaned with generic, site-independent rules (docs/extraction.md has the measurements):

- the headline is not body text: leading lines repeating the title are dropped;
- a short line that is only a promotion or a widget ("Advertisement", "Read more: ...", share bars, photo credits,
  copyright lines, bare URLs) is dropped;
- everything after a closing section marker ("Related articles", "Top comments", "You may also like", ...) in the
  second half of the text is dropped: those sections are lists of other stories or reader comments;
- a line that is exactly the text of a link to another page is a teaser for that page and is dropped;
- when the fast result is short, or holds under half of the page's prose paragraphs, the page's JSON-LD `articleBody`
  or else the full trafilatura cascade is tried, and kept when clearly longer (and not a listing of cut excerpts).

Metadata comes from trafilatura's own readers (meta tags, JSON-LD, title, byline and site name) on the same tree, but
not from its whole metadata pass: that also parses every JSON-LD block a second time (with a costly regex repair),
searches for a date, and reads categories, tags and licence, which no record stores; it was 29% of the stage. The
publication time is read with its time of day and offset from the page's own tags when they carry one, else by
htmldate's quick search; the canonical URL is resolved against the page URL, and the page's declared language is
read from `<html lang>`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple
from urllib.parse import urljoin, urlsplit

import trafilatura
from htmldate import find_date
from lxml.html import HtmlElement
from trafilatura.json_metadata import extract_json
from trafilatura.metadata import examine_meta, extract_author, extract_sitename, extract_title
from trafilatura.settings import Document
from trafilatura.utils import load_html

from transforms.base import StageError, lazy_exports

STAGE = "extract"


@dataclass(frozen=True)
class ExtractSettings:
    """Thresholds of the extraction stage; the defaults are the ones measured in docs/extraction.md."""

    # Shortest main text (characters, after cleaning) accepted as an article; below it the page is `no_text`.
    min_text_chars: int = 80
    # Below this many characters the fast extraction is considered to have missed the body and fallbacks are tried.
    retry_below_chars: int = 600
    # ... and also when it holds less than this share of the page's paragraph text (<p> of `paragraph_min_chars`+).
    retry_below_paragraph_share: float = 0.5
    paragraph_min_chars: int = 80
    # A fallback's text replaces the fast one only when it is this many times longer.
    fallback_longer_ratio: float = 1.3
    # JSON-LD `articleBody` replaces the extracted text when it is this many times longer (and long enough).
    jsonld_longer_ratio: float = 1.5
    # A closing section marker ("Related articles") only truncates the text when it appears after this share of it,
    # so that a short article that happens to start with such a heading keeps its body.
    tail_marker_min_share: float = 0.5
    # A line longer than this (in words) is prose, never a promotion or widget line.
    boilerplate_max_words: int = 14
    # How many leading lines are checked against the title.
    title_lines_checked: int = 3
    # When the page's tags give no publication time, htmldate searches for a date: quickly (its tags, the URL), or
    # in the whole page when this is set (its extensive mode). Off by default: that adds ~25% to the extraction time
    # on blog-like pages, and the stage already falls back to the feed item's date, the better guess for a news feed.
    extensive_date_search: bool = False
    # Pages larger than this (characters) are cut before parsing; a news article is far smaller.
    max_html_chars: int = 5_000_000


DEFAULT_SETTINGS = ExtractSettings()


class Extracted(NamedTuple):
    """What one page yields: its main text and the metadata the page declares."""

    title: str | None
    text: str
    authors: list[str]
    published: dt.datetime | None  # tz-aware UTC; a date-only value is midnight UTC
    description: str | None
    sitename: str | None
    canonical_url: str | None  # absolute, as declared by <link rel=canonical> or og:url
    html_language: str | None  # lower-case primary subtag of <html lang> / content-language


# --- not-HTML detection -------------------------------------------------------------------------------------------

# A page counts as HTML when one of these tags appears; feeds, JSON, PDFs and plain text have none of them.
_HTML_TAG = re.compile(r"<\s*(?:!doctype\s+html|html|head|body|title|meta|div|p|article|main|section|h1|span)\b", re.I)
# A syndication feed served in place of the page is XML whose root is a feed element.
_FEED_ROOT = re.compile(r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<\s*(?:rss|feed|rdf:RDF)\b", re.I | re.S)


def _check_is_html(text: str) -> None:
    head = text[:4096]
    if head.lstrip().startswith("%PDF") or _FEED_ROOT.match(head):
        raise StageError("not_html", "the document is not an HTML page")
    if not _HTML_TAG.search(text[:200_000]):
        raise StageError("not_html", "no HTML tags in the document")


# --- line cleaning ------------------------------------------------------------------------------------------------

_WS = re.compile(r"\s+")
_WORD = re.compile(r"\w+")

# Lines that are only a widget label, compared case-insensitively after stripping punctuation at the ends.
_WIDGET_LINES = frozenset(
    {
        # advertising
        "advertisement",
        "advertisements",
        "advert",
        "ad",
        "ads",
        "sponsored",
        "sponsored content",
        "anzeige",
        "werbung",
        "publicité",
        "publicidad",
        "pubblicità",
        "reklama",
        # share and print bars
        "share",
        "share this",
        "share this article",
        "share this story",
        "share on facebook",
        "share on twitter",
        "tweet",
        "email",
        "print",
        "print article",
        "print this article",
        "order reprints",
        "reprints",
        "artikel teilen",
        "partager",
        "compartir",
        # comment widgets
        "comments",
        "view comments",
        "show comments",
        "hide comments",
        "comment",
        "read comments",
        "post a comment",
        "add a comment",
        "leave a comment",
        "leave a reply",
        "load comments",
        "read all comments",
        "kommentare",
        # calls to action and navigation
        "sign up",
        "subscribe",
        "subscribe now",
        "newsletter",
        "follow us",
        "continue reading",
        "read more",
        "read full story",
        "read the full story",
        "see more",
        "show more",
        "click here",
        "view all",
        "back to top",
        "skip to content",
        "thank you",
        "weiterlesen",
        # section labels of other stories
        "related",
        "related articles",
        "related stories",
        "related posts",
        "related content",
        "recommended",
        "recommended for you",
        "don't miss",
        "dont miss",
        "trending",
        "most popular",
        "most read",
        "top stories",
        "top rated comments",
        "you may also like",
        "you might also like",
        "more from this author",
        "more stories",
        "mehr zum thema",
        "lesen sie auch",
        "auch interessant",
        "lire aussi",
        "à lire aussi",
        "leer más",
        "lee también",
        # image credits on their own line
        "image credit",
        "image source",
        "photo credit",
        "getty images",
    }
)
# Widget labels above are matched as whole lines; these prefixes mark a promotion line.
_PROMO_PREFIX = re.compile(
    r"^(?:read more|see more|read also|also read|read next|related(?: post| article| story| content| coverage)?|"
    r"recommended|don'?t miss|more(?: on this| from [\w .'-]+)?|watch|listen|click here|sign up|subscribe|"
    r"also on [\w.-]+|lesen sie auch|mehr zum thema|auch interessant|lire aussi|à lire aussi|leer más|lee también|"
    r"leggi anche(?: su)?)"
    r"\s*(?::|\||»|>|-|–|—)",
    re.I,
)
# Photo and image credits, copyright and rights lines.
_CREDIT = re.compile(
    r"©|^(?:\(?(?:photo|photograph|picture|image|images|foto|fotos|bild|credit|credits|source|quelle)"
    r"(?: credit| source| by)?\s*(?::|©|/)|©|\(c\)\s|copyright\b)"
    r"|\ball rights reserved\b|\balle rechte vorbehalten\b|\btous droits réservés\b"
    r"|\bfor your personal, non-commercial use only\b",
    re.I,
)
# Share prompts ("Like this story? Share it with a friend!").
_SHARE_PROMPT = re.compile(r"\bshare (?:it|this)\b.*\b(?:friend|facebook|twitter|whatsapp|email)", re.I)
# A promotional teaser ending in an all-caps bracketed tag, e.g. "Storm hits coast [VIDEO]".
_TAGGED_TEASER = re.compile(r"\[[A-Z][A-Z ]{2,14}\]\s*\|?\s*$")
_BARE_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.I)
_COUNT_LABEL = re.compile(r"^\d+\s+(?:comments?|shares?|kommentare|commentaires|comentarios)$", re.I)
_EMAIL_CONTACT = re.compile(r"^(?:write to|contact|email|e-mail|reach)\b.*\b[\w.+-]+@[\w-]+\.[\w.]+", re.I)

# Headings that open a closing section of other stories or reader comments.
_TAIL_MARKERS = frozenset(
    {
        "comments",
        "top rated comments",
        "reader comments",
        "leave a reply",
        "leave a comment",
        "post a comment",
        "join the conversation",
        "tell us what you think",
        "related",
        "related articles",
        "related stories",
        "related posts",
        "related content",
        "related coverage",
        "you may also like",
        "you might also like",
        "more stories",
        "more from this author",
        "recommended",
        "recommended for you",
        "read next",
        "most popular",
        "most read",
        "trending",
        "trending now",
        "kommentare",
        "das könnte sie auch interessieren",
        "mehr zum thema",
        "à lire aussi",
        "commentaires",
    }
)


def _line_key(line: str) -> str:
    return _WS.sub(" ", line.strip(" \t-–—•·|:»>*#[]()\u200b.…!?").lower())


def _is_boilerplate_line(line: str, own_host: str | None, settings: ExtractSettings) -> bool:
    stripped = line.strip().lstrip("-•* ").strip()
    if not stripped:
        return False
    words = len(stripped.split())
    if words > settings.boilerplate_max_words:
        # only the reprint notice is long and still boilerplate
        return bool(_CREDIT.search(stripped)) and "non-commercial use only" in stripped.lower()
    key = _line_key(stripped)
    if not key or not _WORD.search(key):
        return True
    return bool(
        key in _WIDGET_LINES
        or _COUNT_LABEL.match(key)
        or (_BARE_URL.match(stripped) is not None and _is_own_link(stripped, own_host))
        or _PROMO_PREFIX.match(stripped.lstrip("(["))
        or _CREDIT.search(stripped)
        or _TAGGED_TEASER.search(stripped)
        or _SHARE_PROMPT.search(stripped)
        or _EMAIL_CONTACT.match(stripped)
    )


def _host(url: str | None) -> str | None:
    if not url:
        return None
    host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    return host.removeprefix("www.") or None


def _is_own_link(link: str, own_host: str | None) -> bool:
    # a bare link to the page's own site is a share/permalink widget; links elsewhere are often cited sources
    return own_host is None or _host(link) == own_host


_MIN_LINK_LINE_WORDS = 3


def page_link_texts(tree: HtmlElement) -> frozenset[str]:
    """Normalised texts of the page's links long enough to be a teaser (a headline), not a word in a sentence."""
    texts = set()
    for anchor in tree.iter("a"):
        href = (anchor.get("href") or "").strip().lower()
        # in-page anchors (tables of contents, jump labels) repeat the page's own headings
        if not href or href.startswith(("#", "javascript:")):
            continue
        key = _normalise(anchor.text_content())
        if key.count(" ") + 1 >= _MIN_LINK_LINE_WORDS:
            texts.add(key)
    return frozenset(texts)


def _is_link_line(line: str, link_texts: frozenset[str]) -> bool:
    # a link whose text is a URL is a cited source, kept (bare links to the page's own site are dropped elsewhere)
    return bool(link_texts) and not _BARE_URL.match(line.strip()) and _normalise(line) in link_texts


def _normalise(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


_TITLE_SEPARATOR = re.compile(r"\s+[|–—-]\s+|\s*\|\s*")
_MIN_TITLE_PART_CHARS = 15


def _title_keys(title: str | None) -> list[str]:
    """The title and, since page titles carry a site name or section around a separator, each long enough part."""
    if not title:
        return []
    keys = [_normalise(title)]
    keys += [_normalise(part) for part in _TITLE_SEPARATOR.split(title) if len(part) >= _MIN_TITLE_PART_CHARS]
    return [k for k in dict.fromkeys(keys) if k]


def _is_title_line(line: str, title_keys: list[str]) -> bool:
    key = _normalise(line)
    return bool(key) and any(key == t or (len(key) > 20 and t.startswith(key)) for t in title_keys)


def clean_text(
    text: str,
    title: str | None = None,
    url: str | None = None,
    link_texts: frozenset[str] = frozenset(),
    settings: ExtractSettings = DEFAULT_SETTINGS,
) -> str:
    """Drop the headline, promotion/widget lines and closing sections from extracted text (one paragraph a line).

    `url` is the page's own URL: bare links to its site are widgets, links elsewhere are kept as cited sources.
    `link_texts` are the normalised texts of the page's links (see `page_link_texts`): a line that is nothing but a
    link is a teaser for another page.
    """
    own_host = _host(url)
    lines = [line.rstrip() for line in text.splitlines()]
    title_keys = _title_keys(title)
    total = sum(len(line) for line in lines) or 1
    kept: list[str] = []
    seen_chars = 0
    checked_for_title = 0
    for line in lines:
        seen_chars += len(line)
        if not line.strip():
            continue
        if checked_for_title < settings.title_lines_checked:
            checked_for_title += 1
            if _is_title_line(line, title_keys):
                continue
        key = _line_key(line)
        if key in _TAIL_MARKERS and (seen_chars - len(line)) >= settings.tail_marker_min_share * total:
            break
        if _is_boilerplate_line(line, own_host, settings) or _is_link_line(line, link_texts):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


# --- metadata -----------------------------------------------------------------------------------------------------

_DATE_XPATHS = (
    '//meta[@property="article:published_time"]/@content',
    '//meta[@name="article:published_time"]/@content',
    '//meta[@itemprop="datePublished"]/@content',
    '//meta[@property="og:published_time"]/@content',
    '//meta[@name="pubdate"]/@content',
    '//meta[@name="publishdate"]/@content',
    '//meta[@name="date"]/@content',
    '//meta[@name="dc.date.issued"]/@content',
    '//meta[@name="DC.date.issued"]/@content',
    '//*[@itemprop="datePublished"]/@datetime',
    "//article//time/@datetime",
)
_ISO_DATETIME = re.compile(
    r"^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(Z|[+-]\d{2}:?\d{2})?)?", re.I
)


def _parse_datetime(value: str | None) -> dt.datetime | None:
    """An ISO 8601 date or date-time as tz-aware UTC (a naive time or bare date is taken as UTC)."""
    if not value:
        return None
    match = _ISO_DATETIME.match(value)
    if not match:
        return None
    year, month, day, hour, minute, second, offset = match.groups()
    try:
        tz = dt.UTC
        if offset and offset.upper() != "Z":
            sign = 1 if offset[0] == "+" else -1
            digits = offset[1:].replace(":", "")
            tz = dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
        parsed = dt.datetime(
            int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0), tzinfo=tz
        )
    except ValueError:
        return None
    if not 1990 <= parsed.year <= 2100:
        return None
    return parsed.astimezone(dt.UTC)


def _jsonld_roots(tree: HtmlElement) -> list[Any]:
    """The parsed JSON-LD blocks of a page; a block that is not valid JSON is skipped."""
    roots = []
    for script in tree.iterfind('.//script[@type="application/ld+json"]'):
        if script.text:
            try:
                roots.append(json.loads(script.text))
            except ValueError:
                continue
    return roots


def _iter_jsonld(roots: list[Any]) -> Iterator[dict[str, Any]]:
    """Every object node of the JSON-LD blocks, `@graph` members included."""
    stack = list(roots)
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            yield node
            graph = node.get("@graph")
            if isinstance(graph, list):
                stack.extend(graph)


_ARTICLE_TYPES = ("Article", "BlogPosting", "Report", "LiveBlogPosting")


def _jsonld_types(node: dict[str, Any]) -> set[str]:
    types = node.get("@type")
    return {t for t in (types if isinstance(types, list) else [types]) if isinstance(t, str)}


def _published_from_tags(tree: HtmlElement, jsonld: list[dict[str, Any]]) -> dt.datetime | None:
    # the article's own node first: a page's JSON-LD also describes the web page, breadcrumbs and related stories
    articles_first = sorted(jsonld, key=lambda node: not any(t.endswith(_ARTICLE_TYPES) for t in _jsonld_types(node)))
    for node in articles_first:
        if isinstance(node.get("datePublished"), str) and "T" in node["datePublished"]:
            parsed = _parse_datetime(node["datePublished"])
            if parsed:
                return parsed
    for xpath in _DATE_XPATHS:
        for value in tree.xpath(xpath):
            if "T" in value or " " in value.strip():
                parsed = _parse_datetime(value)
                if parsed:
                    return parsed
    return None


def _canonical_url(tree: HtmlElement, page_url: str | None) -> str | None:
    for xpath in ('//link[@rel="canonical"]/@href', '//meta[@property="og:url"]/@content'):
        for value in tree.xpath(xpath):
            value = value.strip()
            if not value:
                continue
            absolute = urljoin(page_url, value) if page_url else value
            if urlsplit(absolute).scheme in ("http", "https") and urlsplit(absolute).netloc:
                return absolute
    return None


def _html_language(tree: HtmlElement) -> str | None:
    candidates = [tree.get("lang"), tree.get("{http://www.w3.org/XML/1998/namespace}lang"), tree.get("xml:lang")]
    candidates += tree.xpath('//meta[translate(@http-equiv, "CONTENTLAGU", "contentlagu")="content-language"]/@content')
    candidates += tree.xpath('//meta[@property="og:locale"]/@content')
    for value in candidates:
        if value:
            primary = re.split(r"[-_,;\s]", value.strip())[0].lower()
            if re.fullmatch(r"[a-z]{2,3}", primary):
                return primary
    return None


_SITE_FROM_URL = re.compile(r"https?://(?:www\.|w[0-9]+\.)?([^/]+)")  # the site name when a page declares none


def _page_metadata(tree: HtmlElement, url: str | None, jsonld_roots: list[Any]) -> Document:
    """Title, author, description and site name as trafilatura's `extract_metadata` reads them, in its order (meta
    tags, then JSON-LD over them, then the page's headings and bylines), without the parts no record uses."""
    metadata = examine_meta(tree)
    if metadata.author and " " not in metadata.author:  # a single word is a handle or a section, not a name
        metadata.author = None
    for root in jsonld_roots:
        try:
            metadata = extract_json(root, metadata)
        except Exception:  # noqa: BLE001 - odd JSON-LD must not lose the article; the tags stand
            continue
    metadata.title = metadata.title or extract_title(tree)
    metadata.author = metadata.author or extract_author(tree)
    metadata.sitename = metadata.sitename or extract_sitename(tree)
    if metadata.sitename:
        metadata.sitename = metadata.sitename.lstrip("@")
        if metadata.sitename and "." not in metadata.sitename and not metadata.sitename[0].isupper():
            metadata.sitename = metadata.sitename.title()
    elif url:
        host = _SITE_FROM_URL.match(url)
        metadata.sitename = host[1] if host else None
    metadata.clean_and_trim()  # HTML entities, soft hyphens, stray whitespace
    return metadata


def _authors(author: str | None) -> list[str]:
    if not author:
        return []
    seen: list[str] = []
    for name in re.split(r";|\s+(?:and|und|et|y)\s+", author):
        name = name.strip(" ,")
        if name and name not in seen:
            seen.append(name)
    return seen


def _jsonld_body(jsonld: list[dict[str, Any]]) -> str | None:
    bodies = [node["articleBody"].strip() for node in jsonld if isinstance(node.get("articleBody"), str)]
    return max(bodies, key=len) if bodies else None


# --- extraction ---------------------------------------------------------------------------------------------------


def _search_date(tree: HtmlElement, url: str | None, extensive: bool) -> str | None:
    try:
        return find_date(tree, extensive_search=extensive, original_date=True, url=url)
    except Exception:  # a date is optional; a htmldate failure must not lose the article
        return None


def _decode(html: str | bytes) -> str:
    if isinstance(html, str):
        return html
    # trafilatura's decoder sniffs the declared charset and falls back to UTF-8 / Latin-1
    return trafilatura.utils.decode_file(html)


def _run_trafilatura(tree: HtmlElement, url: str | None, *, fast: bool) -> Any:
    return trafilatura.bare_extraction(
        tree, url=url, fast=fast, include_comments=False, include_tables=True, with_metadata=False
    )


def extract_article(
    html: str | bytes, url: str | None = None, settings: ExtractSettings = DEFAULT_SETTINGS
) -> Extracted:
    """The main text and metadata of one page. Deterministic, offline.

    Raises `StageError` with reason `not_html` (not an HTML document), `parse_error` (lxml could not build a tree)
    or `no_text` (no article text on the page).
    """
    text = _decode(html)[: settings.max_html_chars]
    _check_is_html(text)
    try:
        tree = load_html(text)
    except Exception as err:  # lxml raises a zoo of types on broken input
        raise StageError("parse_error", f"{type(err).__name__}: {err}") from err
    if tree is None:
        raise StageError("parse_error", "lxml produced no tree")

    try:
        document = _run_trafilatura(tree, url, fast=True)
    except Exception as err:  # a trafilatura bug on one page must not take the bundle down
        raise StageError("parse_error", f"trafilatura failed: {type(err).__name__}: {err}") from err
    jsonld_roots = _jsonld_roots(tree)
    jsonld = list(_iter_jsonld(jsonld_roots))
    canonical_url = _canonical_url(tree, url)
    metadata = _page_metadata(tree, url or canonical_url, jsonld_roots)

    title = metadata.title or _first(tree.xpath("//title/text()"))
    link_texts = page_link_texts(tree)
    body = clean_text(document.text if document and document.text else "", title, url, link_texts, settings)

    if len(body) < settings.retry_below_chars or len(body) < settings.retry_below_paragraph_share * _paragraph_chars(
        tree, settings.paragraph_min_chars
    ):
        body = _best_fallback(tree, url, body, title, jsonld, link_texts, settings)
    if len(body) < settings.min_text_chars:
        raise StageError("no_text", f"{len(body)} characters of main text")

    published = _published_from_tags(tree, jsonld)
    if published is None:
        published = _parse_datetime(_search_date(tree, url, settings.extensive_date_search))
    return Extracted(
        title=_clean_field(title),
        text=body,
        authors=_authors(metadata.author),
        published=published,
        description=_clean_field(metadata.description),
        sitename=_clean_field(metadata.sitename),
        canonical_url=canonical_url,
        html_language=_html_language(tree),
    )


def _best_fallback(
    tree: HtmlElement,
    url: str | None,
    body: str,
    title: str | None,
    jsonld: list[dict[str, Any]],
    link_texts: frozenset[str],
    settings: ExtractSettings,
) -> str:
    """A better body than the fast extraction's when that one looks like a miss (too short)."""
    declared = _jsonld_body(jsonld)
    if declared:
        declared = clean_text(declared, title, url, link_texts, settings)
        if len(declared) >= settings.min_text_chars and len(declared) > settings.jsonld_longer_ratio * len(body):
            return declared
    try:
        full = _run_trafilatura(tree, url, fast=False)
    except Exception:  # the fast result stands when the full cascade breaks
        return body
    cleaned = clean_text(full.text if full and full.text else "", title, url, link_texts, settings)
    if not body or (len(cleaned) > settings.fallback_longer_ratio * len(body) and not _adds_teasers(body, cleaned)):
        return cleaned
    return body


_TRUNCATED = re.compile(r"(?:…|\.\.\.|\[…\]|\[\.\.\.\])\s*$")
_TEASER_SHARE = 0.3


def _adds_teasers(body: str, candidate: str) -> bool:
    """Whether what `candidate` adds to `body` is mostly excerpts cut with an ellipsis: a listing of other posts."""
    known = set(body.splitlines())
    added = [line for line in candidate.splitlines() if line not in known and len(line) > 40]
    return bool(added) and sum(bool(_TRUNCATED.search(line)) for line in added) >= _TEASER_SHARE * len(added)


def _paragraph_chars(tree: HtmlElement, min_chars: int) -> int:
    """Characters in the page's prose paragraphs: a cheap measure of how much article text the page holds."""
    total = 0
    for paragraph in tree.iter("p"):
        length = len(paragraph.text_content().strip())
        if length >= min_chars:
            total += length
    return total


def _first(values: Iterable[str]) -> str | None:
    for value in values:
        if value and value.strip():
            return value.strip()
    return None


def _clean_field(value: str | None) -> str | None:
    if value is None:
        return None
    value = _WS.sub(" ", value).strip()
    return value or None


# --- Beam ---------------------------------------------------------------------------------------------------------


# The Beam transform lives in transforms/extract_beam.py, imported on first use: `conflictwire analyze` calls this
# module's functions without ever importing Apache Beam (about 2 s of start-up).
__getattr__ = lazy_exports(
    __name__, frozenset({"_ExtractDoFn", "ExtractArticles", "_NON_HTML_TYPES"}), "transforms.extract_beam"
)
