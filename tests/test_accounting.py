"""A run's counts and its commit come from what it wrote, read back, never from the runner's word.

The end-to-end cases run the real driver against the loopback server of tests/test_incremental.py, on a runner
that silently loses one sink's output; the unit cases feed `reconcile` rows that fail in each way it knows.
"""

from __future__ import annotations

import subprocess
import sys

import apache_beam as beam
import pytest
from apache_beam.pipeline import PTransformOverride
from apache_beam.runners.portability.fn_api_runner import FnApiRunner

from pipelines import cli
from pipelines.accounting import reconcile
from pipelines.results import RunFailed
from pipelines.run import run_batch
from pipelines.state import committed_runs
from tests.test_incremental import FEED, FIRST_PAGES, _rows, _run, server  # noqa: F401 - server is a fixture

FEEDS = ["http://a/feed.xml", "http://b/feed.xml"]


def _status(feed: str, new: int, status: str = "ok") -> dict:
    return {"feed_url": feed, "status": status, "new_items": new}


def _article(feed: str, article_id: str) -> dict:
    return {"article_id": article_id, "feed_url": feed}


def _letter(feed: str | None, item: str | None, stage: str = "fetch", reason: str = "http_404") -> dict:
    return {"stage": stage, "reason": reason, "item_id": item, "feed_url": feed}


def _written(status=(), articles=(), events=(), dead=()) -> dict:
    return {"feed_status": list(status), "articles": list(articles), "events": list(events), "dead_letters": list(dead)}


def test_rows_that_account_for_every_feed_and_item_pass():
    rows = _written(
        [_status(FEEDS[0], 2), _status(FEEDS[1], 0, "error")],
        [_article(FEEDS[0], "x")],
        dead=[_letter(FEEDS[0], "y"), _letter(FEEDS[1], None, stage="feeds")],  # a 404 page; the feed that failed
    )
    assert reconcile(FEEDS, rows) == []
    assert reconcile(FEEDS, rows, {("sink", "articles_rows"): 1, ("sink", "feed_status_rows"): 2}) != []
    counted = {("sink", "articles_rows"): 1, ("sink", "feed_status_rows"): 2, ("sink", "dead_letters_rows"): 2}
    assert reconcile(FEEDS, rows, counted) == []


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        (_written(), "nothing was written"),
        (_written([_status(FEEDS[0], 0)]), "1 of 2 feeds have no feed_status row (first: http://b/feed.xml)"),
        (_written([_status(f, 0) for f in FEEDS * 2]), "2 feeds have more than one feed_status row"),
        (
            _written([_status(FEEDS[0], 2), _status(FEEDS[1], 0)], [_article(FEEDS[0], "x")]),
            "the new items of 1 feed are not each",
        ),
        (_written([_status(f, 0) for f in [*FEEDS, "http://c/x"]]), "for feeds not in the list: http://c/x"),
        (
            _written([_status(FEEDS[0], 2), _status(FEEDS[1], 0)], [_article(FEEDS[0], "x")] * 2),
            "1 article written more than once",
        ),
    ],
)
def test_rows_that_do_not_add_up_are_each_named(rows, reason):
    problems = reconcile(FEEDS, rows)
    assert problems and reason in problems[0], problems


def test_a_runner_count_that_disagrees_with_the_rows_found_is_a_problem():
    rows = _written([_status(f, 0) for f in FEEDS])
    assert reconcile(FEEDS, rows, {("sink", "feed_status_rows"): 3}) == [
        "the runner counted 3 feed_status rows into the sink; 2 were written"
    ]


# --- a runner that silently loses a sink's output ------------------------------------------------------------


class _LoseEverything(beam.DoFn):
    def process(self, staged):
        return []  # the staged files never move into the dataset, and nothing says so


def _not_replaced(applied) -> bool:
    return not isinstance(getattr(applied.transform, "fn", None), _LoseEverything)


class LosingArticlesRunner(FnApiRunner):
    """The in-process runner, except that the articles sink's finalisation silently does nothing."""

    def run_pipeline(self, pipeline, options):
        class Lose(PTransformOverride):
            def matches(self, applied):
                return applied.full_label == "Sinks/Writearticles/Finalize" and _not_replaced(applied)

            def get_replacement_transform_for_applied_ptransform(self, applied):
                return beam.ParDo(_LoseEverything())

        pipeline.replace_all([Lose()])
        return super().run_pipeline(pipeline, options)


RUNNER = f"{__name__}.LosingArticlesRunner"


def test_a_retry_whose_articles_go_missing_fails_in_one_line_uncommitted_and_the_next_retry_repairs_it(
    server,  # noqa: F811 - the fixture
    tmp_path,
    capsys,
):
    out = tmp_path / "out"
    _run(server, out, "r1", FIRST_PAGES)
    assert committed_runs(str(out)) == {"r1"}
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(server.url(FEED) + "\n")
    args = ["--feeds", str(feeds), "--output", str(out), "--allow-host", "127.0.0.1", "--run-id", "r1"]
    assert cli.main(["run", *args, "--runner", RUNNER]) == 1  # a scheduler's retry of the slot, on a lossy runner
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1].startswith("conflictwire run: run r1 not committed: the new items of 1 feed are not each an")
    assert "has 4 new, 0 articles, 1 item dead letters" in error[-1]
    # The retry took the slot's marker back before writing: no reader takes its new feed status beside the
    # first attempt's articles for one committed run.
    assert committed_runs(str(out)) == frozenset()

    result = _run(server, out, "r1", FIRST_PAGES)  # the next retry, on a runner that keeps its word
    assert committed_runs(str(out)) == {"r1"}
    assert result.written["articles"] == 3 and len(_rows(out, "articles")) == 3


class LosingAllRunner(FnApiRunner):
    """The in-process runner, except that no sink's finalisation moves anything into place."""

    def run_pipeline(self, pipeline, options):
        class Lose(PTransformOverride):
            def matches(self, applied):
                return applied.full_label.endswith("/Finalize") and _not_replaced(applied)

            def get_replacement_transform_for_applied_ptransform(self, applied):
                return beam.ParDo(_LoseEverything())

        pipeline.replace_all([Lose()])
        return super().run_pipeline(pipeline, options)


def test_a_run_that_wrote_nothing_is_not_committed(server, tmp_path):  # noqa: F811 - the fixture
    out = tmp_path / "out"
    server.paths = FIRST_PAGES[:1]
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(server.url(FEED) + "\n")
    args = ["--feeds", str(feeds), "--output", str(out), "--allow-host", "127.0.0.1", "--run-id", "empty"]
    with pytest.raises(RunFailed, match="^run empty not committed: nothing was written"):
        run_batch([*args, "--runner", f"{__name__}.LosingAllRunner"])
    assert committed_runs(str(out)) == frozenset() and not (out / "_runs" / "empty.json").exists()


# --- the drivers' shared pieces --------------------------------------------------------------------------------


def test_streaming_and_the_shared_pieces_never_import_the_batch_driver():
    code = (
        "import sys, pipelines.results, pipelines.planning, pipelines.accounting, pipelines.streaming;"
        "print(sorted(m for m in sys.modules if m in ('pipelines.run', 'pipelines.cli')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
