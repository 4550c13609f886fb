"""Running a batch job: plan it from options and earlier output, run the graph, report its metrics."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from transforms.feeds import read_feed_list

from pipelines import batch
from pipelines.options import ConflictwireOptions, resolve_run_id, with_default_runner
from pipelines.state import previous_state

log = logging.getLogger(__name__)


class UsageError(Exception):
    """A problem with what the user asked for: printed as one line, exit status 2."""


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
    check_output_location(opts.output)
    run_id = resolve_run_id(opts)
    feed_state, seen = previous_state(opts.output, opts.lookback_days, run_id)
    return batch.RunPlan(
        feeds=tuple(feeds),
        output=opts.output,
        run_id=run_id,
        settings=batch.fetch_settings(opts),
        language_backend=opts.language_backend,
        feed_state=feed_state,
        seen_item_ids=seen,
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
    outcome = RunResult(plan.run_id, plan.output, time.monotonic() - started, counters_of(result))
    return outcome
