"""A real kill: `conflictwire run` as a subprocess, SIGKILLed while its sinks move files into place, then rerun.

The output must then hold exactly the rows of an uninterrupted run, and a reader going through the documented read
path (DuckDB over `<kind>/*/*.parquet`, committed runs only) must never see a partial file or a row of the killed
attempt: not while it lies dead half written, not after the rerun.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.state import committed_runs
from tests.test_incremental import FEED, FIRST_PAGES, LATER_PAGES, _run, _snapshot, server  # noqa: F401 - fixture

REPO = Path(__file__).resolve().parent.parent
DOC = REPO / "docs" / "incremental-and-streaming.md"
KINDS = ("articles", "events", "dead_letters", "feed_status")


def _reader(output: Path) -> dict:
    """What a reader sees through the documented views, and whether every file a bare glob finds reads whole."""
    duckdb = pytest.importorskip("duckdb")
    sql = DOC.read_text().split("```sql", 1)[1].split("```", 1)[0].replace("OUTPUT", str(output))
    con = duckdb.connect()
    con.execute(sql)
    for kind in KINDS:  # a partial (still being written) file would fail here
        con.execute(f"SELECT count(*) FROM read_parquet('{output}/{kind}/*/*.parquet', hive_partitioning = true)")
    return {
        "articles": sorted(con.execute("SELECT article_id, run_id FROM articles").fetchall()),
        "events": sorted(con.execute("SELECT event_id, source_count, run_id FROM events").fetchall()),
    }


def _kill_while_writing(command: list[str], output: Path, run_id: str) -> bool:
    """Run `command`; SIGKILL it once a first file of `run_id` is in place. False if it finished first."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 300
    try:
        while proc.poll() is None and time.monotonic() < deadline:
            if next(output.glob(f"*/dt=*/part-{run_id}-*.parquet"), None) is not None:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                return True
            time.sleep(0.002)
        return False
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_a_run_killed_while_writing_then_rerun_ends_with_the_rows_of_an_uninterrupted_run(server, tmp_path):  # noqa: F811
    first = tmp_path / "first"
    _run(server, first, "r1", FIRST_PAGES)
    before = _reader(first)
    clean = tmp_path / "clean"
    shutil.copytree(first, clean)
    _run(server, clean, "r2", FIRST_PAGES + LATER_PAGES)
    expected = _snapshot(clean)

    server.paths = FIRST_PAGES + LATER_PAGES
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(server.url(FEED) + "\n")
    out = tmp_path / "out"
    command = [sys.executable, "-m", "pipelines.cli", "run", "--feeds", str(feeds), "--output", str(out)]
    command += ["--allow-host", "127.0.0.1", "--run-id", "r2"]
    for _attempt in range(3):  # the write stage lasts about half a second: rarely, the run ends before the kill
        shutil.rmtree(out, ignore_errors=True)
        shutil.copytree(first, out)
        if _kill_while_writing(command, out, "r2"):
            break
    else:
        pytest.fail("the run always finished before it could be killed in its write stage")

    assert "r2" not in committed_runs(str(out))
    assert next(out.glob("*/dt=*/part-r2-*.parquet"), None) is not None  # killed half way: some of r2 in place
    assert _reader(out) == before  # ... and a reader sees none of it, and no partial file

    _run(server, out, "r2", FIRST_PAGES + LATER_PAGES)  # the scheduler's retry of the slot
    assert _snapshot(out) == expected
    assert _reader(out) == _reader(clean)
    assert committed_runs(str(out)) == {"r1", "r2"}
    assert not list(out.glob("_staging/*/*"))
