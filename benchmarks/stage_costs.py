"""Per-stage cost of one article (ms, p50/p95/mean), and the whole analysis against a bare `trafilatura.extract`.

    .venv/bin/python benchmarks/stage_costs.py                 # every real page, 3 interleaved repetitions
    .venv/bin/python benchmarks/stage_costs.py --pages 60 --repeat 1
    .venv/bin/python benchmarks/stage_costs.py --profile 25    # and the 25 costliest functions of the analysis

Pages: the real news pages of ../shared/data (article-extraction-benchmark, fundus-parser-testdata), served from a
loopback replay server in a separate process. Stages, each timed per article:

- feeds: polling and parsing a feed of 100 items, divided by its items;
- fetch: `transforms.fetch.fetch_page` over loopback (HTTP, gunzip, charset decoding); its wall time includes
  waiting for the server process;
- extract, language, relevance, events: the stages' own DoFns called directly (see `common.Stages`); events only
  run on articles the relevance gate passes, so its p50 over all articles is the gate's;
- sink: schema validation and conversion of the article and its events, plus its share of writing them to Parquet.

Each stage is timed twice: wall clock, and CPU time of the measuring thread (`time.thread_time`). On a shared machine
the wall clock includes waiting for a core; CPU time is what the stage costs a core, so that is the figure to plan
capacity with. "analysis" is extract + language + relevance + events of one page; "bare" is
`trafilatura.extract(html)` (defaults) of the same decoded page, timed right beside it (alternating which goes
first). The ratio is the median over repetitions of sum(analysis) / sum(bare), in both clocks.
`--profile N` adds one untimed pass under cProfile. Prints figures only; nothing here passes or fails.
"""

from __future__ import annotations

import os

# Before numpy loads: the sentence encoder's matrix products then run on the measuring thread, so its CPU time
# counts them (BLAS helper threads would hide them from time.thread_time), as on a worker (deploy/Dockerfile).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

STAGES = ("feeds", "fetch", "extract", "language", "relevance", "events", "sink")


CPU: dict[str, list[float]] = defaultdict(list)  # stage -> CPU seconds of the measuring thread, per article


def _timed(function, *args, stage: str | None = None):
    """(result, wall seconds); the thread's CPU seconds go to CPU[stage] when a stage is named."""
    started, cpu_started = time.perf_counter(), time.thread_time()
    result = function(*args)
    if stage:
        CPU[stage].append(time.thread_time() - cpu_started)
    return result, time.perf_counter() - started


def poll_items(client, feeds: list[str], stage: str | None = None) -> tuple[list, list[float]]:
    """Every feed's items, and per item its share of its feed's polling time (wall; CPU into CPU[stage])."""
    from transforms.feeds import poll_feed

    items, shares = [], []
    for feed_url in feeds:
        outputs, seconds = _timed(poll_feed, client, feed_url, "bench", stage=stage)
        feed_items = [row for tag, row in outputs if tag is None]
        items.extend(feed_items)
        shares.extend([seconds / max(1, len(feed_items))] * len(feed_items))
        if stage:
            feed_cpu = CPU[stage].pop()
            CPU[stage].extend([feed_cpu / max(1, len(feed_items))] * len(feed_items))
    return items, shares


def sink_costs(articles: list, events: list, folder: str) -> list[float]:
    """Per article: validating and converting it and its events, plus its share of the Parquet writes."""
    from schemas import ARTICLES, EVENTS
    from transforms.sinks import write_table

    per_article = []
    events_by_article = defaultdict(list)
    for event in events:
        events_by_article[event.article_id].append(event)
    per_article_cpu = []
    for article in articles:
        started, cpu_started = time.perf_counter(), time.thread_time()
        for kind, row in [(ARTICLES, article)] + [(EVENTS, e) for e in events_by_article[article.article_id]]:
            if not kind.validate(row):
                kind.to_dict(row)
        per_article.append(time.perf_counter() - started)
        per_article_cpu.append(time.thread_time() - cpu_started)
    started, cpu_started = time.perf_counter(), time.thread_time()
    write_table(str(Path(folder) / "articles.parquet"), ARTICLES, articles)
    write_table(str(Path(folder) / "events.parquet"), EVENTS, events)
    share = (time.perf_counter() - started) / max(1, len(articles))
    cpu_share = (time.thread_time() - cpu_started) / max(1, len(articles))
    CPU["sink"].extend(seconds + cpu_share for seconds in per_article_cpu)
    return [seconds + share for seconds in per_article]


def measure(pages: list[common.Page], repeat: int, profile_top: int) -> None:
    import trafilatura

    from transforms.base import StageError
    from transforms.fetch import fetch_page
    from transforms.http import HttpClient

    stages = common.Stages()
    costs: dict[str, list[float]] = defaultdict(list)
    analysis_totals, bare_totals, analysis_cpus, bare_cpus = [], [], [], []
    outcome = {"articles": 0, "no_article": 0, "conflict": 0, "events": 0, "fetch_failed": 0}
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = common.build_snapshot(Path(tmp) / "snapshot", pages, len(pages))
        server = common.serve_in_subprocess(snapshot.root)
        with server as (bases, _pid), HttpClient(common.BENCH_FETCH_SETTINGS) as client:
            # warm-up: lazy imports, model loads, the client's robots.txt and connection pool
            warm_items, _ = poll_items(client, common.feed_urls(snapshot, bases)[:1])
            for item in warm_items[:5]:
                tag, page = fetch_page(client, item)
                if tag is None:
                    try:
                        stages.analyse(page)
                    except StageError:
                        pass
                    trafilatura.extract(page.html)
            for repetition in range(repeat):
                items, feed_shares = poll_items(client, common.feed_urls(snapshot, bases), stage="feeds")
                costs["feeds"].extend(feed_shares)
                analysis_total = bare_total = analysis_cpu = bare_cpu = 0.0
                articles, events = [], []
                for number, item in enumerate(items):
                    (tag, page), seconds = _timed(fetch_page, client, item, stage="fetch")
                    costs["fetch"].append(seconds)
                    if tag is not None:
                        outcome["fetch_failed"] += repetition == 0
                        continue
                    bare_first = number % 2 == 0
                    if bare_first:
                        _, bare_seconds = _timed(trafilatura.extract, page.html, stage="bare")
                    analysis_started = time.thread_time()
                    page_analysis = 0.0
                    article, found = None, []
                    try:
                        article, seconds = _timed(stages.extract, page, stage="extract")
                        costs["extract"].append(seconds)
                        page_analysis += seconds
                        for stage, function in (("language", stages.language), ("relevance", stages.relevance)):
                            article, seconds = _timed(function, article, stage=stage)
                            costs[stage].append(seconds)
                            page_analysis += seconds
                        (article, found), seconds = _timed(stages.events, article, stage="events")
                        costs["events"].append(seconds)
                        if article.is_conflict:
                            costs["events (conflict articles)"].append(seconds)
                            CPU["events (conflict articles)"].append(CPU["events"][-1])
                        page_analysis += seconds
                    except StageError:
                        outcome["no_article"] += repetition == 0
                        article = None
                    CPU["analysis"].append(time.thread_time() - analysis_started)
                    if not bare_first:
                        _, bare_seconds = _timed(trafilatura.extract, page.html, stage="bare")
                    costs["analysis"].append(page_analysis)
                    costs["bare"].append(bare_seconds)
                    analysis_total += page_analysis
                    bare_total += bare_seconds
                    analysis_cpu += CPU["analysis"][-1]
                    bare_cpu += CPU["bare"][-1]
                    if article is not None:
                        articles.append(article)
                        events.extend(found)
                        if repetition == 0:
                            outcome["articles"] += 1
                            outcome["conflict"] += bool(article.is_conflict)
                            outcome["events"] += len(found)
                costs["sink"].extend(sink_costs(articles, events, tmp))
                analysis_totals.append(analysis_total)
                bare_totals.append(bare_total)
                analysis_cpus.append(analysis_cpu)
                bare_cpus.append(bare_cpu)
                print(
                    f"  repetition {repetition + 1}: analysis {analysis_total:.1f}s (CPU {analysis_cpu:.1f}s), "
                    f"bare {bare_total:.1f}s (CPU {bare_cpu:.1f}s), ratio {analysis_total / bare_total:.2f} "
                    f"(CPU {analysis_cpu / bare_cpu:.2f})",
                    flush=True,
                )

    rows = []
    for stage in (*STAGES, "events (conflict articles)", "analysis", "bare"):
        wall, cpu = common.summary(costs[stage]), common.summary(CPU[stage])
        label = "bare trafilatura.extract" if stage == "bare" else stage
        rows.append((label, wall["p50"], wall["p95"], wall["mean"], cpu["p50"], cpu["p95"], cpu["mean"], wall["n"]))
    common.print_table(
        f"Per-article cost in ms ({len(pages)} pages x {repeat} repetitions): wall clock, and CPU time "
        "of the measuring thread",
        ("stage", "wall p50", "wall p95", "wall mean", "CPU p50", "CPU p95", "CPU mean", "n"),
        rows,
    )
    wall_total = sum(statistics.fmean(costs[s]) for s in STAGES if costs[s])
    cpu_total = sum(statistics.fmean(CPU[s]) for s in STAGES if CPU[s])
    print(
        f"\n  all stages, mean per article: wall {wall_total * 1000:.1f} ms, CPU {cpu_total * 1000:.1f} ms "
        f"-> {1 / cpu_total:.1f} articles/s per core busy on this job"
    )
    print(
        f"  analysis / bare trafilatura.extract (median of per-repetition sums, target <= 2x): "
        f"wall {common.ratio_of_medians(analysis_totals, bare_totals):.2f}x, "
        f"CPU {common.ratio_of_medians(analysis_cpus, bare_cpus):.2f}x"
    )
    print(f"  outcome of one pass: {outcome}")
    if profile_top:
        profile(pages, stages, profile_top)


def profile(pages: list[common.Page], stages: common.Stages, top: int) -> None:
    """One more pass of the analysis under cProfile (after the timed ones, so its overhead is in no figure)."""
    from transforms.base import StageError

    fetched = [common.fetched_page(page) for page in pages]
    profiler = cProfile.Profile()
    profiler.enable()
    for page in fetched:
        try:
            stages.analyse(page)
        except StageError:
            pass
    profiler.disable()
    for order in ("cumulative", "tottime"):
        print(f"\nThe analysis under cProfile, top {top} functions by {order} time:")
        pstats.Stats(profiler).sort_stats(order).print_stats(top)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=None, help="use only the first N real pages (default: all)")
    parser.add_argument("--repeat", type=int, default=3, help="interleaved repetitions (default 3)")
    parser.add_argument(
        "--profile",
        type=int,
        default=0,
        metavar="N",
        help="also print the N costliest functions of the analysis (cProfile, an extra untimed pass)",
    )
    args = parser.parse_args(argv)
    common.require_corpora()
    common.print_machine()
    pages = common.load_pages(args.pages)
    print(f"{len(pages)} real pages, {sum(len(p.html) for p in pages) / len(pages) / 1024:.0f} KiB of HTML on average")
    measure(pages, args.repeat, args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
