"""Deployment artefacts that can be checked offline, and Dataflow jobs built without credentials."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import yaml

from deploy import generate_metadata, pin_requirements
from pipelines.run import UsageError, dataflow_dry_run
from tests.conftest import REPO

DEPLOY = REPO / "deploy"
DATAFLOW = [
    "--runner",
    "DataflowRunner",
    "--project",
    "my-project",
    "--region",
    "europe-west1",
    "--temp_location",
    "gs://my-bucket/tmp",
    "--dry_run",
]


def test_template_metadata_is_generated_from_the_options_class_and_committed():
    assert (DEPLOY / "metadata.json").read_text() == generate_metadata.render(), (
        "run python -m deploy.generate_metadata"
    )


def test_template_metadata_names_every_pipeline_option_with_help():
    params = {p["name"]: p for p in json.loads((DEPLOY / "metadata.json").read_text())["parameters"]}
    options = {action.dest for action in generate_metadata.option_actions()}
    assert set(params) == options
    assert all(p["helpText"] and p["label"] for p in params.values())
    assert not params["feeds"]["isOptional"] and not params["output"]["isOptional"]


def test_template_regexes_accept_real_values_and_refuse_wrong_ones():
    params = {p["name"]: p for p in generate_metadata.metadata()["parameters"]}

    def accepts(name, value):
        return all(re.match(rx, value) for rx in params[name]["regexes"])

    assert accepts("output", "bq://my-project.conflict_events") and accepts("output", "gs://bucket/out")
    assert not accepts("output", "/tmp/local") and not accepts("output", "bq://dataset_only")
    assert accepts("poll_interval", "15m") and not accepts("poll_interval", "fortnightly")
    assert accepts("lookback_days", "30") and not accepts("lookback_days", "-3")


def test_pinned_requirements_cover_pyproject_within_its_ranges():
    assert pin_requirements.problems() == []


def test_pin_check_reports_a_pin_outside_the_range(tmp_path):
    bad = tmp_path / "requirements.txt"
    text = (DEPLOY / "requirements.txt").read_text()
    bad.write_text(
        re.sub(r"apache-beam\[gcp\]==[0-9.]+", "apache-beam[gcp]==2.10.0", text).replace("pyarrow==", "pyarrow>=")
    )
    found = pin_requirements.problems(bad)
    assert any(p.startswith("apache-beam: 2.10.0 outside") for p in found), found
    assert any(p.startswith("pyarrow: not pinned to one version") for p in found), found


def test_scheduler_definition_launches_the_template_every_slot():
    job = yaml.safe_load((DEPLOY / "scheduler.yaml").read_text())
    assert job["schedule"] == "*/15 * * * *"
    launch = job["httpTarget"]["body"]["launchParameter"]
    assert set(launch["parameters"]) <= {p["name"] for p in generate_metadata.metadata()["parameters"]}
    assert launch["parameters"]["output"].startswith("bq://")
    assert job["httpTarget"]["uri"].endswith("/flexTemplates:launch")


def test_dockerfile_copies_files_that_exist_and_launch_script_parses():
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (?!--from)(\S+)", dockerfile, re.M):
        assert (REPO / source).exists(), source
    assert "FLEX_TEMPLATE_PYTHON_PY_FILE" in dockerfile
    subprocess.run(["bash", "-n", str(DEPLOY / "launch.sh")], check=True)


def test_generators_check_mode_passes_on_the_committed_files():
    for module in ("deploy.generate_metadata", "deploy.pin_requirements", "schemas.generate"):
        done = subprocess.run([sys.executable, "-m", module, "--check"], cwd=REPO, capture_output=True, text=True)
        assert done.returncode == 0, (module, done.stderr)


@pytest.fixture
def feeds(tmp_path):
    path = tmp_path / "feeds.txt"
    path.write_text("https://example.org/world.rss\nhttps://example.net/europe.atom\n")
    return str(path)


def test_dataflow_batch_dry_run_builds_the_job_offline_with_the_bigquery_sink(feeds):
    job = dataflow_dry_run(
        [
            "--feeds", feeds,
            "--output", "bq://my-project.conflict_events",
            "--state-location", "gs://my-bucket/state",
            "--run_id", "20240501T1200Z",
            *DATAFLOW,
        ]
    )  # fmt: skip
    assert job["job"]["type"] == "JOB_TYPE_BATCH"
    assert (job["project"], job["region"]) == ("my-project", "europe-west1")
    # the warehouse tables, and the Parquet copy later runs read their state from
    assert {"Sinks/BigQuery", "Sinks/StateCopy"} <= set(job["transforms"])
    assert job["options"]["output"] == "bq://my-project.conflict_events"


def test_dataflow_streaming_dry_run_builds_a_streaming_job_offline(feeds):
    job = dataflow_dry_run(
        ["--feeds", feeds, "--output", "gs://my-bucket/out", "--streaming", "--poll_interval", "5m", *DATAFLOW]
    )
    assert job["job"]["type"] == "JOB_TYPE_STREAMING"
    assert job["streaming"] is True
    assert any(name.startswith("Polls") for name in job["transforms"])


def test_dry_run_refuses_a_local_runner(feeds):
    with pytest.raises(UsageError):
        dataflow_dry_run(["--feeds", feeds, "--output", "bq://my-project.ds", "--dry_run"])
