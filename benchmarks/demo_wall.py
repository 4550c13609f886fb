"""Wall time of `conflictwire demo`, as a user runs it, against the same demo with the 1 s politeness delay back on.

Each round runs, in fresh processes and in alternating order, `python -m pipelines.cli demo` (the demo's own
setting: no delay on its loopback server) and the same with `--host-interval 1` (what it paid before), and
prints both walls and their ratio; the median over rounds is the figure (the machine is shared and noisy).

    .venv/bin/python benchmarks/demo_wall.py --rounds 3
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_demo(extra: list[str]) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "demo", "--output", tmp, *extra],
            cwd=REPO,
            check=True,
            stdout=subprocess.DEVNULL,
        )
        return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    fast, polite = [], []
    for r in range(args.rounds):
        order = [("demo", fast, []), ("polite", polite, ["--host-interval", "1"])]
        for name, times, extra in order if r % 2 == 0 else order[::-1]:
            times.append(run_demo(extra))
            print(f"round {r + 1}: {name:<7} {times[-1]:6.1f}s", flush=True)
    ratios = [p / f for f, p in zip(fast, polite, strict=True)]
    print(f"conflictwire demo (wall, whole process): median {statistics.median(fast):.1f}s, all {fast}")
    print(f"with --host-interval 1:                  median {statistics.median(polite):.1f}s")
    print(f"polite / demo: median {statistics.median(ratios):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
