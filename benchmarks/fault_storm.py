"""A fault storm: `conflictwire run` over 1,000 loopback feeds of which most misbehave; prints wall time, peak memory
and whether every feed got its status row and every item its article or dead letter.

    .venv/bin/python benchmarks/fault_storm.py                # 1,000 feeds on 20 loopback ports
    .venv/bin/python benchmarks/fault_storm.py --feeds 200 --ports 5

The feeds (a fixed, shuffled assignment): 20% slow (answer after 1-2.5 s), 10% 429 with Retry-After: 1 on the first
request (then fine), 10% 5xx (half 503 on every request, half 500 once), 5% drip (one header line every 0.5 s,
never ending), 5% truncated (Content-Length 500 bytes longer than the body), 5% malformed XML, the rest well-formed.
Each served feed lists two items whose pages are small HTML pages on the same port (one with article text, not
about conflict, one without). Served from a separate process; the run is `python -m pipelines.cli run` in a fresh
process with `--request-timeout 5 --host-interval 0`, its peak resident memory (workers included) sampled by
common.PeakRss.
Nothing here passes or fails: it prints figures and the checks' outcomes (docs/hardening.md has the last run's).
"""

from __future__ import annotations

import argparse
import http.server
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common  # noqa: E402

SHARES = (("slow", 0.20), ("429", 0.10), ("5xx", 0.10), ("drip", 0.05), ("truncate", 0.05), ("malformed", 0.05))
# Not a conflict report: the storm is about feeds and fetching, so the relevance gate stops it before the events stage.
ARTICLE = (
    "<html><head><title>Harvest festival draws crowds</title></head><body><article><h1>Harvest festival</h1>"
    + "<p>Thousands of visitors came to the town square on Saturday for the annual harvest festival, where local "
    "farmers sold apples, pumpkins and honey and a brass band played until late in the evening.</p>"
    * 4
    + "</article></body></html>"
)
EMPTY_PAGE = "<html><head><title>Index</title></head><body><nav><a href='/'>Home</a></nav></body></html>"


def kinds(feeds: int) -> list[str]:
    assigned = [kind for kind, share in SHARES for _ in range(round(feeds * share))]
    assigned += ["ok"] * (feeds - len(assigned))
    random.Random(17).shuffle(assigned)
    return assigned


def rss(base: str, number: int) -> bytes:
    items = "".join(
        f"<item><title>Story {number}-{i}</title><link>{base}/page/{number}/{i}</link><guid>{number}-{i}</guid></item>"
        for i in range(2)
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {number}</title>{items}</channel></rss>'.encode()
    )


# ---------------------------------------------------------------------------------------------------------------------
# The server (a separate process: --serve)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _StormServer

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        parts = self.path.strip("/").split("/")
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        try:
            if parts[0] == "page":
                body = (ARTICLE if parts[2] == "0" else EMPTY_PAGE).encode()
                self._send(200, body, {"Content-Type": "text/html; charset=utf-8"})
                return
            if parts[0] != "feed":
                self._send(404, b"not found", {"Content-Type": "text/plain"})
                return
            number = int(parts[1])
            kind = self.server.kinds[number]
            with self.server.lock:
                self.server.hits[number] += 1
                hit = self.server.hits[number]
            feed = {"Content-Type": "application/rss+xml"}
            if kind == "slow":
                time.sleep(1.0 + (number % 4) * 0.5)
            elif kind == "429" and hit == 1:
                self._send(429, b"slow down", {"Retry-After": "1", "Content-Type": "text/plain"})
                return
            elif kind == "5xx" and (number % 2 == 0 or hit == 1):
                status = 503 if number % 2 == 0 else 500
                self._send(status, b"server error", {"Content-Type": "text/plain"})
                return
            elif kind == "drip":
                self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n")
                for line in range(120):
                    self.wfile.flush()
                    time.sleep(0.5)
                    self.wfile.write(f"X-Drip-{line}: x\r\n".encode())
                self.close_connection = True
                return
            elif kind == "truncate":
                body = rss(base, number)
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml")
                self.send_header("Content-Length", str(len(body) + 500))
                self.end_headers()
                self.wfile.write(body)
                self.wfile.flush()
                self.close_connection = True
                return
            elif kind == "malformed":
                body = rss(base, number)[:-40] + b"<item><title>broken & <<</titl></item"
                self._send(200, body, feed)
                return
            self._send(200, rss(base, number), feed)
        except (BrokenPipeError, ConnectionResetError):
            pass


class _StormServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address) -> None:  # noqa: ANN001
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client closing a kept-alive socket is no news
            super().handle_error(request, client_address)


def serve(feeds: int, ports: int) -> None:
    assigned = kinds(feeds)
    hits: Counter[int] = Counter()
    lock = threading.Lock()
    servers = []
    for _ in range(ports):
        server = _StormServer(("127.0.0.1", 0), _Handler)
        server.kinds, server.hits, server.lock = assigned, hits, lock
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
    print(" ".join(f"http://127.0.0.1:{s.server_address[1]}" for s in servers), flush=True)
    sys.stdin.read()  # until the benchmark closes the pipe


# ---------------------------------------------------------------------------------------------------------------------
# The benchmark


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--ports", type=int, default=20)
    parser.add_argument("--request-timeout", type=float, default=5.0)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.feeds, args.ports)
        return
    assigned = kinds(args.feeds)
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", "--feeds", str(args.feeds), "--ports", str(args.ports)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        bases = server.stdout.readline().split()
        urls = [f"{bases[n % len(bases)]}/feed/{n}" for n in range(args.feeds)]
        with tempfile.TemporaryDirectory(prefix="conflictwire-storm-") as tmp:
            feed_list = Path(tmp) / "feeds.txt"
            feed_list.write_text("\n".join(urls) + "\n")
            out = Path(tmp) / "out"
            command = [sys.executable, "-m", "pipelines.cli", "run", "--feeds", str(feed_list), "--output", str(out)]
            command += ["--allow-host", "127.0.0.1", "--host-interval", "0", "--run-id", "storm"]
            command += ["--request-timeout", str(args.request_timeout)]
            env = {**os.environ, "PYTHONPATH": str(common.REPO)}
            with common.PeakRss(exclude=[server.pid]) as peak:
                started, before = time.perf_counter(), os.times()
                run = subprocess.run(command, env=env, capture_output=True)
                wall, after = time.perf_counter() - started, os.times()
            cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
            print(f"conflictwire run over {args.feeds} feeds on {len(bases)} ports: exit {run.returncode}")
            if run.returncode != 0:
                print(run.stderr.decode()[-3000:])
                return
            report(assigned, urls, out, wall, cpu, peak.peak_mib)
    finally:
        server.stdin.close()
        server.wait(10)


def report(assigned: list[str], urls: list[str], out: Path, wall: float, cpu: float, peak_mib: float) -> None:
    from pipelines.batch import is_item_dead_letter
    from transforms.sinks import read_rows

    statuses = read_rows(str(out), "feed_status").to_pylist()
    letters = read_rows(str(out), "dead_letters").to_pylist()
    articles = read_rows(str(out), "articles").to_pylist()
    kind_of = dict(zip(urls, assigned, strict=True))
    print(
        f"wall time {wall:.1f} s, CPU time {cpu:.1f} s (user + system of the run), "
        f"peak resident memory {peak_mib:.0f} MiB (run and its workers, server excluded)"
    )
    by_kind: dict[str, Counter] = defaultdict(Counter)
    for row in statuses:
        by_kind[kind_of[row["feed_url"]]][row["status"]] += 1
    feed_letters = defaultdict(Counter)
    for letter in letters:
        if not is_item_dead_letter(letter_row(letter)):
            feed_letters[kind_of.get(letter["feed_url"], "?")][letter["reason"]] += 1
    print(f"{'kind':<10} {'feeds':>5}  status rows                         feed dead letters")
    for kind in ("ok", *[k for k, _ in SHARES]):
        total = assigned.count(kind)
        rows = ", ".join(f"{s} {n}" for s, n in sorted(by_kind[kind].items()))
        reasons = ", ".join(f"{r} {n}" for r, n in sorted(feed_letters[kind].items())) or "-"
        print(f"{kind:<10} {total:>5}  {rows:<35} {reasons}")
    per_feed = Counter(row["feed_url"] for row in statuses)
    print(
        f"status rows: {len(statuses)} for {len(urls)} feeds; every feed exactly one: "
        f"{set(per_feed) == set(urls) and set(per_feed.values()) == {1}}"
    )
    item_letters = [letter for letter in letters if is_item_dead_letter(letter_row(letter))]
    entries = sum(row["items"] or 0 for row in statuses if row["status"] == "ok")
    outcomes = len(articles) + len(item_letters)
    print(
        f"items: {entries} listed by the feeds read; {len(articles)} articles + {len(item_letters)} item dead letters "
        f"= {outcomes}: add up {entries == outcomes}"
    )
    print(f"item dead letters by reason: {dict(Counter(letter['reason'] for letter in item_letters))}")


def letter_row(letter: dict):  # noqa: ANN201 - a DeadLetter-like view of a row for is_item_dead_letter
    return type("Letter", (), letter)


if __name__ == "__main__":
    main()
