"""FetchPages in a real pipeline against the fault-injecting loopback server: pages decoded, failures dead-lettered."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import apache_beam as beam
import pytest
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from schemas import FeedItem
from tests.faultserver import FaultServer, fast_settings, redirect, respond, truncated
from transforms.base import DEAD
from transforms.fetch import FetchPages, fetch_page, host_key
from transforms.http import HttpClient
from transforms.settings import FetchSettings
from transforms.urls import item_id_for

SETTINGS = fast_settings(retries=0)
NOW = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
FEED = "http://localhost/feed"
_COLLECTED: dict[str, dict[str, list]] = {}


@pytest.fixture
def fault_server():
    with FaultServer() as server:
        yield server


def feed_item(url: str | None, guid: str | None = None) -> FeedItem:
    return FeedItem(item_id=item_id_for(url, guid or url, FEED), feed_url=FEED, url=url, guid=guid, seen_at=NOW)


class _Collect(beam.DoFn):
    def __init__(self, token: str, name: str):
        self.token, self.name = token, name

    def process(self, row):
        _COLLECTED[self.token].setdefault(self.name, []).append(row)


def run_fetch(items: list, settings: FetchSettings = SETTINGS):
    token = uuid.uuid4().hex
    _COLLECTED[token] = {}
    with beam.Pipeline(runner=FnApiRunner()) as pipeline:
        result = pipeline | beam.Create(items) | FetchPages(settings)
        result["pages"] | "Pages" >> beam.ParDo(_Collect(token, "pages"))
        result[DEAD] | "Dead" >> beam.ParDo(_Collect(token, DEAD))
    collected = _COLLECTED.pop(token)
    return collected.get("pages", []), collected.get(DEAD, [])


def test_every_item_ends_as_a_page_or_a_dead_letter(fault_server):
    ok = fault_server.route(
        "/ok", respond(b"<html><body><p>news</p></body></html>", headers={"Content-Type": "text/html; charset=utf-8"})
    )
    moved = fault_server.route("/moved", redirect("/ok", 301))
    gone = fault_server.url("/gone")
    private = "http://192.168.0.10/story"
    image = fault_server.route("/img", respond(b"\x89PNG", headers={"Content-Type": "image/png"}))
    items = [
        feed_item(ok),
        feed_item(moved),
        feed_item(gone),
        feed_item(private),
        feed_item(image),
        feed_item(None, guid="opaque-guid-1"),
    ]
    pages, dead = run_fetch(items)
    assert sorted((p.item.url, p.url, p.http_status) for p in pages) == sorted([(ok, ok, 200), (moved, ok, 200)])
    assert all(p.html == "<html><body><p>news</p></body></html>" for p in pages)
    assert all(p.content_type == "text/html; charset=utf-8" and p.fetched_at.tzinfo for p in pages)
    reasons = sorted((d.reason, d.url) for d in dead)
    assert reasons == sorted(
        [("http_404", gone), ("ssrf_refused", private), ("bad_content_type", image), ("no_url", None)]
    )
    assert all(d.stage == "fetch" and d.feed_url == FEED and d.item_id for d in dead)


def test_pages_in_legacy_encodings_arrive_as_unicode(fault_server):
    text = "Столкновения в Хартуме: десятки погибших, сообщили местные источники в понедельник вечером"
    body = f"<html><head><title>x</title></head><body><p>{text}</p></body></html>".encode("koi8-r")
    declared = fault_server.route("/declared", respond(body, headers={"Content-Type": "text/html; charset=koi8-r"}))
    undeclared = fault_server.route("/undeclared", respond(body, headers={"Content-Type": "text/html"}))
    pages, dead = run_fetch([feed_item(declared), feed_item(undeclared)])
    assert dead == []
    assert len(pages) == 2 and all(text in p.html for p in pages)


def test_robots_disallowed_page_is_a_dead_letter_and_never_requested(fault_server):
    fault_server.route("/robots.txt", respond(b"User-agent: conflictwire\nDisallow: /paywall/\n"))
    url = fault_server.route("/paywall/story", respond(b"<p>x</p>", headers={"Content-Type": "text/html"}))
    pages, dead = run_fetch([feed_item(url)])
    assert (pages, [d.reason for d in dead]) == ([], ["robots_disallowed"])
    assert fault_server.hits["/paywall/story"] == 0


def test_one_hosts_items_are_fetched_one_after_another(fault_server):
    paths = [f"/story/{n}" for n in range(6)]
    active = {"now": 0, "max": 0}

    def counting(request):
        active["now"] += 1
        active["max"] = max(active["max"], active["now"])
        try:
            time.sleep(0.05)
            request.send(200, b"<p>story</p>", {"Content-Type": "text/html"})
        finally:
            active["now"] -= 1

    for path in paths:
        fault_server.route(path, counting)
    pages, dead = run_fetch([feed_item(fault_server.url(p)) for p in paths])
    assert (len(pages), dead) == (6, [])
    assert active["max"] == 1  # politeness: never two requests to one host at once from the fetch stage


def test_fetch_page_core_reports_a_truncated_page_as_dead_letter(fault_server):
    url = fault_server.route("/cut", truncated(b"<p>half", 1000, headers={"Content-Type": "text/html"}))
    tag, row = fetch_page(HttpClient(SETTINGS), feed_item(url))
    assert (tag, row.reason, row.stage) == (DEAD, "truncated", "fetch")


def test_host_key_separates_scheme_host_and_port():
    assert host_key("https://News.example.org/a") == "https://news.example.org"
    assert host_key("http://news.example.org:8080/a") != host_key("http://news.example.org/a")
