"""Start-up of `conflictwire analyze`: one short document (median wall of N fresh processes), and at batch scale.

    .venv/bin/python benchmarks/startup.py                  # 5 single-document runs, then 2 rounds over the pages
    .venv/bin/python benchmarks/startup.py --single 5 --rounds 0

Single document: `conflictwire analyze` (as `python -m pipelines.cli analyze`) on one short English conflict report,
in a fresh process each time; the median wall time is the figure (target <= 2 s).

Batch scale: the real benchmark pages (../shared/data, 304 pages, see common.load_pages), decoded as the fetch stage
decodes them, written as one JSONL file of {"id", "url", "html"}. Then, side by side in one run, interleaved and
alternating which goes first:
- whole process: one `conflictwire analyze` process over the file, against one Python process that imports
  trafilatura and runs `trafilatura.extract` on the same pages (wall and CPU time of each process);
- in process: the same two workloads inside this process (`analyze_lines` with a loaded `Analyzer` over every page,
  against `trafilatura.extract` over every page), with start-up excluded.
The in-process ratio is the figure stage_costs.py gives ("analysis" / "bare"; it interleaves the two page by page,
which costs the bare extraction some cache warmth: pass its ratio with --stage-costs-ratio to compare with it too).
When start-up no longer matters, the whole-process ratio is within a few percent of the in-process one. Prints
figures only; nothing here passes or fails.
"""

from __future__ import annotations

import os

# Before numpy loads, here as in the child processes: the encoder's matrix products then run on the measuring thread,
# so time.thread_time counts them (BLAS helper threads would hide them from the in-process figure; stage_costs.py
# does the same).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

REPO = common.REPO
ENV = {**os.environ, "PYTHONPATH": str(REPO), "OPENBLAS_NUM_THREADS": "1"}
ONE_DOCUMENT = {
    "id": "one",
    "title": "Gunmen kill three in Zamfara",
    "text": "Gunmen killed three villagers in Zamfara state on Monday, police said. The attackers arrived on "
    "motorcycles and set fire to several houses before fleeing into the forest.",
}
BARE_SCRIPT = """
import json, sys, trafilatura
for line in open(sys.argv[1], encoding="utf-8"):
    trafilatura.extract(json.loads(line)["html"])
"""


def timed_process(command: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds user+system) of one child process."""
    before = os.times()
    started = time.perf_counter()
    subprocess.run(command, check=True, env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = os.times()
    return wall, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def analyze_command(source: Path, output: Path) -> list[str]:
    return [sys.executable, "-m", "pipelines.cli", "analyze", "--input", str(source), "--output", str(output)]


def single(runs: int, folder: Path) -> None:
    source = folder / "one.jsonl"
    source.write_text(json.dumps(ONE_DOCUMENT) + "\n", encoding="utf-8")
    walls = []
    for _ in range(runs):
        wall, cpu = timed_process(analyze_command(source, folder / "one.out.jsonl"))
        walls.append(wall)
        print(f"  one document: {wall:.2f} s wall, {cpu:.2f} s CPU", flush=True)
    result = json.loads((folder / "one.out.jsonl").read_text().splitlines()[0])
    print(
        f"single document ({runs} fresh processes): median {statistics.median(walls):.2f} s wall "
        f"(min {min(walls):.2f}, max {max(walls):.2f}); is_conflict={result['is_conflict']}, "
        f"{len(result['events'])} events; Apache Beam imported: {beam_imported()}",
        flush=True,
    )


def beam_imported() -> bool:
    probe = "import sys, pipelines.cli, pipelines.analyze; print('apache_beam' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], env=ENV, capture_output=True, text=True, check=True)
    return out.stdout.strip() == "True"


def pages_file(folder: Path) -> tuple[Path, list[dict]]:
    from transforms.http import decode_html

    records = [{"id": page.name, "url": page.url, "html": decode_html(page.html)} for page in common.load_pages()]
    path = folder / "pages.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path, records


def in_process(records: list[dict], analysis_first: bool) -> tuple[float, float, float, float]:
    """(analysis wall, bare wall, analysis CPU, bare CPU) over every page, models loaded beforehand: the two
    processes' work without their start-up, each workload over all pages in a row as the processes run it."""
    import trafilatura

    from pipelines.analyze import Analyzer, analyze_lines

    analyzer = Analyzer()
    lines = [json.dumps(record) for record in records]
    # Every model loaded (the gazetteer and the sub-event encoder on the first conflict document): start-up is not
    # part of this figure.
    list(analyze_lines(iter([json.dumps(ONE_DOCUMENT), *lines[:3]]), analyzer))
    trafilatura.extract(records[0]["html"])
    totals = [0.0, 0.0, 0.0, 0.0]
    for kind in ("analysis", "bare") if analysis_first else ("bare", "analysis"):
        started, cpu = time.perf_counter(), time.thread_time()
        if kind == "bare":
            for record in records:
                trafilatura.extract(record["html"])
        else:
            for _ in analyze_lines(iter(lines), analyzer):
                pass
        index = 0 if kind == "analysis" else 1
        totals[index] += time.perf_counter() - started
        totals[index + 2] += time.thread_time() - cpu
    return tuple(totals)  # type: ignore[return-value]


def batch(rounds: int, folder: Path, stage_costs_ratio: float | None) -> None:
    source, records = pages_file(folder)
    print(f"batch: {len(records)} pages in {source}", flush=True)
    whole_wall, whole_cpu, inner_wall, inner_cpu = [], [], [], []
    for round_number in range(rounds):
        results = {}
        order = ("analyze", "bare") if round_number % 2 == 0 else ("bare", "analyze")
        for kind in order:
            if kind == "analyze":
                results[kind] = timed_process(analyze_command(source, folder / "pages.out.jsonl"))
            else:
                results[kind] = timed_process([sys.executable, "-c", BARE_SCRIPT, str(source)])
        a_wall, b_wall, a_cpu, b_cpu = in_process(records, analysis_first=round_number % 2 == 1)
        whole_wall.append(results["analyze"][0] / results["bare"][0])
        whole_cpu.append(results["analyze"][1] / results["bare"][1])
        inner_wall.append(a_wall / b_wall)
        inner_cpu.append(a_cpu / b_cpu)
        print(
            f"  round {round_number + 1}: whole process: analyze {results['analyze'][0]:.1f} s wall "
            f"({results['analyze'][1]:.1f} s CPU), trafilatura {results['bare'][0]:.1f} s ({results['bare'][1]:.1f} s "
            f"CPU) -> {whole_wall[-1]:.2f}x wall, {whole_cpu[-1]:.2f}x CPU; in process: analysis {a_wall:.1f} s, "
            f"bare {b_wall:.1f} s -> {inner_wall[-1]:.2f}x wall, {inner_cpu[-1]:.2f}x CPU",
            flush=True,
        )
    whole, inner = statistics.median(whole_cpu), statistics.median(inner_cpu)
    print(
        f"whole-process ratio {whole:.2f}x CPU ({statistics.median(whole_wall):.2f}x wall), in-process ratio "
        f"{inner:.2f}x CPU ({statistics.median(inner_wall):.2f}x wall): whole / in-process = {whole / inner:.3f} "
        f"(CPU), {statistics.median(whole_wall) / statistics.median(inner_wall):.3f} (wall)"
    )
    if stage_costs_ratio:
        given = stage_costs_ratio
        print(f"against stage_costs.py's {given:.2f}x: whole-process / stage_costs = {whole / given:.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--single", type=int, default=5, help="fresh single-document processes (0: skip)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the batch comparison (0: skip)")
    parser.add_argument("--stage-costs-ratio", type=float, help="analysis / bare CPU ratio stage_costs.py printed")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="conflictwire-startup-") as tmp:
        folder = Path(tmp)
        if args.single:
            single(args.single, folder)
        if args.rounds:
            if not common.load_pages(1):
                print(f"no benchmark pages under {common.SHARED_DATA}: batch comparison skipped")
                return
            batch(args.rounds, folder, args.stage_costs_ratio)


if __name__ == "__main__":
    main()
