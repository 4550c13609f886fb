"""The one options class: parsed by the command line, read by the pipelines, listed in the template metadata."""

from __future__ import annotations

import datetime as dt

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions

# Batch runs and tests use the in-process runner: the DirectRunner first tries to download the Prism
# binary, which fails on a machine without internet. --runner overrides it.
DEFAULT_RUNNER = "FnApiRunner"
# Short runner names of ours. Beam's own DaskRunner (named in full) drops writes; see pipelines/dask_runner.py.
RUNNER_ALIASES = {"daskrunner": "pipelines.dask_runner.DaskRunner", "dask": "pipelines.dask_runner.DaskRunner"}
DEFAULT_SLOT_MINUTES = 15


class ConflictwireOptions(PipelineOptions):
    @classmethod
    def _add_argparse_args(cls, parser):
        parser.add_argument(
            "--feeds",
            help="Feed list: a text file of feed URLs (one per line, # comments) or an OPML file. Local or gs://.",
        )
        parser.add_argument(
            "--output",
            help="Where the Parquet datasets go (local folder or Beam filesystem URL), or bq://PROJECT.DATASET.",
        )
        parser.add_argument(
            "--allow_host",
            "--allow-host",
            dest="allow_host",
            action="append",
            default=None,
            help="Host let through the private-address guard (repeatable), e.g. 127.0.0.1 for local feeds.",
        )
        parser.add_argument(
            "--host_interval",
            "--host-interval",
            dest="host_interval",
            type=float,
            default=None,
            help="Minimum seconds between two requests to one host (default 1; robots.txt Crawl-delay can raise it).",
        )
        parser.add_argument(
            "--request_timeout",
            "--request-timeout",
            dest="request_timeout",
            type=float,
            default=None,
            help="Seconds one feed or page request may take in all: connecting, headers, redirects, retries and "
            "body (default 60). Past it the feed or item is a dead letter, reason timeout.",
        )
        parser.add_argument(
            "--only_allowed_hosts",
            "--only-allowed-hosts",
            dest="only_allowed_hosts",
            action="store_true",
            default=False,
            help="Fetch only from --allow-host hosts; every other host is a dead letter (host_not_allowed), "
            "with no DNS lookup. Confines a crawl to named sites, or a test run to loopback.",
        )
        parser.add_argument(
            "--state_location",
            "--state-location",
            dest="state_location",
            default=None,
            help="Folder (local or gs://) for run state: commit markers and a Parquet copy of each run's records, "
            "which later runs read to skip what they have seen. Defaults to --output; required for bq:// outputs.",
        )
        parser.add_argument(
            "--run_id",
            "--run-id",
            dest="run_id",
            default=None,
            help="The run's slot. A rerun with the same id replaces that run's output. "
            f"Default: the current UTC time floored to --slot_minutes ({DEFAULT_SLOT_MINUTES}).",
        )
        parser.add_argument(
            "--slot_minutes",
            "--slot-minutes",
            dest="slot_minutes",
            type=int,
            default=DEFAULT_SLOT_MINUTES,
            help="Length of a scheduled run's slot in minutes; runs inside one slot share a run id.",
        )
        parser.add_argument(
            "--lookback_days",
            "--lookback-days",
            dest="lookback_days",
            type=int,
            default=30,
            help="How far back earlier runs' output is read to skip items already processed.",
        )
        parser.add_argument(
            "--user-agent",  # Beam 2.77 declares --user_agent itself (same dest, same meaning)
            dest="user_agent",
            default=None,
            help="User-Agent sent to feeds and pages; include a contact URL.",
        )
        parser.add_argument(
            "--language_backend",
            "--language-backend",
            dest="language_backend",
            default="auto",
            help="Language identification backend (auto, langdetect, cld2, langid).",
        )
        parser.add_argument(
            "--poll_interval",
            "--poll-interval",
            dest="poll_interval",
            default="15m",
            help="Streaming only: how often feeds are polled (e.g. 90s, 15m, 1h).",
        )
        parser.add_argument(
            "--max_polls",
            "--max-polls",
            dest="max_polls",
            type=int,
            default=None,
            help="Streaming only: stop after this many polls (a bounded run, for local testing).",
        )


def resolve_run_id(options: ConflictwireOptions, now: dt.datetime | None = None) -> str:
    """The run's slot id: given, or the current time floored to the slot length (so a retry in the slot reuses it)."""
    if options.run_id:
        return options.run_id
    now = now or dt.datetime.now(dt.timezone.utc)
    minutes = max(1, options.slot_minutes)
    floored = now.replace(second=0, microsecond=0) - dt.timedelta(minutes=(now.hour * 60 + now.minute) % minutes)
    return floored.strftime("%Y%m%dT%H%MZ")


def state_root(options: ConflictwireOptions) -> str | None:
    """Where run state lives: --state_location, else a folder --output (a BigQuery dataset cannot hold it)."""
    if options.state_location:
        return options.state_location
    if options.output and not options.output.startswith("bq://"):
        return options.output
    return None


def with_default_runner(options: PipelineOptions) -> PipelineOptions:
    standard = options.view_as(StandardOptions)
    if not standard.runner:
        standard.runner = DEFAULT_RUNNER
    elif isinstance(standard.runner, str) and standard.runner.lower() in RUNNER_ALIASES:
        standard.runner = RUNNER_ALIASES[standard.runner.lower()]
    if isinstance(standard.runner, str) and "dask" in standard.runner.lower():
        import pipelines.dask_runner  # noqa: F401 - declares the --dask_* options before Beam reads them
    return options
