"""Feed list, safe feed parsing and PollFeeds in a real pipeline against a loopback server and the feed corpora."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections import Counter, defaultdict
from pathlib import Path
from urllib.parse import quote

import apache_beam as beam
import pytest
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from tests.conftest import FIXTURES, shared_path
from tests.faultserver import FaultServer, conditional, fast_settings, redirect, respond
from transforms.base import DEAD
from transforms.feeds import FEED_STATUS, PollFeeds, parse_feed, read_feed_list, strip_dtd
from transforms.settings import FetchSettings
from transforms.urls import canonicalize

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
FEEDS = FIXTURES / "feeds"
SETTINGS = fast_settings(retries=0)
RSS = {"Content-Type": "application/rss+xml; charset=utf-8"}


def rss(*items: str, extra: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>{extra}'
        + "".join(items)
        + "</channel></rss>"
    ).encode("utf-8")


def item(link: str | None = None, guid: str | None = None, title: str = "Story") -> str:
    parts = [f"<title>{title}</title>"]
    if link:
        parts.append(f"<link>{link}</link>")
    if guid:
        parts.append(f"<guid>{guid}</guid>")
    return "<item>" + "".join(parts) + "</item>"


def parse(body: bytes, headers=None, feed_url: str = "http://news.example.org/feed"):
    return parse_feed(body, feed_url=feed_url, headers=headers, seen_at=NOW)


_COLLECTED: dict[str, dict[str, list]] = {}  # FnApiRunner runs in this process: DoFns append here by run token


class _Collect(beam.DoFn):
    def __init__(self, token: str, name: str):
        self.token, self.name = token, name

    def process(self, row):
        _COLLECTED[self.token].setdefault(self.name, []).append(row)


def run_poll(urls: list[str], settings: FetchSettings = SETTINGS, state: dict | None = None):
    """Run PollFeeds on FnApiRunner; returns (items, statuses, dead letters) as lists."""
    token = uuid.uuid4().hex
    _COLLECTED[token] = {}
    with beam.Pipeline(runner=FnApiRunner()) as pipeline:
        result = pipeline | beam.Create(urls) | PollFeeds(settings, run_id="run-1", state=state)
        for name in ("items", FEED_STATUS, DEAD):
            result[name] | f"Collect {name}" >> beam.ParDo(_Collect(token, name))
    collected = _COLLECTED.pop(token)
    return collected.get("items", []), collected.get(FEED_STATUS, []), collected.get(DEAD, [])


@pytest.fixture
def fault_server():
    with FaultServer() as server:
        yield server


# ---------------------------------------------------------------------------------------------------------------------
# read_feed_list


def test_feed_list_reads_urls_skipping_comments_blanks_and_duplicates(tmp_path):
    path = tmp_path / "feeds.txt"
    path.write_text(
        "# world news\n\nhttps://a.example/rss\n  https://b.example/atom  # inline note\nhttps://a.example/rss\n"
    )
    assert read_feed_list(str(path)) == ["https://a.example/rss", "https://b.example/atom"]


def test_feed_list_reads_opml_xml_urls():
    assert read_feed_list(str(FEEDS / "sample.opml")) == [
        "https://feeds.bbci.co.uk/news/world/rss.xml",
        "https://www.aljazeera.com/xml/rss/all.xml",
        "https://rss.dw.com/rdf/rss-en-world",
    ]


def test_missing_feed_list_raises_file_not_found_naming_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.txt"):
        read_feed_list(str(tmp_path / "nowhere.txt"))


def test_feed_list_without_urls_raises_value_error(tmp_path):
    path = tmp_path / "empty.txt"
    path.write_text("# nothing yet\n\n")
    with pytest.raises(ValueError, match="no feed URL"):
        read_feed_list(str(path))


def test_feed_list_with_a_non_url_line_names_the_line(tmp_path):
    path = tmp_path / "feeds.txt"
    path.write_text("https://a.example/rss\nfeeds.example.org/rss\n")
    with pytest.raises(ValueError, match=":2:"):
        read_feed_list(str(path))


# ---------------------------------------------------------------------------------------------------------------------
# parse_feed


def test_items_get_canonical_url_stable_id_and_fields():
    body = rss(
        item("https://News.example.org/a?utm_source=rss&id=7#top", "g-1", "Clashes in <b>Goma</b>"),
        extra="<language>fr-FR</language>",
    )
    parsed = parse(body)
    [only] = parsed.items
    assert only.url == "https://news.example.org/a?id=7"
    assert only.title == "Clashes in Goma"
    assert only.guid == "g-1"
    assert only.feed_language == parsed.language == "fr-fr"
    assert only.seen_at == NOW
    assert only.item_id == parse(rss(item("https://news.example.org/a?id=7"))).items[0].item_id


def test_guid_permalink_and_link_of_the_same_story_give_one_id():
    by_link = parse(rss(item(link="https://news.example.org/story-1"))).items[0]
    by_guid = parse(
        rss(
            '<item><title>x</title><guid isPermaLink="true">https://news.example.org/story-1?utm_medium=x</guid></item>'
        )
    ).items[0]
    assert by_guid.url == "https://news.example.org/story-1"
    assert by_link.item_id == by_guid.item_id


def test_items_without_link_and_guid_become_problems_not_crashes():
    parsed = parse(rss(item(None, None, "Orphan"), item("https://news.example.org/ok")))
    assert [i.url for i in parsed.items] == ["https://news.example.org/ok"]
    assert [p.reason for p in parsed.item_problems] == ["item_no_link"]
    assert "Orphan" in parsed.item_problems[0].detail


def test_duplicate_entries_in_one_document_are_kept_once():
    parsed = parse(
        rss(
            item("https://news.example.org/a"),
            item("https://news.example.org/a?utm_campaign=x"),
            item("https://news.example.org/b"),
        )
    )
    assert [i.url for i in parsed.items] == ["https://news.example.org/a", "https://news.example.org/b"]
    assert (parsed.entries, parsed.duplicates) == (3, 1)


def test_feedburner_original_link_wins_over_the_proxy_link():
    body = (
        b'<?xml version="1.0"?><rss version="2.0" xmlns:feedburner="http://rssnamespace.org/feedburner/ext/1.0">'
        b"<channel><title>t</title><item><title>x</title>"
        b"<link>http://feedproxy.google.com/~r/Example/~3/abc/story.html</link>"
        b"<feedburner:origLink>https://news.example.org/story.html?utm_source=feedburner</feedburner:origLink>"
        b"</item></channel></rss>"
    )
    assert parse(body).items[0].url == "https://news.example.org/story.html"


def test_relative_links_resolve_against_the_feed_url():
    parsed = parse(rss(item("/world/2026/a.html")), feed_url="https://news.example.org/rss/world.xml")
    assert parsed.items[0].url == "https://news.example.org/world/2026/a.html"


def test_billion_laughs_is_never_expanded():
    body = (FEEDS / "billion_laughs.xml").read_bytes()
    parsed = parse(body)
    text = " ".join(f"{i.title} {i.summary}" for i in parsed.items)
    assert "lollol" not in text  # an entity reference may survive as text; its expansion never
    assert len(text) < 1000
    assert parsed.bozo


def test_external_entity_never_reads_a_local_file(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-TOKEN-4711")
    template = (FEEDS / "xxe.xml").read_text()
    body = template.replace("SECRET_PATH", secret.as_uri()).encode("utf-8")
    parsed = parse(body)
    dumped = json.dumps([i._asdict() for i in parsed.items], default=str) + str(parsed.problem) + str(parsed.title)
    assert "TOP-SECRET-TOKEN-4711" not in dumped
    assert parsed.items, "the rest of the feed is still read"


def test_strip_dtd_removes_internal_subsets_in_utf16_documents_too():
    text = '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE rss [<!ENTITY a "b">]><rss version="2.0"/>'
    stripped, changed = strip_dtd("\ufeff".encode("utf-16-le") + text.encode("utf-16-le"))
    assert changed
    assert "ENTITY" not in stripped.decode("utf-16")


def test_http_charset_is_honoured():
    text = "Столкновения в Хартуме"
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>{text}</title>'
        f"<link>https://news.example.org/1</link></item></channel></rss>"
    ).encode("koi8-r")
    assert parse(body, {"Content-Type": "application/rss+xml; charset=koi8-r"}).items[0].title == text


def test_declared_legacy_encoding_in_xml_declaration_is_honoured():
    body = (FEEDS / "greek-iso-8859-7.xml").read_bytes()
    parsed = parse(body)
    assert parsed.items[0].title.startswith("«Πορτραίτα καραντίνας»")


def test_undeclared_legacy_encoding_is_detected():
    text = "Обстрел Донецка: погибли пять человек, ещё двенадцать ранены, сообщили местные власти"
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><item><title>{text}</title>'
        f"<description>{text}. {text}.</description>"
        f"<link>https://news.example.org/1</link></item></channel></rss>"
    ).encode("windows-1251")
    assert parse(body, {"Content-Type": "application/rss+xml"}).items[0].title == text


def test_an_html_page_is_not_a_feed():
    parsed = parse(
        b"<html><head><title>Home</title></head><body><a href='/x'>x</a></body></html>", {"Content-Type": "text/html"}
    )
    assert not parsed.is_feed and not parsed.items


# ---------------------------------------------------------------------------------------------------------------------
# PollFeeds in a pipeline


def test_poll_feeds_emits_items_statuses_and_dead_letters(fault_server):
    good = fault_server.route(
        "/good",
        respond(
            rss(item("https://news.example.org/a"), item(None, None, "bad"), item("https://news.example.org/a")),
            headers=RSS,
        ),
    )
    missing = fault_server.url("/missing")
    private = "http://10.0.0.1/feed"
    not_feed = fault_server.route(
        "/page", respond(b"<html><body>hello</body></html>", headers={"Content-Type": "text/html"})
    )
    items, statuses, dead = run_poll([good, missing, private, not_feed])
    by_feed = {s.feed_url: s for s in statuses}
    assert len(statuses) == 4 and set(by_feed) == {good, missing, private, not_feed}
    assert [i.url for i in items] == ["https://news.example.org/a"]
    assert (by_feed[good].status, by_feed[good].items, by_feed[good].http_status) == ("ok", 3, 200)
    assert by_feed[good].new_items is None and by_feed[good].run_id == "run-1"
    assert (by_feed[missing].status, by_feed[missing].http_status) == ("error", 404)
    assert by_feed[private].status == "refused"
    assert by_feed[not_feed].status == "error" and by_feed[not_feed].error.startswith("not_a_feed")
    reasons = sorted((d.reason, d.feed_url) for d in dead)
    assert reasons == sorted(
        [("item_no_link", good), ("http_404", missing), ("ssrf_refused", private), ("not_a_feed", not_feed)]
    )
    assert all(d.stage == "feeds" for d in dead)


def test_conditional_get_is_counted_as_not_modified(fault_server):
    etag, modified = '"abc"', "Mon, 01 Dec 2025 10:00:00 GMT"
    url = fault_server.route("/feed", conditional(rss(item("https://news.example.org/a")), etag, modified))
    items, statuses, _ = run_poll([url])
    assert len(items) == 1
    [first] = statuses
    assert (first.status, first.etag, first.last_modified) == ("ok", etag, modified)
    items, statuses, dead = run_poll([url], state={url: (first.etag, first.last_modified)})
    [second] = statuses
    assert (second.status, second.http_status, second.items, items, dead) == ("not_modified", 304, 0, [], [])
    assert (second.etag, second.last_modified) == (etag, modified)


def test_robots_disallowed_feed_is_refused(fault_server):
    fault_server.route("/robots.txt", respond(b"User-agent: *\nDisallow: /feeds/\n"))
    url = fault_server.route("/feeds/world", respond(rss(item("https://news.example.org/a")), headers=RSS))
    items, statuses, dead = run_poll([url])
    assert (items, [s.status for s in statuses], [d.reason for d in dead]) == ([], ["refused"], ["robots_disallowed"])
    assert fault_server.hits["/feeds/world"] == 0


def test_feed_redirecting_to_a_private_address_is_refused(fault_server):
    url = fault_server.route("/moved", redirect("http://[::ffff:127.0.0.1]/feed"))
    _, statuses, dead = run_poll([url])
    assert [s.status for s in statuses] == ["refused"]
    assert [d.reason for d in dead] == ["ssrf_refused"]


# ---------------------------------------------------------------------------------------------------------------------
# The corpora, served on loopback with their own headers, through a real pipeline


def _serve_corpus(server: FaultServer, root: Path, files: list[str], headers_of=None) -> dict[str, Path]:
    urls = {}
    for name in files:
        headers = dict(headers_of(name)) if headers_of else {}
        headers.setdefault("Content-Type", "application/xml")
        urls[server.route("/c/" + quote(name), respond((root / name).read_bytes(), headers=headers))] = root / name
    return urls


def _check_corpus_run(urls: dict[str, Path], headers_for) -> list:
    items, statuses, dead = run_poll(sorted(urls), dataclasses.replace(SETTINGS, worker_threads=4))
    assert Counter(s.feed_url for s in statuses) == Counter({url: 1 for url in urls}), "one FeedStatus per feed"
    crashes = [d for d in dead if d.reason in ("internal_error", "parse_error")]
    assert not crashes, crashes[:3]
    items_by_feed = defaultdict(list)
    for row in items:
        items_by_feed[row.feed_url].append(row)
    dead_items = Counter(d.feed_url for d in dead if d.reason.startswith("item_"))
    for status in statuses:
        if status.status != "ok":
            continue
        expected = parse(urls[status.feed_url].read_bytes(), headers_for(status.feed_url), status.feed_url)
        assert status.items == expected.entries
        got = items_by_feed[status.feed_url]
        assert len(got) + dead_items[status.feed_url] + expected.duplicates == expected.entries, status.feed_url
        assert all(row.url is None or row.url == canonicalize(row.url) for row in got)
    return statuses


def _feedparser_headers(entry: dict) -> dict[str, str]:
    headers = {}
    for line in entry.get("http_headers") or []:
        name, _, value = line.partition(":")
        headers[name.strip()] = value.strip()
    return headers


def test_feedparser_corpus_polls_without_a_crash():
    root = shared_path("feedparser-tests")
    index = [json.loads(line) for line in (root / "index.jsonl").read_text().splitlines() if line.strip()]
    headers = {entry["file"]: _feedparser_headers(entry) for entry in index}
    with FaultServer() as server:
        urls = _serve_corpus(server, root, sorted(headers), headers.get)
        by_url = {url: headers[str(path.relative_to(root))] for url, path in urls.items()}
        _check_corpus_run(urls, lambda url: {"Content-Type": "application/xml", **by_url[url]})


@pytest.mark.parametrize("corpus, folder", [("rss-parser-feeds", "input"), ("prof18-rssparser-feeds", "")])
def test_real_feed_corpora_poll_without_a_crash(corpus, folder):
    root = shared_path(corpus, folder) if folder else shared_path(corpus)
    files = sorted(p.name for p in root.iterdir() if p.is_file() and p.name != "README.md")
    with FaultServer() as server:
        urls = _serve_corpus(server, root, files)
        statuses = _check_corpus_run(urls, lambda url: {"Content-Type": "application/xml"})
    ok = [s for s in statuses if s.status == "ok"]
    assert len(ok) >= len(files) - 2  # only non-feeds (unrecognized.rss) may fail


def test_every_corpus_feed_goes_through_conflictwire_run_and_each_feeds_counts_add_up(tmp_path):
    """Issue 3's acceptance: the three feed corpora on loopback, through the real command, in one run.

    The items link to the publishers' own sites; `--only-allowed-hosts` turns those into dead letters without any
    network access, so each item still ends as an article row or a dead letter.
    """
    from pipelines.batch import is_item_dead_letter
    from pipelines.cli import main
    from schemas import DeadLetter
    from transforms.sinks import read_rows

    corpora = [
        (shared_path("feedparser-tests"), None),
        (shared_path("rss-parser-feeds", "input"), None),
        (shared_path("prof18-rssparser-feeds"), None),
    ]
    index = [json.loads(line) for line in (corpora[0][0] / "index.jsonl").read_text().splitlines() if line.strip()]
    feedparser_headers = {entry["file"]: _feedparser_headers(entry) for entry in index}
    feed_urls = []
    with FaultServer() as server:
        for root, _ in corpora:
            if root.name == "feedparser-tests":
                files, headers_of = sorted(feedparser_headers), feedparser_headers.get
            else:
                files = sorted(p.name for p in root.iterdir() if p.is_file() and p.name != "README.md")
                headers_of = None
            prefix = f"/{root.parent.name if root.name == 'input' else root.name}"
            for name in files:
                headers = dict(headers_of(name)) if headers_of else {}
                headers.setdefault("Content-Type", "application/xml")
                feed_urls.append(
                    server.route(prefix + "/" + quote(name), respond((root / name).read_bytes(), headers=headers))
                )
        feed_list = tmp_path / "feeds.txt"
        feed_list.write_text("\n".join(feed_urls) + "\n")
        code = main(
            ["run", "--feeds", str(feed_list), "--output", str(tmp_path / "out"), "--run-id", "corpora",
             "--allow-host", "localhost", "--only-allowed-hosts", "--host-interval", "0"]
        )  # fmt: skip
    assert code == 0
    read = {k: read_rows(str(tmp_path / "out"), k) for k in ("feed_status", "articles", "dead_letters")}
    tables = {k: table.to_pylist() if table is not None else [] for k, table in read.items()}  # no page is served
    statuses = tables["feed_status"]
    assert Counter(s["feed_url"] for s in statuses) == Counter({url: 1 for url in set(feed_urls)})
    assert sum(s["status"] == "ok" for s in statuses) >= len(set(feed_urls)) - 10  # non-feeds, empty documents
    articles = Counter(a["feed_url"] for a in tables["articles"])
    item_dead = Counter(d["feed_url"] for d in tables["dead_letters"] if is_item_dead_letter(DeadLetter(**d)))
    for status in statuses:
        assert status["new_items"] == articles[status["feed_url"]] + item_dead[status["feed_url"]], status["feed_url"]
    assert sum(s["new_items"] for s in statuses) > 300
    assert not [d for d in tables["dead_letters"] if d["reason"] in ("internal_error", "extract_error")]
