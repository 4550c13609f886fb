"""What Beam and our glue cost: the batch pipeline against a plain Python loop over the same stages, in one run.

    .venv/bin/python benchmarks/beam_overhead.py                      # 300 articles, 3 rounds
    .venv/bin/python benchmarks/beam_overhead.py --articles 1000 --rounds 2 --hosts 8

Both variants poll the same synthetic feeds (real pages of ../shared/data repeated under distinct URLs, served on
loopback from a separate process), fetch, extract, detect language, score relevance, extract events and write
Parquet. The Beam variant is `pipelines.batch.build` on the in-process FnApiRunner; the plain variant is
`common.run_plain_loop` (same stage cores, one streaming loop, no Beam). Rounds alternate which variant goes
first; the ratio is the median of per-round ratios. Models are loaded before timing for both (a warm-up run of each).
Prints figures only; nothing here passes or fails.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=300, help="articles in the replay (default 300)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of (Beam, plain) runs, alternating (default 3)")
    parser.add_argument(
        "--hosts",
        type=int,
        default=8,
        help="loopback ports the replay is spread over; each counts as one news site (default 8)",
    )
    args, beam_args = parser.parse_known_args(argv)
    common.require_corpora()
    common.print_machine()
    pages = common.load_pages()
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = common.build_snapshot(Path(tmp) / "snapshot", pages, args.articles)
        warm = common.build_snapshot(Path(tmp) / "warm", pages[:20], 20)
        print(
            f"replaying {args.articles} articles ({snapshot.pages} distinct pages) in {len(snapshot.feeds)} feeds "
            f"over {args.hosts} loopback hosts"
        )
        with common.serve_in_subprocess(warm.root) as (bases, _pid):
            stages = common.Stages()
            feeds = common.feed_urls(warm, bases)
            common.run_beam(feeds, str(Path(tmp) / "warm-beam"), beam_args=beam_args)
            common.run_plain_loop(feeds, str(Path(tmp) / "warm-loop"), stages)
        beam_seconds, plain_seconds, rows = [], [], []
        with common.serve_in_subprocess(snapshot.root, args.hosts) as (bases, _pid):
            feeds = common.feed_urls(snapshot, bases)
            for number in range(args.rounds):
                order = ("beam", "plain") if number % 2 == 0 else ("plain", "beam")
                for variant in order:
                    output = str(Path(tmp) / f"{variant}-{number}")
                    if variant == "beam":
                        result = common.run_beam(feeds, output, beam_args=beam_args)
                        beam_seconds.append(result["seconds"])
                    else:
                        result = common.run_plain_loop(feeds, output, stages)
                        plain_seconds.append(result["seconds"])
                    counters = result["counters"]
                    rows.append(
                        (
                            f"round {number + 1} {variant}",
                            result["seconds"],
                            args.articles / result["seconds"],
                            counters.get(("extract", "articles"), 0),
                            counters.get(("events", "events_extracted"), 0),
                        )
                    )
                    print(f"  {rows[-1][0]}: {result['seconds']:.1f}s", flush=True)
    common.print_table(
        f"Beam batch pipeline vs plain loop ({args.articles} articles)",
        ("run", "seconds", "articles/s", "articles", "events"),
        rows,
    )
    ratio = common.ratio_of_medians(beam_seconds, plain_seconds)
    print(
        f"\n  median Beam {statistics.median(beam_seconds):.1f}s, plain {statistics.median(plain_seconds):.1f}s; "
        f"Beam / plain = {ratio:.2f}x (median of per-round ratios; target <= 1.3x)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
