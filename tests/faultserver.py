"""A fault-injecting HTTP server on 127.0.0.1 for tests: register routes, point a real client at it.

    def test_something(fault_server):
        fault_server.route("/feed", respond(b"<rss/>", headers={"Content-Type": "application/rss+xml"}))
        fault_server.route("/flaky", sequence(respond(b"", status=503), respond(b"ok")))
        client.get(fault_server.url("/feed"))

Handlers are callables taking the request handler (`FaultRequest`); the factories below cover the usual faults:
slow drip (of the body or the headers), truncation, gzip bombs, redirects, conditional GET. Unregistered paths
answer 404 (so robots.txt is absent unless a test registers one). `fault_server.hits[path]` counts requests,
`fault_server.requests` keeps (path, headers) of each.

The server binds 127.0.0.1 only; tests address it as http://localhost:<port>/ and allow "localhost" through the SSRF
guard, so anything reached as 127.0.0.1 or another loopback spelling must still be refused.
"""

from __future__ import annotations

import gzip
import http.server
import threading
import time
import zlib
from collections import Counter
from collections.abc import Callable, Iterator, Mapping

import pytest

from transforms.settings import FetchSettings

Handler = Callable[["FaultRequest"], None]


class FaultRequest(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        path = self.path.split("?", 1)[0]
        self.server.owner._record(self.path, path, dict(self.headers))
        handler = self.server.owner.routes.get(self.path) or self.server.owner.routes.get(path)
        if handler is None:
            self.send(404, b"not found", {"Content-Type": "text/plain"})
            return
        try:
            handler(self)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up on purpose (size cap, timeout): that is the point of most faults

    def send(self, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        headers = dict(headers or {})
        headers.setdefault("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the stdlib's signature
        pass


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    owner: FaultServer


class FaultServer:
    def __init__(self) -> None:
        self.routes: dict[str, Handler] = {}
        self.hits: Counter[str] = Counter()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        self._server = _Server(("127.0.0.1", 0), FaultRequest)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, name="faultserver", daemon=True)

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def url(self, path: str = "/", host: str = "localhost") -> str:
        return f"http://{host}:{self.port}{path}"

    def route(self, path: str, handler: Handler) -> str:
        """Serve `path` (with or without its query) with `handler`; returns its localhost URL."""
        self.routes[path] = handler
        return self.url(path)

    def _record(self, full_path: str, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.hits[path] += 1
            self.requests.append((full_path, headers))

    def start(self) -> FaultServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@pytest.fixture
def fault_server() -> Iterator[FaultServer]:
    with FaultServer() as server:
        yield server


# ---------------------------------------------------------------------------------------------------------------------
# Handler factories


def respond(body: bytes = b"", status: int = 200, headers: Mapping[str, str] | None = None) -> Handler:
    return lambda request: request.send(status, body, headers)


def sequence(*handlers: Handler) -> Handler:
    """The n-th request gets the n-th handler; the last one answers every request after that."""
    calls = iter(range(10**9))
    lock = threading.Lock()

    def handle(request: FaultRequest) -> None:
        with lock:
            n = next(calls)
        handlers[min(n, len(handlers) - 1)](request)

    return handle


def slow_drip(body: bytes, interval_s: float, chunk: int = 1, headers: Mapping[str, str] | None = None) -> Handler:
    """Sends `chunk` bytes every `interval_s`: each read is quick, the whole response is not."""

    def handle(request: FaultRequest) -> None:
        request.send_response(200)
        for name, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            request.send_header(name, value)
        request.end_headers()
        for start in range(0, len(body), chunk):
            request.wfile.write(body[start : start + chunk])
            request.wfile.flush()
            time.sleep(interval_s)

    return handle


def drip_headers(interval_s: float, lines: int = 10_000, chunk_interval_s: float | None = None) -> Handler:
    """Answers `HTTP/1.1 200 OK`, then one header line every `interval_s` (up to `lines`): a read never times out,
    the headers never end. With `chunk_interval_s`, each line itself is dripped a byte at a time."""

    def handle(request: FaultRequest) -> None:
        request.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n")
        request.wfile.flush()
        for n in range(lines):
            time.sleep(interval_s)
            line = f"X-Drip-{n}: {'x' * 20}\r\n".encode()
            if chunk_interval_s is None:
                request.wfile.write(line)
                request.wfile.flush()
                continue
            for byte in line:
                request.wfile.write(bytes([byte]))
                request.wfile.flush()
                time.sleep(chunk_interval_s)
        request.wfile.write(b"Content-Length: 2\r\n\r\nok")
        request.close_connection = True

    return handle


def stall(seconds: float) -> Handler:
    """Accepts the request and says nothing for `seconds` (a read timeout)."""

    def handle(request: FaultRequest) -> None:
        time.sleep(seconds)
        request.send(200, b"late")

    return handle


def truncated(body: bytes, claimed_length: int, headers: Mapping[str, str] | None = None) -> Handler:
    """Announces `claimed_length` bytes, sends `body`, hangs up."""

    def handle(request: FaultRequest) -> None:
        request.send_response(200)
        for name, value in {**(headers or {}), "Content-Length": str(claimed_length)}.items():
            request.send_header(name, value)
        request.end_headers()
        request.wfile.write(body)
        request.wfile.flush()
        request.close_connection = True

    return handle


def gzip_bomb(expanded_bytes: int, headers: Mapping[str, str] | None = None) -> Handler:
    """A small gzip body of zeros that expands to `expanded_bytes` (built once, streamed compressed)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1024 * 1024)
    parts = [compressor.compress(block) for _ in range(expanded_bytes // len(block))]
    parts.append(compressor.compress(b"\0" * (expanded_bytes % len(block))))
    parts.append(compressor.flush())
    payload = b"".join(parts)
    all_headers = {"Content-Type": "text/html", "Content-Encoding": "gzip", **(headers or {})}
    return respond(payload, headers=all_headers)


def gzipped(body: bytes, headers: Mapping[str, str] | None = None) -> Handler:
    return respond(gzip.compress(body), headers={"Content-Encoding": "gzip", **(headers or {})})


def redirect(location: str, status: int = 302) -> Handler:
    return respond(b"", status=status, headers={"Location": location})


def conditional(body: bytes, etag: str, last_modified: str, content_type: str = "application/rss+xml") -> Handler:
    """200 with validators, or 304 when the request's If-None-Match / If-Modified-Since match them."""

    def handle(request: FaultRequest) -> None:
        validators = {"ETag": etag, "Last-Modified": last_modified}
        if request.headers.get("If-None-Match") == etag or request.headers.get("If-Modified-Since") == last_modified:
            request.send(304, b"", {**validators, "Content-Length": "0"})
        else:
            request.send(200, body, {"Content-Type": content_type, **validators})

    return handle


def fast_settings(**overrides) -> FetchSettings:
    """Fetch settings for loopback tests: short timeouts, no politeness delay or jitter, `localhost` allowed."""
    base = {
        "connect_timeout_s": 2,
        "read_timeout_s": 2,
        "total_timeout_s": 5,
        "min_host_interval_s": 0,
        "backoff_base_s": 0.05,
        "jitter": 0,
        "allow_hosts": ("localhost",),
    }
    return FetchSettings(**{**base, **overrides})
