"""A loopback HTTP server that replays a snapshot of feeds and pages, for the demo, tests and benchmarks.

A snapshot is a folder with `manifest.json`:

    {"routes": {"/feeds/world.xml": {"file": "feeds/world.xml", "content_type": "application/rss+xml"},
                "/www.example.com/story.html": {"file": "pages/ab12.html.gz", "content_type": "text/html"}}}

Files ending in .gz are served decompressed, or as-is with `Content-Encoding: gzip` to clients that
accept it. The placeholder `{{BASE}}` inside any served file is replaced by the server's own base URL
(http://127.0.0.1:PORT), so feeds can link to pages on the same server. Every response carries an ETag
and Last-Modified and honours conditional requests with 304, as a well-run news site does.
"""

from __future__ import annotations

import email.utils
import gzip
import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SNAPSHOT_TIME = email.utils.formatdate(1_700_000_000, usegmt=True)
ROBOTS = b"User-agent: *\nAllow: /\n"


class _Handler(BaseHTTPRequestHandler):
    server: ReplayServer._Server  # type: ignore[name-defined]

    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass  # a replay server is quiet; the pipeline reports what happened

    def do_GET(self):  # noqa: N802 - the stdlib's name
        replay: ReplayServer = self.server.replay
        path = self.path.split("?", 1)[0]
        replay.requests += 1
        if path == "/robots.txt":
            return self._send(200, ROBOTS, "text/plain")
        body = replay.body(path)
        if body is None:
            return self._send(404, b"not in the snapshot\n", "text/plain")
        route = replay.routes[path]
        etag = '"' + hashlib.sha1(body).hexdigest()[:20] + '"'
        if self.headers.get("If-None-Match") == etag or (
            "If-None-Match" not in self.headers and self.headers.get("If-Modified-Since") == SNAPSHOT_TIME
        ):
            replay.not_modified += 1
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return None
        encoding = None
        if "gzip" in self.headers.get("Accept-Encoding", "") and len(body) > 1024:
            body, encoding = gzip.compress(body, mtime=0), "gzip"
        return self._send(200, body, route.get("content_type", "application/octet-stream"), etag, encoding)

    def _send(self, status, body, content_type, etag=None, encoding=None):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if etag:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", SNAPSHOT_TIME)
        if encoding:
            self.send_header("Content-Encoding", encoding)
        self.end_headers()
        self.wfile.write(body)


class ReplayServer:
    """Serve a snapshot folder on 127.0.0.1 (an ephemeral port by default); use as a context manager."""

    class _Server(ThreadingHTTPServer):
        daemon_threads = True
        replay: ReplayServer

    def __init__(self, root: str | Path, port: int = 0):
        self.root = Path(root)
        manifest = json.loads((self.root / "manifest.json").read_text(encoding="utf-8"))
        self.routes: dict[str, dict] = manifest["routes"]
        # Paths a feed list may name that the snapshot deliberately lacks (to show a failing feed).
        self.missing_feeds: list[str] = manifest.get("missing_feeds", [])
        self._cache: dict[str, bytes] = {}
        self._lock = threading.Lock()
        self.requests = 0
        self.not_modified = 0
        self._server = self._Server(("127.0.0.1", port), _Handler)
        self._server.replay = self
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def body(self, path: str) -> bytes | None:
        route = self.routes.get(path)
        if route is None:
            return None
        with self._lock:
            if path not in self._cache:
                raw = (self.root / route["file"]).read_bytes()
                if route["file"].endswith(".gz"):
                    raw = gzip.decompress(raw)
                self._cache[path] = raw.replace(b"{{BASE}}", self.base_url.encode())
            return self._cache[path]

    def feed_urls(self) -> list[str]:
        return [self.url(path) for path, route in sorted(self.routes.items()) if route.get("feed")]

    def start(self) -> ReplayServer:
        self._thread = threading.Thread(target=self._server.serve_forever, name="replay-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
