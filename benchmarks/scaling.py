"""Scaling of the batch pipeline: the in-process runner against a dask.distributed cluster of 1 and 2 workers.

    .venv/bin/python benchmarks/scaling.py                                  # 1,000 articles, 1 round
    .venv/bin/python benchmarks/scaling.py --articles 1000 --rounds 2 --workers 1 2
    .venv/bin/python benchmarks/scaling.py --variants multi_processing --workers 1 2   # Beam's own multi-process

Variants: `in_memory` (the FnApiRunner in this process, the default runner), `dask` (`--runner DaskRunner`: a
LocalCluster of N worker processes of one thread each, started by the run), `multi_processing` (the FnApiRunner with
`--direct_running_mode=multi_processing --direct_num_workers=N`). Each round runs every variant once, alternating the
order between rounds, each in a fresh Python process (its workers die with it); peak resident memory includes the
worker processes. The replay is a loopback server in its own process, `--hosts` ports standing for as many sites,
serving `--articles` articles cycled over the real pages of the shared corpora (or, on a clone without them, the
26 pages of the bundled demo sample: `--pages sample`). Articles and events are counted in the run's output.
Speed-up is the median over rounds of time(x1) / time(xN) per runner, and time(in_memory) / time(variant).
The machine is shared: the figures say what N processes gain on it at the time of the run, not what N dedicated
cores would. Prints figures only; nothing here passes or fails.
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


def beam_args(variant: str, workers: int) -> list[str]:
    if variant == "multi_processing":
        return [f"--direct_num_workers={workers}", "--direct_running_mode=multi_processing"]
    if variant == "dask":
        return ["--runner", "DaskRunner", f"--dask_workers={workers}", "--dask_threads_per_worker=1"]
    return []


def run(variant: str, workers: int, feeds_file: Path, output: Path) -> dict | None:
    command = [sys.executable, str(MEMORY), "--child", "beam", "--feeds-file", str(feeds_file)]
    command += ["--output", str(output), "--", *beam_args(variant, workers)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        print(f"  {variant} x{workers}: failed\n{done.stderr[-3000:]}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=1000, help="articles in the replay (default 1000)")
    parser.add_argument("--rounds", type=int, default=1, help="rounds over the variants (default 1)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker counts (default 1 2)")
    parser.add_argument(
        "--variants",
        nargs="+",
        choices=("in_memory", "dask", "multi_processing"),
        default=["in_memory", "dask"],
        help="runners to compare (default in_memory dask)",
    )
    parser.add_argument(
        "--hosts",
        type=int,
        default=8,
        help="loopback ports the replay is spread over; each counts as one news site (default 8)",
    )
    parser.add_argument(
        "--pages",
        choices=("auto", "corpora", "sample"),
        default="auto",
        help="pages replayed: the shared corpora, the bundled sample, or the corpora where present (default)",
    )
    args = parser.parse_args(argv)
    use_sample = args.pages == "sample" or (args.pages == "auto" and not common.corpora_available())
    if not use_sample:
        common.require_corpora()
    common.print_machine()
    pages = common.sample_pages() if use_sample else common.load_pages()
    print(f"pages: {len(pages)} distinct real pages ({'bundled sample' if use_sample else 'shared corpora'}), cycled")
    variants = [(v, 1) if v == "in_memory" else (v, n) for v in args.variants for n in args.workers]
    variants = list(dict.fromkeys(variants))
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
                            figures["events"],
                            figures["peak_mib"],
                            figures["processes"],
                        )
                    )
                    print(f"  {rows[-1][0]}: {figures['seconds']:.1f}s", flush=True)
    common.print_table(
        f"Batch pipeline, {args.articles} articles, by runner and worker processes",
        ("run", "seconds", "articles/s", "articles", "events", "peak MiB", "processes"),
        rows,
    )
    reference = seconds.get(("in_memory", 1))
    for (variant, workers), times in seconds.items():
        if not times:
            continue
        line = f"  {variant} x{workers}: median {statistics.median(times):.1f}s"
        base = seconds.get((variant, min(args.workers)))
        if variant != "in_memory" and workers != min(args.workers) and base and len(base) == len(times):
            line += f", speed-up over x{min(args.workers)}: {common.ratio_of_medians(base, times):.2f}x"
        if variant != "in_memory" and reference and len(reference) == len(times):
            line += f", time(in_memory)/time: {common.ratio_of_medians(reference, times):.2f}x"
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
