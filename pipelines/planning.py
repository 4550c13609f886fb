"""Planning a run from its options and earlier output: shared by the batch and streaming drivers."""

from __future__ import annotations

import os

from apache_beam.options.pipeline_options import PipelineOptions

from pipelines import batch
from pipelines.options import ConflictwireOptions, resolve_run_id, state_root
from pipelines.results import UsageError
from pipelines.state import clean_uncommitted, previous_state
from transforms.feeds import read_feed_list


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


def plan_without_state(options: PipelineOptions) -> batch.RunPlan:
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
