"""Running a batch job: plan it from options and earlier output, run the graph, report its metrics."""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions

from pipelines import batch
from pipelines.errors import UsageError  # defined apart so that the CLI can catch it without importing Beam
from pipelines.options import ConflictwireOptions, resolve_run_id, state_root, with_default_runner
from pipelines.state import clean_uncommitted, commit_run, previous_state
from transforms.feeds import read_feed_list

log = logging.getLogger(__name__)


@dataclass
class RunResult:
    run_id: str
    output: str
    seconds: float
    counters: dict[tuple[str, str], int] = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)


def check_output_location(output: str) -> None:
    """Fail early, in one line, on an output folder we cannot write to."""
    if "://" in output:
        return  # object stores are checked by the runner with the job's own credentials
    try:
        os.makedirs(output, exist_ok=True)
        probe = os.path.join(output, ".conflictwire-write-probe")
        with open(probe, "w") as handle:
            handle.write("ok")
        os.remove(probe)
    except OSError as exc:
        raise UsageError(f"cannot write to output location {output!r}: {exc.strerror or exc}") from exc


def load_feeds(path: str | None) -> list[str]:
    if not path:
        raise UsageError("--feeds is required: a text file of feed URLs or an OPML file")
    try:
        return read_feed_list(path)
    except FileNotFoundError as exc:
        raise UsageError(f"feed list not found: {path}") from exc
    except (ValueError, OSError) as exc:
        raise UsageError(f"cannot read feed list {path}: {exc}") from exc


def plan_run(options: PipelineOptions) -> batch.RunPlan:
    opts = options.view_as(ConflictwireOptions)
    if not opts.output:
        raise UsageError("--output is required: a folder (local or gs://) for the Parquet datasets")
    feeds = load_feeds(opts.feeds)
    state_location = state_root(opts)
    if state_location is None:
        raise UsageError("a bq:// output needs --state-location (a folder or gs:// path for run state)")
    check_output_location(state_location)
    run_id = resolve_run_id(opts)
    clean_uncommitted(state_location, run_id)
    state = previous_state(state_location, opts.lookback_days, run_id)
    return batch.RunPlan(
        feeds=tuple(feeds),
        output=opts.output,
        state_location=state_location,
        run_id=run_id,
        settings=batch.fetch_settings(opts),
        language_backend=opts.language_backend,
        feed_state=state.feed_state,
        seen_item_ids=state.seen_item_ids,
        earlier_event_files=state.event_files,
        earlier_article_files=state.article_files,
    )


def counters_of(result) -> dict[tuple[str, str], int]:
    totals: dict[tuple[str, str], int] = defaultdict(int)
    try:
        for counter in result.metrics().query()["counters"]:
            value = counter.committed if counter.committed is not None else counter.attempted
            totals[(counter.key.metric.namespace, counter.key.metric.name)] += value or 0
    except Exception as exc:  # noqa: BLE001 - some runners report no metrics; the run itself succeeded
        log.warning("metrics unavailable: %s", exc)
    return dict(totals)


def print_counters(counters: dict[tuple[str, str], int], stream=None) -> None:
    stream = stream or sys.stdout
    if not counters:
        print("Beam metrics: none reported", file=stream)
        return
    print("Beam metrics (counters per stage):", file=stream)
    width = max(len(f"{ns}/{name}") for ns, name in counters)
    for (namespace, name), value in sorted(counters.items()):
        print(f"  {namespace + '/' + name:<{width}}  {value:>9,}", file=stream)


def run_batch(argv: list[str]) -> RunResult:
    options = with_default_runner(PipelineOptions(argv))
    plan = plan_run(options)
    started = time.monotonic()
    pipeline = beam.Pipeline(options=options)
    batch.build(pipeline, plan)
    result = pipeline.run()
    result.wait_until_finish()
    commit_run(plan.state_location or plan.output, plan.run_id)
    outcome = RunResult(plan.run_id, plan.output, time.monotonic() - started, counters_of(result))
    return outcome


# --- Dataflow dry run: build the job offline --------------------------------------------------------------


def dry_run_requested(argv: list[str]) -> bool:
    return any(a == "--dry_run" or a.startswith("--dry_run=") for a in argv)


def _with_dry_run_value(argv: list[str]) -> list[str]:
    """Beam's --dry_run takes a value (any non-empty string is true); accept the bare flag too."""
    out = []
    for i, arg in enumerate(argv):
        following = argv[i + 1] if i + 1 < len(argv) else "--"
        out.append("--dry_run=true" if arg == "--dry_run" and following.startswith("--") else arg)
    return out


def _plan_without_state(options: PipelineOptions) -> batch.RunPlan:
    """The run's plan without reading earlier runs: a dry run has no credentials to read gs:// or BigQuery."""
    opts = options.view_as(ConflictwireOptions)
    if not opts.output:
        raise UsageError("--output is required: a folder (local or gs://) or bq://PROJECT.DATASET")
    return batch.RunPlan(
        feeds=tuple(load_feeds(opts.feeds)),
        output=opts.output,
        state_location=state_root(opts),
        run_id=resolve_run_id(opts),
        settings=batch.fetch_settings(opts),
        language_backend=opts.language_backend,
    )


def dataflow_dry_run(argv: list[str]) -> dict:
    """Build the Dataflow job for `argv` (batch, or --streaming) without credentials and without submitting it.

    Beam's DataflowRunner stops before staging and submission when --dry_run is set; earlier runs' state is
    not read (that would need the job's credentials). Returns the job description: name, type, the pipeline
    options Dataflow would receive and the pipeline's top-level transforms.
    """
    from apache_beam.options.pipeline_options import GoogleCloudOptions, StandardOptions

    options = PipelineOptions(_with_dry_run_value(argv))
    standard = options.view_as(StandardOptions)
    if standard.runner not in ("DataflowRunner", "dataflow"):
        raise UsageError("--dry_run builds a Dataflow job: add --runner DataflowRunner --project P --region R")
    plan = _plan_without_state(options)
    pipeline = beam.Pipeline(options=options)
    if standard.streaming:
        from pipelines import streaming

        opts = options.view_as(ConflictwireOptions)
        try:
            interval = streaming.parse_duration(opts.poll_interval)
        except ValueError as exc:
            raise UsageError(str(exc)) from exc
        streaming.build(pipeline, streaming.StreamPlan(run=plan, poll_interval_s=interval, max_polls=opts.max_polls))
    else:
        batch.build(pipeline, plan)
    result = pipeline.run()
    job = result.job
    transforms = job.proto_pipeline.components.transforms.values()
    # Two levels (stage and its parts, e.g. "Sinks/BigQueryevents") show the shape without Beam's internals.
    shape = sorted(t.unique_name for t in transforms if t.unique_name and t.unique_name.count("/") <= 1)
    cloud = options.view_as(GoogleCloudOptions)
    return {
        "job": json.loads(job.json()),
        "project": cloud.project,
        "region": cloud.region,
        "temp_location": cloud.temp_location,
        "streaming": bool(standard.streaming),
        "run_id": plan.run_id,
        "output": plan.output,
        "transforms": shape,
        "options": {k: v for k, v in options.get_all_options(drop_default=True).items() if v is not None},
    }
