"""The command line: one-line errors and non-zero exits for bad input; bad records become error records."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pipelines.cli import main
from tests.conftest import shared_path


def test_a_missing_feed_list_is_a_one_line_error(tmp_path, capsys):
    code = main(["run", "--feeds", str(tmp_path / "nope.txt"), "--output", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.count("\n") == 0 and "feed list not found" in err and "nope.txt" in err


def test_an_unwritable_output_location_is_a_one_line_error(tmp_path, capsys):
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("http://127.0.0.1:9/feed.xml\n")
    blocker = tmp_path / "file"
    blocker.write_text("a file where a folder should be")
    code = main(["run", "--feeds", str(feeds), "--output", str(blocker / "out")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0 and "cannot write to output location" in err


def test_missing_required_options_are_named(tmp_path, capsys):
    assert main(["run", "--output", str(tmp_path)]) == 2
    assert "--feeds is required" in capsys.readouterr().err
    assert main(["frobnicate"]) == 2


def test_analyze_gives_one_output_line_per_input_and_error_records_for_bad_lines(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(
            [
                json.dumps(
                    {
                        "id": "a",
                        "title": "Clashes in Lachin",
                        "text": "Two soldiers were killed in an armed clash with rebels near Lachin on Monday.",
                        "published": "2022-08-04T09:00:00Z",
                    }
                ),
                "{not json",
                json.dumps({"id": "c"}),
                json.dumps({"id": "d", "html": "<html><body><p>" + "Sales rose. " * 30 + "</p></body></html>"}),
            ]
        )
        + "\n"
    )
    target = tmp_path / "out.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "analyze", "--input", str(source), "--output", str(target)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in target.read_text().splitlines()]
    assert len(lines) == 4
    assert lines[0]["id"] == "a" and lines[0]["language"] == "en" and lines[0]["is_conflict"] is True
    assert lines[1]["error"]["reason"] == "bad_json" and lines[1]["line"] == 2
    assert lines[2]["id"] == "c" and lines[2]["error"]["reason"] == "bad_record"
    assert lines[3]["id"] == "d" and lines[3]["is_conflict"] is False and lines[3]["events"] == []


@pytest.mark.parametrize("args", [["--input", "/nonexistent/x.jsonl", "--output", "-"]])
def test_analyze_with_an_unreadable_input_is_a_one_line_error(args, capsys):
    assert main(["analyze", *args]) == 2
    assert "cannot read input" in capsys.readouterr().err


def test_analyze_command_beats_the_extraction_bar_on_the_benchmark_pages():
    """Issue 2's acceptance: mean token-level F1 >= 0.96 against the gold bodies, through the real command."""
    shared_path("article-extraction-benchmark", "ground-truth.json")
    from benchmarks.analyze_extraction import run

    figures = run()
    assert figures["pages"] == 127 and figures["errors"] == 0
    assert figures["tokens"].f1 >= 0.96
    assert figures["shingles"].f1 >= 0.96


def test_a_bigquery_output_without_a_state_location_is_refused_before_any_work(tmp_path, capsys):
    feeds = tmp_path / "feeds.txt"
    feeds.write_text("http://127.0.0.1:9/feed.xml\n")
    assert main(["run", "--feeds", str(feeds), "--output", "bq://project.dataset"]) == 2
    assert "--state-location" in capsys.readouterr().err


def test_a_bigquery_output_keeps_run_state_in_a_parquet_copy_under_the_state_location(tmp_path):
    from apache_beam.options.pipeline_options import PipelineOptions

    from pipelines.batch import WriteWarehouseAndState, sink_for
    from pipelines.run import plan_run
    from pipelines.streaming import WriteStreamRecords, stream_sink

    feeds = tmp_path / "feeds.txt"
    feeds.write_text("http://127.0.0.1:9/feed.xml\n")
    state = tmp_path / "state"
    plan = plan_run(PipelineOptions(["--feeds", str(feeds), "--output", "bq://p.d", "--state-location", str(state)]))
    assert plan.output == "bq://p.d" and plan.state_location == str(state)
    sink = sink_for(plan.output, plan.run_id, plan.state_location)
    assert isinstance(sink, WriteWarehouseAndState) and sink.state_sink.output == str(state)
    streaming = stream_sink(plan)  # streaming inserts, with a windowed Parquet copy for state
    assert isinstance(streaming, WriteWarehouseAndState) and isinstance(streaming.state_sink, WriteStreamRecords)
    assert streaming.state_sink.output == str(state)
