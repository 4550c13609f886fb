"""Peak memory of a whole run against its size: it must stay flat (no stage may hold every article).

    .venv/bin/python benchmarks/memory.py                         # 1,000 articles, Beam and the plain loop
    .venv/bin/python benchmarks/memory.py --sizes 1000 10000      # the figures of docs/performance.md (minutes)
    .venv/bin/python benchmarks/memory.py --variants beam --sizes 2000 -- --direct_num_workers=2 \\
        --direct_running_mode=multi_processing

Each (variant, size) runs in a fresh Python process so that one run's peak cannot hide another's. Its peak resident
memory is sampled every 0.1 s over that process and its children (the SDK workers of a multi-process run), beside
the kernel's own high-water mark (VmHWM) of the main process. The replay server runs in a separate process and is
not counted. Arguments after `--` go to the Beam pipeline. Prints figures only; nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


def child(variant: str, feeds_file: str, output: str, beam_args: list[str]) -> int:
    """One measured run; prints its figures as one JSON line."""
    feeds = Path(feeds_file).read_text(encoding="utf-8").split()
    with common.PeakRss() as peak:
        if variant == "beam":
            result = common.run_beam(feeds, output, beam_args=beam_args)
        else:
            result = common.run_plain_loop(feeds, output)
    if variant == "beam":  # counted in the output: some runners (Dask) report no counters
        from pipelines.accounting import read_written

        written = read_written(output, "bench")
        articles, events = len(written["articles"]), len(written["events"])
    else:
        counters = result["counters"]
        articles, events = counters.get(("extract", "articles"), 0), counters.get(("events", "events_extracted"), 0)
    print(
        json.dumps(
            {
                "seconds": result["seconds"],
                "peak_mib": peak.peak_mib,
                "processes": peak.peak_processes,
                "vm_hwm_mib": peak.vm_hwm_mib(),
                "articles": articles,
                "events": events,
            }
        )
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    beam_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000], help="articles per run (default 1000)")
    parser.add_argument("--variants", nargs="+", choices=("beam", "plain"), default=["beam", "plain"])
    parser.add_argument(
        "--hosts",
        type=int,
        default=8,
        help="loopback ports the replay is spread over; each counts as one news site (default 8)",
    )
    parser.add_argument("--child", choices=("beam", "plain"), help=argparse.SUPPRESS)
    parser.add_argument("--feeds-file", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        return child(args.child, args.feeds_file, args.output, beam_args)

    common.require_corpora()
    common.print_machine()
    pages = common.load_pages()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = common.build_snapshot(Path(tmp) / "snapshot", pages, max(args.sizes))
        with common.serve_in_subprocess(snapshot.root, args.hosts) as (bases, _pid):
            feeds = common.feed_urls(snapshot, bases)
            for size in args.sizes:
                feeds_file = Path(tmp) / f"feeds-{size}.txt"
                feeds_file.write_text("\n".join(feeds[: -(-size // common.ITEMS_PER_FEED)]) + "\n", encoding="utf-8")
                for variant in args.variants:
                    command = [
                        sys.executable,
                        str(Path(__file__).resolve()),
                        "--child",
                        variant,
                        "--feeds-file",
                        str(feeds_file),
                        "--output",
                        str(Path(tmp) / f"out-{variant}-{size}"),
                        "--",
                        *beam_args,
                    ]
                    done = subprocess.run(command, capture_output=True, text=True)
                    if done.returncode != 0:
                        print(f"  {variant} {size}: failed\n{done.stderr[-3000:]}", file=sys.stderr)
                        continue
                    figures = json.loads(done.stdout.strip().splitlines()[-1])
                    rows.append(
                        (
                            variant,
                            size,
                            figures["articles"],
                            figures["seconds"],
                            figures["peak_mib"],
                            figures["vm_hwm_mib"],
                            figures["processes"],
                        )
                    )
                    print(f"  {variant} {size}: {figures}", flush=True)
    common.print_table(
        "Peak resident memory of a whole run (replay server excluded)",
        ("variant", "articles", "extracted", "seconds", "peak MiB", "VmHWM MiB", "processes"),
        rows,
    )
    for variant in args.variants:
        runs = sorted((size, peak) for name, size, _, _, peak, _, _ in rows if name == variant)
        if len(runs) >= 2:
            (small, small_peak), (large, large_peak) = runs[0], runs[-1]
            slope = (large_peak - small_peak) / (large - small) * 1000
            print(f"  {variant}: {slope:+.1f} MiB per 1,000 more articles ({small:,} -> {large:,})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
