"""`conflictwire demo`: serve the bundled snapshot of real feeds and pages on 127.0.0.1 and run the pipeline on it."""

from __future__ import annotations

import argparse
import collections
import tempfile
import time
from pathlib import Path

from pipelines.replay import ReplayServer
from pipelines.report import write_report
from pipelines.run import print_counters, print_written, run_batch
from transforms.sinks import read_rows

SAMPLE = Path(__file__).resolve().parent / "sample"
# Seconds between two requests to the demo's own loopback server (FetchSettings.min_host_interval_s is 1 s).
DEMO_HOST_INTERVAL_S = 0.0


def summarize(output: str, run_id: str) -> dict:
    """Counts of what one run wrote, read back from its Parquet output."""

    def rows(kind: str) -> list[dict]:
        table = read_rows(output, kind)
        return [r for r in (table.to_pylist() if table is not None else []) if r["run_id"] == run_id]

    feed_status, articles, events, dead = (rows(k) for k in ("feed_status", "articles", "events", "dead_letters"))
    return {
        "feeds": len(feed_status),
        "feeds_ok": sum(s["status"] in ("ok", "not_modified") for s in feed_status),
        "items": sum(s["items"] or 0 for s in feed_status),
        "new_items": sum(s["new_items"] or 0 for s in feed_status),
        "articles": len(articles),
        "languages": collections.Counter(a["language"] or "?" for a in articles),
        "conflict_articles": sum(bool(a["is_conflict"]) for a in articles),
        "events": len(events),
        "events_by_type": collections.Counter(e["event_type"] or "?" for e in events),
        "events_by_country": collections.Counter(e["country"] or "?" for e in events),
        "dead_letters": collections.Counter(f"{d['stage']}/{d['reason']}" for d in dead),
    }


def print_summary(summary: dict, seconds: float, output: str) -> None:
    def counts(counter: collections.Counter) -> str:
        return ", ".join(f"{name} {n}" for name, n in counter.most_common()) or "none"

    print()
    print("conflictwire demo: summary")
    print(f"  feeds               {summary['feeds']} ({summary['feeds_ok']} fetched)")
    print(f"  feed items          {summary['items']} ({summary['new_items']} new)")
    print(f"  articles            {summary['articles']}  [{counts(summary['languages'])}]")
    print(f"  conflict articles   {summary['conflict_articles']}")
    print(f"  events              {summary['events']}")
    print(f"    by type           {counts(summary['events_by_type'])}")
    print(f"    by country        {counts(summary['events_by_country'])}")
    print(f"  dead letters        {sum(summary['dead_letters'].values())}  [{counts(summary['dead_letters'])}]")
    print(f"  wall time           {seconds:.1f}s")
    print(f"  output              {output}/{{articles,events,dead_letters,feed_status}}/")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="conflictwire demo", description=__doc__)
    parser.add_argument("--output", default="out/demo", help="output folder (default out/demo)")
    args, beam_args = parser.parse_known_args(argv)
    started = time.monotonic()
    with ReplayServer(SAMPLE) as server, tempfile.TemporaryDirectory() as tmp:
        feeds = server.feed_urls() + [server.url(path) for path in server.missing_feeds]
        feed_list = Path(tmp) / "feeds.txt"
        feed_list.write_text("# the bundled sample, served on loopback\n" + "\n".join(feeds) + "\n")
        print(f"serving the bundled sample ({len(server.routes)} documents) on {server.base_url}")
        print(f"running the batch pipeline on {len(feeds)} feeds ...", flush=True)
        result = run_batch(
            [
                "--feeds",
                str(feed_list),
                "--output",
                args.output,
                "--allow-host",
                "127.0.0.1",
                # The sample's server is this process's own, on loopback: no one to be polite to, so the demo
                # waits no second between requests to it, and fetches from nowhere else. (Real runs keep the
                # default of one request per second per host; a --host-interval given here still wins.)
                "--only-allowed-hosts",
                "--host-interval",
                str(DEMO_HOST_INTERVAL_S),
                "--run-id",
                "demo",
                *beam_args,
            ]
        )
    print_counters(result.counters)
    print_written(result.written)
    print_summary(summarize(args.output, result.run_id), time.monotonic() - started, args.output)
    report = Path(args.output) / "report.html"
    write_report(args.output, str(report), title="conflictwire demo: the bundled offline sample")
    print(f"  report              {report.resolve()}")
    return 0
