"""Running a batch job: plan it from options and earlier output, run the graph, check what it wrote, commit it.

The commit decision never rests on the runner's word: the run's output is read back and reconciled with the feed
list (`pipelines/accounting.py`) before the commit marker is written.
"""

from __future__ import annotations

import json
import logging
import time

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

from pipelines import batch
from pipelines.accounting import check_run
from pipelines.options import ConflictwireOptions, with_default_runner
from pipelines.planning import check_output_location, load_feeds, plan_run, plan_without_state
from pipelines.results import RunFailed, RunResult, UsageError, counters_of, print_counters, print_written
from pipelines.state import commit_run, discard_run

log = logging.getLogger(__name__)

# Re-exported: the command line, the demo and tests import these from here.
__all__ = [
    "RunFailed",
    "RunResult",
    "UsageError",
    "check_output_location",
    "counters_of",
    "dataflow_dry_run",
    "load_feeds",
    "plan_run",
    "print_counters",
    "print_written",
    "run_batch",
]

BEAMS_DASK_RUNNER = "apache_beam.runners.dask.dask_runner.DaskRunner"


def run_batch(argv: list[str]) -> RunResult:
    options = with_default_runner(PipelineOptions(argv))
    plan = plan_run(options)
    location = plan.state_location or plan.output
    runner = str(options.view_as(StandardOptions).runner)
    # A retry of the slot: take back its marker and remove what earlier attempts wrote, so that no reader sees an
    # old attempt's rows of one kind beside the new attempt's of another, and the read-back below finds this
    # attempt's output only.
    discard_run(location, plan.run_id)
    started = time.monotonic()
    pipeline = beam.Pipeline(options=options)
    batch.build(pipeline, plan)
    result = pipeline.run()
    result.wait_until_finish()
    counters = counters_of(result)
    try:
        written = check_run(location, plan.run_id, plan.feeds, counters)
    except RunFailed as exc:
        if runner.endswith(BEAMS_DASK_RUNNER):
            hint = "Beam's own DaskRunner drops most of a pipeline's output: use --runner DaskRunner"
            raise RunFailed(f"{exc}; {hint}") from None
        raise
    commit_run(location, plan.run_id, {"written": written, "runner": runner})
    return RunResult(plan.run_id, plan.output, time.monotonic() - started, counters, written=written, runner=runner)


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


def dataflow_dry_run(argv: list[str]) -> dict:
    """Build the Dataflow job for `argv` (batch, or --streaming) without credentials and without submitting it.

    Beam's DataflowRunner stops before staging and submission when --dry_run is set; earlier runs' state is
    not read (that would need the job's credentials). Returns the job description: name, type, the pipeline
    options Dataflow would receive and the pipeline's top-level transforms.
    """
    from apache_beam.options.pipeline_options import GoogleCloudOptions

    options = PipelineOptions(_with_dry_run_value(argv))
    standard = options.view_as(StandardOptions)
    if standard.runner not in ("DataflowRunner", "dataflow"):
        raise UsageError("--dry_run builds a Dataflow job: add --runner DataflowRunner --project P --region R")
    plan = plan_without_state(options)
    pipeline = beam.Pipeline(options=options)
    if standard.streaming:
        from pipelines import streaming  # it imports nothing of this module: no cycle

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
