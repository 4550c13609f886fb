"""Scheduled batch runs into one output: each article once, each event once, nothing lost when a run fails half way.

Every run goes through the real driver (`run_batch`) against a loopback server replaying the bundled sample,
whose feed the test rewrites between runs.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from pipelines.replay import ReplayServer
from pipelines.run import run_batch
from pipelines.state import clean_uncommitted, commit_run, committed_runs, previous_state
from schemas import DEAD_LETTERS
from transforms.base import dead_letter
from transforms.merge import event_from_dict, latest_rows
from transforms.sinks import final_file, read_rows, write_table

SAMPLE = Path(__file__).resolve().parent.parent / "pipelines" / "sample"
FEED = "/feeds/changing.xml"
KYIV = "/globalnews.ca/news/11862251/russia-missile-attack-kyiv-ukraine/"
FIRST_PAGES = [
    "/conflictwire.example/2022/08/azerbaijan-claims-revenge-for-soldier-killed-in-action",
    KYIV,
    "/nationalpost.com/news/world/latest-india-pakistan-missiles",
    "/www.example.org/2024/05/a-story-whose-page-was-not-captured",  # 404: a permanent dead letter
]
LATER_PAGES = [
    "/www.reuters.com/world/middle-east/israeli-tank-likely-scenario-fired-machine-gun-reporters-after-deadly-shelling-2024-03-07/",
    "/wire/kyiv-strike-syndicated",  # the Kyiv story again, as another outlet's syndicated copy
]


class ChangingFeedServer(ReplayServer):
    """The bundled sample plus one feed whose items the test sets between runs."""

    def __init__(self, root: Path):
        manifest = json.loads((SAMPLE / "manifest.json").read_text())
        routes = manifest["routes"]
        routes[FEED] = {"file": "unused", "content_type": "application/rss+xml", "feed": True}
        routes["/wire/kyiv-strike-syndicated"] = dict(routes[KYIV])
        (root / "manifest.json").write_text(json.dumps({"routes": routes}))
        for folder in ("pages", "feeds"):
            shutil.copytree(SAMPLE / folder, root / folder)
        super().__init__(root)
        self.paths: list[str] = []

    def body(self, path: str) -> bytes | None:
        if path != FEED:
            return super().body(path)
        items = "".join(
            f"<item><title>story {i}</title><link>{self.base_url}{p}</link><guid>{self.base_url}{p}</guid></item>"
            for i, p in enumerate(self.paths)
        )
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "snapshot"
    root.mkdir()
    with ChangingFeedServer(root) as running:
        yield running


def _run(server: ChangingFeedServer, output: Path, run_id: str, paths: list[str]):
    server.paths = paths
    feeds = output.parent / f"feeds-{output.name}.txt"
    feeds.write_text(server.url(FEED) + "\n")
    return run_batch(["--feeds", str(feeds), "--output", str(output), "--allow-host", "127.0.0.1", "--run-id", run_id])


def _rows(output: Path, kind: str) -> list[dict]:
    table = read_rows(str(output), kind)
    return table.to_pylist() if table is not None else []


def _events(output: Path) -> list:
    return latest_rows(event_from_dict(r) for r in _rows(output, "events"))


def _snapshot(output: Path) -> dict:
    """What a reader sees, with run ids left out (they differ between the compared outputs by design)."""
    articles = _rows(output, "articles")
    return {
        "articles": collections.Counter((a["article_id"], a["cluster_id"]) for a in articles),
        "events": sorted((e.event_id, tuple(e.source_article_ids), e.source_count) for e in _events(output)),
        "item_dead_letters": collections.Counter(
            (d["item_id"], d["reason"]) for d in _rows(output, "dead_letters") if d["item_id"]
        ),
    }


def test_reruns_add_only_new_items_rows_and_merge_a_later_outlets_report_into_the_recorded_event(server, tmp_path):
    out = tmp_path / "out"
    _run(server, out, "r1", FIRST_PAGES)
    first = _snapshot(out)
    assert len(first["articles"]) == 3 and first["events"], first
    assert sum(first["articles"].values()) == len(first["articles"])  # article ids unique

    _run(server, out, "r2", FIRST_PAGES)  # the feed has not changed
    assert _snapshot(out) == first
    assert not [a for a in _rows(out, "articles") if a["run_id"] == "r2"]
    assert not [e for e in _rows(out, "events") if e["run_id"] == "r2"]
    assert not [d for d in _rows(out, "dead_letters") if d["run_id"] == "r2" and d["item_id"]]  # 404 not retried

    _run(server, out, "r3", FIRST_PAGES + LATER_PAGES)
    articles = _rows(out, "articles")
    assert sorted(a["run_id"] for a in articles) == ["r1"] * 3 + ["r3"] * 2
    assert len({a["article_id"] for a in articles}) == len(articles)
    copy = next(a for a in articles if a["url"].endswith(LATER_PAGES[1]))
    original = next(a for a in articles if a["url"].endswith(KYIV))
    assert copy["cluster_id"] == original["cluster_id"] == original["article_id"]

    events = _events(out)
    assert len({e.event_id for e in events}) == len(events)
    first_ids = {event_id for event_id, _, _ in first["events"]}
    kyiv_events = [e for e in events if original["article_id"] in e.source_article_ids]
    assert kyiv_events and all(e.event_id in first_ids for e in kyiv_events)  # ids kept across runs
    assert any(copy["article_id"] in e.source_article_ids and e.source_count >= 2 for e in kyiv_events)
    assert {e.run_id for e in kyiv_events if e.source_count >= 2} == {"r3"}  # rewritten by the run that added a source
    assert committed_runs(str(out)) == {"r1", "r2", "r3"}
    assert _duckdb_view(out) == sorted((e.event_id, e.source_count, e.run_id) for e in events)


def _duckdb_view(output: Path) -> list[tuple]:
    """The readers' view shipped in the docs, run as written there."""
    duckdb = pytest.importorskip("duckdb")
    doc = (Path(__file__).resolve().parent.parent / "docs" / "incremental-and-streaming.md").read_text()
    sql = doc.split("```sql", 1)[1].split("```", 1)[0].replace("OUTPUT", str(output))
    con = duckdb.connect()
    con.execute(sql)
    return sorted(con.execute("SELECT event_id, source_count, run_id FROM events").fetchall())


def test_a_run_that_fails_half_way_then_reruns_ends_with_the_rows_of_an_uninterrupted_run(server, tmp_path):
    clean = tmp_path / "clean"
    _run(server, clean, "r1", FIRST_PAGES)
    _run(server, clean, "r2", FIRST_PAGES + LATER_PAGES)
    expected = _snapshot(clean)

    out = tmp_path / "out"
    _run(server, out, "r1", FIRST_PAGES)
    # A file where the dead-letter dataset should go makes that kind's finalisation fail after the
    # other kinds were already moved into place: a run dying half way.
    (out / "dead_letters").rename(out / "dead_letters.moved")
    (out / "dead_letters").write_text("in the way")
    with pytest.raises(Exception):  # noqa: B017 - whatever the runner wraps the I/O error in
        _run(server, out, "r2", FIRST_PAGES + LATER_PAGES)
    assert {a["run_id"] for a in _rows(out, "articles")} == {"r1", "r2"}  # half of r2 landed
    assert "r2" not in committed_runs(str(out))

    (out / "dead_letters").unlink()
    (out / "dead_letters.moved").rename(out / "dead_letters")
    assert len(previous_state(str(out), 30, "r3").seen_item_ids) == 3 + 1  # r1's articles and its 404 only
    _run(server, out, "r3", FIRST_PAGES + LATER_PAGES)  # the next scheduled run
    assert _snapshot(out) == expected
    assert committed_runs(str(out)) == {"r1", "r3"}


def test_a_retried_run_replaces_its_own_slot(server, tmp_path):
    out = tmp_path / "out"
    _run(server, out, "r1", FIRST_PAGES)
    once = _snapshot(out)
    _run(server, out, "r1", FIRST_PAGES)  # a scheduler retry of the same slot
    assert _snapshot(out) == once


def _letters(output: Path, run_id: str, letters: list[tuple[str, str]], commit: bool = True) -> None:
    rows = [dead_letter("fetch", reason, item_id=item)._replace(run_id=run_id) for item, reason in letters]
    write_table(final_file(str(output), "dead_letters", "2026-01-01", run_id, 0), DEAD_LETTERS, rows)
    if commit:
        commit_run(str(output), run_id)


def test_items_failed_for_good_are_not_retried_and_transient_failures_only_until_their_third_attempt(tmp_path):
    (tmp_path / "dead_letters" / "dt=2026-01-01").mkdir(parents=True)
    _letters(
        tmp_path,
        "r1",
        [("gone", "http_404"), ("robots", "robots_disallowed"), ("flaky", "timeout"), ("busy", "http_503")],
    )
    _letters(tmp_path, "r2", [("flaky", "timeout"), ("busy", "http_503")])
    _letters(tmp_path, "r3", [("flaky", "connection_error")])
    _letters(tmp_path, "killed", [("lost", "http_404")], commit=False)
    seen = previous_state(str(tmp_path), 30, "r4", today=dt.date(2026, 1, 2)).seen_item_ids
    assert seen == {"gone", "robots", "flaky"}  # busy failed twice: one more try; "killed" never committed
    assert previous_state(str(tmp_path), 30, "r4", today=dt.date(2026, 3, 1)).seen_item_ids == set()  # lookback


def test_cleaning_removes_only_uncommitted_runs_files(tmp_path):
    (tmp_path / "dead_letters" / "dt=2026-01-01").mkdir(parents=True)
    _letters(tmp_path, "r1", [("a", "http_404")])
    _letters(tmp_path, "killed", [("b", "http_404")], commit=False)
    _letters(tmp_path, "current", [("c", "http_404")], commit=False)
    removed = clean_uncommitted(str(tmp_path), "current")
    assert [Path(p).name for p in removed] == ["part-killed-00000.parquet"]
    assert sorted(p.name for p in (tmp_path / "dead_letters" / "dt=2026-01-01").iterdir()) == [
        "part-current-00000.parquet",
        "part-r1-00000.parquet",
    ]
