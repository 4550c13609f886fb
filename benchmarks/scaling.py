"""Scaling of the batch pipeline from one to two worker processes (`--direct_running_mode=multi_processing`).

    .venv/bin/python benchmarks/scaling.py                        # 300 articles, 2 rounds
    .venv/bin/python benchmarks/scaling.py --articles 1000 --rounds 1 --workers 1 2

Each round runs the pipeline once per worker count, alternating the order between rounds, on the FnApiRunner with
`--direct_running_mode=multi_processing --direct_num_workers=N` (plus the in-process runner for reference). Each run
is a fresh Python process (SDK worker subprocesses die with it); its peak resident memory includes those workers.
Speed-up is the median over rounds of time(1 worker) / time(N workers). The machine is shared: the figures say
what two processes gain on it at the time of the run, not what two dedicated cores would.
Prints figures only; nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

MEMORY = Path(__file__).resolve().parent / "memory.py"


def run(variant: str, workers: int, feeds_file: Path, output: Path) -> dict | None:
    beam_args = []
    if variant == "multi_processing":
        beam_args = [f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]
    command = [
        sys.executable,
        str(MEMORY),
        "--child",
        "beam",
        "--feeds-file",
        str(feeds_file),
        "--output",
        str(output),
        "--",
        *beam_args,
    ]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"  {variant} x{workers}: failed\n{done.stderr[-3000:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=300, help="articles in the replay (default 300)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds over the worker counts (default 2)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)")
    parser.add_argument(
        "--hosts",
        type=int,
        default=8,
        help="loopback ports the replay is spread over; each counts as one news site (default 8)",
    )
    parser.add_argument("--no-in-memory", action="store_true", help="skip the in-process reference run")
    args = parser.parse_args(argv)
    common.require_corpora()
    common.print_machine()
    pages = common.load_pages()
    variants = [("multi_processing", n) for n in args.workers]
    if not args.no_in_memory:
        variants.insert(0, ("in_memory", 1))
    seconds: dict[tuple[str, int], list[float]] = {v: [] for v in variants}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = common.build_snapshot(Path(tmp) / "snapshot", pages, args.articles)
        with common.serve_in_subprocess(snapshot.root, args.hosts) as (bases, _pid):
            feeds_file = Path(tmp) / "feeds.txt"
            feeds_file.write_text("\n".join(common.feed_urls(snapshot, bases)) + "\n", encoding="utf-8")
            for number in range(args.rounds):
                order = variants if number % 2 == 0 else list(reversed(variants))
                for variant, workers in order:
                    figures = run(variant, workers, feeds_file, Path(tmp) / f"out-{variant}-{workers}-{number}")
                    if figures is None:
                        continue
                    seconds[(variant, workers)].append(figures["seconds"])
                    rows.append(
                        (
                            f"round {number + 1} {variant} x{workers}",
                            figures["seconds"],
                            args.articles / figures["seconds"],
                            figures["articles"],
                            figures["peak_mib"],
                            figures["processes"],
                        )
                    )
                    print(f"  {rows[-1][0]}: {figures['seconds']:.1f}s", flush=True)
    common.print_table(
        f"Batch pipeline, {args.articles} articles, by worker processes",
        ("run", "seconds", "articles/s", "extracted", "peak MiB", "processes"),
        rows,
    )
    base = seconds.get(("multi_processing", min(args.workers)))
    for (variant, workers), times in seconds.items():
        if not times:
            continue
        line = f"  {variant} x{workers}: median {statistics.median(times):.1f}s"
        if base and variant == "multi_processing" and workers != min(args.workers) and len(times) == len(base):
            line += f", speed-up over x{min(args.workers)}: {common.ratio_of_medians(base, times):.2f}x"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
