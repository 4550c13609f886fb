"""`conflictwire demo`: the bundled sample without politeness waits on its own loopback server, then its report."""

from __future__ import annotations

import re
from pathlib import Path

from apache_beam.options.pipeline_options import PipelineOptions

from pipelines import batch
from pipelines.cli import main
from pipelines.demo import DEMO_HOST_INTERVAL_S
from pipelines.options import ConflictwireOptions
from pipelines.reading import load_output
from tests import browser as chromium_helper
from transforms.settings import FetchSettings


def test_real_runs_keep_one_request_per_second_per_host():
    assert FetchSettings().min_host_interval_s == 1.0
    options = PipelineOptions(["--feeds", "f.txt", "--output", "out"]).view_as(ConflictwireOptions)
    assert batch.fetch_settings(options).min_host_interval_s == 1.0
    assert DEMO_HOST_INTERVAL_S == 0.0


def test_the_demo_runs_the_sample_and_ends_with_its_report(tmp_path, capsys):
    assert main(["demo", "--output", str(tmp_path / "demo")]) == 0
    printed = capsys.readouterr().out
    report = Path(re.search(r"^  report\s+(\S+)$", printed, re.M).group(1))
    assert report == (tmp_path / "demo" / "report.html").resolve() and report.stat().st_size > 50_000
    events = load_output(str(tmp_path / "demo")).events.num_rows
    assert events > 10 and f"events              {events}" in printed
    assert "<title>conflictwire demo" in report.read_text(encoding="utf-8")
    with chromium_helper.chromium_or_skip() as browser:
        page, requests = chromium_helper.open_report(browser, report)
        assert requests == []
        assert int(page.eval_on_selector("#events", "t => t.dataset.count")) == events
        page.select_option("#sort", "claims")
        page.locator("#events tbody tr").first.click()
        most = max(len(c or ()) for c in load_output(str(tmp_path / "demo")).events["claims"].to_pylist())
        assert page.locator("#claims .claim").count() == most > 1
