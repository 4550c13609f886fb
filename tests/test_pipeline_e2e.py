"""End to end: the batch pipeline on the in-process runner against a real HTTP server on 127.0.0.1.

The server replays the bundled sample (real pages from the fundus test data, the motivating article,
a feed that is gone and an item whose page is missing).
"""

from __future__ import annotations

import collections
import json
import logging
from pathlib import Path

import pytest

from pipelines import cli
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


KINDS = ("articles", "events", "dead_letters", "feed_status")


@pytest.fixture(scope="module")
def sample_server(tmp_path_factory):
    """The bundled sample on loopback, and its feed list, for every run of this module (ids depend on the URLs)."""
    folder = tmp_path_factory.mktemp("feeds")
    with ReplayServer(SAMPLE) as server:
        feeds = server.feed_urls() + [server.url(p) for p in server.missing_feeds]
        feed_list = Path(folder) / "feeds.txt"
        feed_list.write_text("\n".join(["# sample", *feeds]) + "\n")
        yield server, feed_list


def _run_args(feed_list: Path, output: Path, run_id: str) -> list[str]:
    return ["--feeds", str(feed_list), "--output", str(output), "--allow-host", "127.0.0.1", "--run-id", run_id]


@pytest.fixture(scope="module")
def sample_run(sample_server, tmp_path_factory):
    server, feed_list = sample_server
    out = tmp_path_factory.mktemp("out")
    result = run_batch(_run_args(feed_list, out / "data", "e2e"))
    tables = {kind: read_rows(str(out / "data"), kind).to_pylist() for kind in KINDS}
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


def test_the_driver_counts_what_it_wrote_from_the_output_and_commits_the_run(sample_run):
    result, tables, _ = sample_run
    assert result.written == {kind: len(tables[kind]) for kind in ("feed_status", "articles", "events", "dead_letters")}
    marker = json.loads((Path(result.output) / "_runs" / "e2e.json").read_text())
    assert marker["written"] == result.written


# --- the same run on a dask.distributed cluster ----------------------------------------------------------------

# Fields that differ between two runs of the same input by design: clocks, and the run's own id.
VOLATILE = {"run_id", "fetched_at", "extracted_at", "at", "latency_ms"}


def _split_floats(value, floats: list):
    """The value with its floats (at any depth) taken out into `floats`, in order."""
    if isinstance(value, float):
        floats.append(value)
        return "<float>"
    if isinstance(value, list):
        return [_split_floats(v, floats) for v in value]
    if isinstance(value, dict):
        return {k: _split_floats(v, floats) for k, v in sorted(value.items())}
    return value


def _assert_same_rows(got: list[dict], expected: list[dict]) -> None:
    """Equal rows, ignoring VOLATILE fields; scores equal to 1e-6 (dask workers run numpy's BLAS on one thread,
    which sums in another order: differences of ~1e-7)."""

    def keyed(rows):
        out = []
        for row in rows:
            floats: list = []
            shape = repr(_split_floats({k: v for k, v in row.items() if k not in VOLATILE}, floats))
            out.append((shape, floats))
        return sorted(out)

    got_rows, expected_rows = keyed(got), keyed(expected)
    assert [shape for shape, _ in got_rows] == [shape for shape, _ in expected_rows]
    for (_, got_floats), (_, expected_floats) in zip(got_rows, expected_rows, strict=True):
        assert got_floats == pytest.approx(expected_floats, rel=1e-6, abs=1e-6)


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed: pip install '.[dask]'")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=logging.WARNING
    ) as cluster:
        yield cluster


def test_the_dask_runner_on_two_worker_processes_writes_the_rows_of_the_in_process_run(
    sample_run, sample_server, dask_cluster, tmp_path
):
    import os

    import distributed

    _, in_process, _ = sample_run
    _, feed_list = sample_server
    with distributed.Client(dask_cluster.scheduler_address) as client:
        pids = set(client.run(os.getpid).values())
    assert len(pids) == 2 and os.getpid() not in pids  # two worker processes, neither of them this one
    out = tmp_path / "dask"
    args = _run_args(feed_list, out, "dask") + ["--runner", "DaskRunner"]
    result = run_batch(args + ["--dask_client_address", dask_cluster.scheduler_address])
    on_dask = {kind: read_rows(str(out), kind).to_pylist() for kind in KINDS}
    assert {kind: len(rows) for kind, rows in on_dask.items()} == {kind: len(rows) for kind, rows in in_process.items()}
    for kind in KINDS:
        _assert_same_rows(on_dask[kind], in_process[kind])
    assert result.counters is None  # the Dask runner reports no Beam metrics...
    assert result.written == {kind: len(on_dask[kind]) for kind in result.written}  # ...so the output is counted
    assert (out / "_runs" / "dask.json").exists()


def _close_clients_left_open() -> None:
    import distributed

    while True:
        try:
            distributed.default_client().close()
        except ValueError:  # no client left
            return


def test_beams_own_dask_runner_drops_writes_and_the_run_fails_loudly_without_a_commit_marker(
    sample_server, dask_cluster, tmp_path, capsys
):
    """Beam's DaskRunner computes one branch of the graph and drops what DoFns emit in finish_bundle."""
    _, feed_list = sample_server
    out = tmp_path / "beams-dask"
    runner = "apache_beam.runners.dask.dask_runner.DaskRunner"
    args = _run_args(feed_list, out, "dropped") + ["--runner", runner, "--dask_client_address"]
    status = cli.main(["run", *args, dask_cluster.scheduler_address])
    _close_clients_left_open()  # Beam's runner leaves its client connected; it would retry once the cluster stops
    error = capsys.readouterr().err.strip().splitlines()
    assert status == 1
    assert error[-1].startswith("conflictwire run: run dropped not committed: ")
    assert "use --runner DaskRunner" in error[-1]
    assert not (out / "_runs" / "dropped.json").exists()
