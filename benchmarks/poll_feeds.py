"""Poll 1,000 feeds on a loopback server twice with the real client: throughput, conditional-GET savings, memory.

    .venv/bin/python benchmarks/poll_feeds.py [--feeds 1000] [--threads 8]

The feeds are the real ones in ../shared/data (rss-parser-feeds, prof18-rssparser-feeds), cycled under distinct paths,
each with its own ETag and Last-Modified. Pass 1 fetches and parses everything; pass 2 sends the validators from
pass 1 and should be answered 304 (every tenth feed "changes" in between, so not all are). Prints figures only.
All feeds live on one loopback host, so the per-host caps are raised to the thread count here; a real feed list
spreads over hundreds of hosts.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import resource
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.conftest import SHARED_DATA  # noqa: E402
from tests.faultserver import FaultServer  # noqa: E402
from transforms.feeds import FEED_STATUS, poll_feed  # noqa: E402
from transforms.http import HttpClient  # noqa: E402
from transforms.settings import FetchSettings  # noqa: E402


def corpus_feeds() -> list[bytes]:
    bodies = []
    for folder in (SHARED_DATA / "rss-parser-feeds" / "input", SHARED_DATA / "prof18-rssparser-feeds"):
        if folder.is_dir():
            bodies += [p.read_bytes() for p in sorted(folder.iterdir()) if p.suffix in (".rss", ".atom", ".xml")]
    if not bodies:  # no corpora beside this checkout: synthetic feeds of a typical size
        items = "".join(
            f"<item><title>Story {n}</title><link>https://news.example.org/{n}</link>"
            f"<description>{'Text of the story. ' * 20}</description></item>"
            for n in range(30)
        )
        bodies = [f'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{items}</channel></rss>'.encode()]
    return bodies


class Feeds:
    """The server side: each feed's body and validators; `change()` gives some feeds a new version."""

    def __init__(self, server: FaultServer, bodies: list[bytes], count: int):
        self.versions: dict[str, int] = {}
        self.bodies = {}
        self.urls = []
        for n in range(count):
            path = f"/feed/{n}.xml"
            self.bodies[path] = bodies[n % len(bodies)]
            self.versions[path] = 1
            self.urls.append(server.route(path, self.handle))

    def validators(self, path: str) -> tuple[str, str]:
        version = self.versions[path]
        etag = '"' + hashlib.sha1(f"{path}{version}".encode()).hexdigest()[:16] + '"'
        return etag, f"Mon, {version:02d} Dec 2025 10:00:00 GMT"

    def handle(self, request) -> None:
        path = request.path
        etag, modified = self.validators(path)
        if request.headers.get("If-None-Match") == etag:
            request.send(304, b"", {"ETag": etag, "Last-Modified": modified, "Content-Length": "0"})
            return
        request.send(
            200,
            self.bodies[path],
            {"Content-Type": "application/rss+xml; charset=utf-8", "ETag": etag, "Last-Modified": modified},
        )

    def change(self, every: int) -> int:
        changed = 0
        for n, path in enumerate(sorted(self.versions)):
            if n % every == 0:
                self.versions[path] += 1
                changed += 1
        return changed


def poll_all(client: HttpClient, urls: list[str], state: dict, threads: int) -> tuple[float, list]:
    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        results = list(
            pool.map(
                lambda url: poll_feed(
                    client,
                    url,
                    "bench",
                    etag=state.get(url, (None, None))[0],
                    last_modified=state.get(url, (None, None))[1],
                ),
                urls,
            )
        )
    elapsed = time.perf_counter() - started
    statuses = [row for outputs in results for tag, row in outputs if tag == FEED_STATUS]
    return elapsed, statuses


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args()
    settings = FetchSettings(
        min_host_interval_s=0,
        max_connections_per_host=args.threads,
        worker_threads=args.threads,
        allow_hosts=("localhost",),
        retries=0,
    )
    bodies = corpus_feeds()
    with FaultServer() as server:
        feeds = Feeds(server, bodies, args.feeds)
        client = HttpClient(dataclasses.replace(settings))
        first_s, first = poll_all(client, feeds.urls, {}, args.threads)
        changed = feeds.change(every=10)
        state = {row.feed_url: (row.etag, row.last_modified) for row in first}
        second_s, second = poll_all(client, feeds.urls, state, args.threads)
        client.close()
    first_bytes = sum(row.bytes or 0 for row in first)
    second_bytes = sum(row.bytes or 0 for row in second)
    by_status = {status: sum(1 for row in second if row.status == status) for status in ("ok", "not_modified", "error")}
    items = sum(row.items or 0 for row in first)
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"feeds: {args.feeds} ({len(bodies)} distinct documents, {items} items in pass 1), threads: {args.threads}")
    print(
        f"pass 1 (full GET + parse): {first_s:.2f} s, {args.feeds / first_s:.0f} feeds/s, "
        f"{first_bytes / 1e6:.1f} MB, errors {sum(1 for row in first if row.status != 'ok')}"
    )
    print(
        f"pass 2 (conditional GET, {changed} feeds changed): {second_s:.2f} s, {args.feeds / second_s:.0f} feeds/s, "
        f"{second_bytes / 1e6:.2f} MB, statuses {by_status}"
    )
    print(
        f"bytes saved by conditional GET: {(first_bytes - second_bytes) / 1e6:.1f} MB "
        f"({100 * (1 - second_bytes / max(first_bytes, 1)):.1f} %)"
    )
    print(f"peak RSS (client, parser and the loopback server in one process): {peak_mib:.0f} MiB")


if __name__ == "__main__":
    main()
