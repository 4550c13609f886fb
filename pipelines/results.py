"""What the batch and streaming drivers share: their errors, their result, and Beam's counters.

Neither driver module (`pipelines.run`, `pipelines.streaming`) is imported here, so both import it freely.
"""

from __future__ import annotations

import logging
import sys
from collections import defaultdict
from dataclasses import dataclass, field

from pipelines.errors import UsageError  # noqa: F401 - re-exported: the run driver's callers import it from here

log = logging.getLogger(__name__)


class RunFailed(Exception):
    """The job ran but its output does not add up: printed as one line, exit status 1, nothing committed."""


@dataclass
class RunResult:
    run_id: str
    output: str
    seconds: float
    # Beam's counters per (namespace, name); None when the runner reports no metrics at all.
    counters: dict[tuple[str, str], int] | None = field(default_factory=dict)
    files: dict[str, list[str]] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)  # rows per kind, read back from the output
    runner: str = ""


def counters_of(result) -> dict[tuple[str, str], int] | None:
    """Beam's counters of a finished job, summed per (namespace, name); None when the runner reports none."""
    totals: dict[tuple[str, str], int] = defaultdict(int)
    try:
        for counter in result.metrics().query()["counters"]:
            value = counter.committed if counter.committed is not None else counter.attempted
            totals[(counter.key.metric.namespace, counter.key.metric.name)] += value or 0
    except Exception as exc:  # noqa: BLE001 - some runners (Dask) report no metrics; the output is checked instead
        log.info("metrics unavailable: %s", exc)
        return None
    return dict(totals)


def print_counters(counters: dict[tuple[str, str], int] | None, stream=None) -> None:
    stream = stream or sys.stdout
    if counters is None:
        print("Beam metrics: not reported by this runner (counts below are read back from the output)", file=stream)
        return
    if not counters:
        print("Beam metrics: none reported", file=stream)
        return
    print("Beam metrics (counters per stage):", file=stream)
    width = max(len(f"{ns}/{name}") for ns, name in counters)
    for (namespace, name), value in sorted(counters.items()):
        print(f"  {namespace + '/' + name:<{width}}  {value:>9,}", file=stream)


def print_written(written: dict[str, int], stream=None) -> None:
    """The rows a run wrote, per kind, as read back from its output (what the commit decision was made on)."""
    if not written:
        return
    stream = stream or sys.stdout
    parts = ", ".join(f"{kind} {n:,}" for kind, n in written.items())
    print(f"written (read back from the output): {parts}", file=stream)
