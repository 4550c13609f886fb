"""End to end: the batch pipeline on the in-process runner against a real HTTP server on 127.0.0.1.

The server replays the bundled sample (real pages from the fundus test data, the motivating article,
a feed that is gone and an item whose page is missing).
"""

from __future__ import annotations

import collections
import json
from pathlib import Path

import pytest

from pipelines.batch import is_item_dead_letter
from pipelines.demo import SAMPLE
from pipelines.replay import ReplayServer
from pipelines.run import run_batch
from schemas import DeadLetter
from transforms.sinks import read_rows

SAMPLE_PAGES = sum(
    1 for route in json.loads((SAMPLE / "manifest.json").read_text())["routes"].values() if not route.get("feed")
)
MISSING_PAGES = 1  # the one item whose page the snapshot deliberately lacks


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    with ReplayServer(SAMPLE) as server:
        feeds = server.feed_urls() + [server.url(p) for p in server.missing_feeds]
        feed_list = Path(out) / "feeds.txt"
        feed_list.write_text("\n".join(["# sample", *feeds]) + "\n")
        result = run_batch(
            ["--feeds", str(feed_list), "--output", str(out / "data"), "--allow-host", "127.0.0.1", "--run-id", "e2e"]
        )
    tables = {
        kind: read_rows(str(out / "data"), kind).to_pylist()
        for kind in ("articles", "events", "dead_letters", "feed_status")
    }
    return result, tables, server


def test_every_feed_gets_one_status_row_and_the_gone_feed_a_dead_letter(sample_run):
    _, tables, server = sample_run
    statuses = {row["feed_url"].rsplit("/", 1)[-1]: row for row in tables["feed_status"]}
    assert set(statuses) == {"world.xml", "europe.atom", "asia-mideast.xml", "gone.xml"}
    assert statuses["gone.xml"]["status"] == "error" and statuses["gone.xml"]["http_status"] == 404
    assert all(statuses[name]["status"] == "ok" for name in ("world.xml", "europe.atom", "asia-mideast.xml"))
    gone = [d for d in tables["dead_letters"] if d["feed_url"].endswith("/gone.xml")]
    assert len(gone) == 1 and gone[0]["stage"] == "feeds"


def test_every_item_ends_as_an_article_or_a_dead_letter_and_counts_add_up_per_feed(sample_run):
    _, tables, _ = sample_run
    articles = collections.Counter(a["feed_url"] for a in tables["articles"])
    item_dead = collections.Counter(
        d["feed_url"] for d in tables["dead_letters"] if is_item_dead_letter(DeadLetter(**d))
    )
    for status in tables["feed_status"]:
        feed = status["feed_url"]
        assert status["new_items"] == articles[feed] + item_dead[feed], feed
    assert sum(s["new_items"] for s in tables["feed_status"]) == SAMPLE_PAGES + MISSING_PAGES
    missing = [d for d in tables["dead_letters"] if d["stage"] == "fetch"]
    assert [(d["reason"], d["http_status"]) for d in missing] == [("http_404", 404)]


def test_articles_carry_text_language_and_relevance(sample_run):
    _, tables, _ = sample_run
    articles = tables["articles"]
    assert len(articles) >= SAMPLE_PAGES - 2  # a page may legitimately fail extraction, as a dead letter
    assert all(a["text"] and a["language"] for a in articles)
    languages = {a["language"] for a in articles}
    assert {"en", "fr", "de", "ja", "ko", "ru"} <= languages
    assert len({a["article_id"] for a in articles}) == len(articles)
    by_title = {a["title"]: a for a in articles}
    seed = next(a for t, a in by_title.items() if t and "Revenge" in t)
    assert seed["is_conflict"] and seed["event_count"] >= 3
    sport = next(a for t, a in by_title.items() if t and "US Open" in t)
    assert not sport["is_conflict"] and sport["event_count"] == 0


def test_events_are_written_with_acled_types_and_link_to_their_articles(sample_run):
    _, tables, _ = sample_run
    events, articles = tables["events"], {a["article_id"]: a for a in tables["articles"]}
    assert events
    assert all(e["article_id"] in articles and articles[e["article_id"]]["is_conflict"] for e in events)
    assert all(e["event_type"] and e["sub_event_type"] and e["evidence"] for e in events)
    assert len({e["event_id"] for e in events}) == len(events)
    for article_id, count in collections.Counter(e["article_id"] for e in events).items():
        assert articles[article_id]["event_count"] == count


def test_the_run_reports_beam_counters_per_stage(sample_run):
    result, tables, _ = sample_run
    namespaces = {namespace for namespace, _ in result.counters}
    assert {"sink", "dedup"} <= namespaces
    assert result.counters[("sink", "articles_rows")] == len(tables["articles"])
