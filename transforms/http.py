"""The one HTTP client every stage uses: SSRF guard, robots.txt, per-host politeness, retries, size caps, decoding.

Every refusal or failure raises `StageError` with a short machine reason (it becomes a dead letter's reason):
`bad_url`, `ssrf_refused`, `host_not_allowed`, `dns_error`, `robots_disallowed`, `robots_unreachable`,
`http_<code>`, `timeout`, `connection_error`, `tls_error`, `too_large`, `decompression_bomb`, `bad_encoding`,
`truncated`, `redirect_loop`, `too_many_redirects`, `bad_redirect`, `bad_content_type`.

Redirects are followed by hand so that every hop passes the SSRF guard, robots.txt and loop detection. Bodies are
read raw and decompressed here, chunk by chunk with a bounded output, so a gzip bomb is refused after at most
`max_*_bytes` of output, never held whole.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import email.utils
import http.cookiejar
import ipaddress
import random
import re
import socket
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

import requests
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict
from urllib3 import connection as urllib3_connection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError

from transforms.base import StageError
from transforms.settings import FetchSettings

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_CHUNK = 64 * 1024
# Decompressed output produced per step: the most a single compressed chunk can make us hold at once.
_INFLATE_STEP = 256 * 1024
_ROBOTS_REFUSED = "robots_unreachable"

Resolver = Callable[[str], list[str]]


@dataclass
class HttpResponse:
    url: str  # final URL, after redirects
    status: int
    headers: CaseInsensitiveDict
    body: bytes
    not_modified: bool = False
    elapsed_s: float = 0.0
    redirects: list[str] = field(default_factory=list)  # every URL redirected from, in order
    bytes_received: int = 0  # bytes on the wire (compressed), all hops and retries included

    @property
    def content_type(self) -> str | None:
        return self.headers.get("Content-Type")


# ---------------------------------------------------------------------------------------------------------------------
# SSRF guard


def _system_resolver(host: str) -> list[str]:
    infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    return sorted({info[4][0] for info in infos})


def parse_ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    """The address a host string denotes when it is an IP literal in any spelling the C resolver accepts.

    Browsers and libc accept `2130706433`, `0x7f000001`, `0177.0.0.1`, `127.1` for 127.0.0.1; ipaddress does not,
    so inet_aton (which does) is asked too.
    """
    host = host.strip("[]")
    with contextlib.suppress(ValueError):
        return ipaddress.ip_address(host.split("%", 1)[0])
    if re.fullmatch(r"[0-9a-fA-FxX.]+", host) and re.match(r"^(0[xX][0-9a-fA-F]*|\d+)", host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def is_public_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address):
        for embedded in (address.ipv4_mapped, address.sixtofour, (address.teredo or (None, None))[1]):
            if embedded is not None and not is_public_address(embedded):
                return False
        if address in ipaddress.ip_network("64:ff9b::/96"):  # NAT64 wraps an IPv4 address too
            return is_public_address(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return not (
        address.is_loopback
        or address.is_private
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
        or not address.is_global
    )


def check_url(
    url: str, allow_hosts: tuple[str, ...] = (), resolve: Resolver = _system_resolver, only_allowed: bool = False
) -> str:
    """Raise `StageError("ssrf_refused")` unless `url` is http(s) to a public address (or an allowed host).

    With `only_allowed`, a host not in `allow_hosts` is refused as `host_not_allowed` before any DNS lookup.

    Returns the lower-cased host. Names are resolved and every address checked, so a public name pointing at
    10.0.0.1 is refused too. `HttpClient` goes further (`guard_url`): it connects to the very addresses checked here.
    """
    return guard_url(url, allow_hosts, resolve, only_allowed)[0]


def guard_url(
    url: str, allow_hosts: tuple[str, ...] = (), resolve: Resolver = _system_resolver, only_allowed: bool = False
) -> tuple[str, tuple[str, ...] | None]:
    """`check_url`, returning (host, the checked addresses to connect to); None for an allowed host (not checked).

    The client pins a connection to these addresses, so a DNS answer that changes between the check and the connect
    (DNS rebinding: a public address first, 127.0.0.1 next) cannot redirect it.
    """
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as exc:
        raise StageError("bad_url", f"{url!r}: {exc}") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise StageError("ssrf_refused", f"scheme {scheme or '(none)'!r} is not http(s): {url}")
    if not host:
        raise StageError("bad_url", f"no host in {url!r}")
    if host in allow_hosts:
        return host, None
    if only_allowed:
        raise StageError("host_not_allowed", f"{host} is not among the allowed hosts")
    literal = parse_ip_literal(host)
    if literal is not None:
        if not is_public_address(literal):
            raise StageError("ssrf_refused", f"{host} is the non-public address {literal}")
        return host, (str(literal),)
    try:
        addresses = resolve(host)
    except (OSError, UnicodeError) as exc:
        raise StageError("dns_error", f"{host}: {exc}") from None
    if not addresses:
        raise StageError("dns_error", f"{host}: no address")
    checked = []
    for text in addresses:
        address = parse_ip_literal(text)
        if address is None or not is_public_address(address):
            raise StageError("ssrf_refused", f"{host} resolves to the non-public address {text}")
        checked.append(str(address))
    return host, tuple(checked)


# ---------------------------------------------------------------------------------------------------------------------
# Pinned connections and the total deadline
#
# Each attempt (one request of one hop) runs under an `_Attempt` held in a thread-local: the addresses the guard
# checked for its host, and its deadline. The connection classes below dial only those addresses (TLS still
# verifies, and sends SNI for, the host name: urllib3 wraps the socket with `server_hostname=host`), and register
# themselves with the attempt, so that the watchdog can shut their socket when the deadline passes, wherever the
# client is blocked: connecting, reading headers one dripped line at a time, or reading the body.


def _dial(address: str, port: int, timeout: float | None, source_address, socket_options) -> socket.socket:  # noqa: ANN001
    """Open a TCP connection to one IP address (no DNS lookup: the address is numeric). Tests intercept this."""
    return urllib3_connection.create_connection(
        (address, port), timeout, source_address=source_address, socket_options=socket_options
    )


class _Attempt:
    def __init__(self, host: str, addresses: tuple[str, ...] | None, deadline: float):
        self.host = host
        self.spellings = _host_spellings(host)
        self.addresses = addresses
        self.deadline = deadline
        self.expired = False
        self._lock = threading.Lock()
        self._connections: list = []

    def register(self, connection) -> None:  # noqa: ANN001
        with self._lock:
            self._connections.append(connection)
            expired = self.expired
        if expired:
            _shut(connection)

    def expire(self) -> None:
        with self._lock:
            self.expired = True
            connections = list(self._connections)
        for connection in connections:
            _shut(connection)


def _host_spellings(host: str) -> frozenset[str]:
    """A host as urlsplit gives it and as requests hands it to urllib3 (IDNA-encoded), for matching the two."""
    host = host.strip("[]").rstrip(".").lower()
    spellings = {host}
    with contextlib.suppress(UnicodeError, ValueError):
        spellings.add(host.encode("idna").decode("ascii"))
    with contextlib.suppress(Exception):  # the idna package raises its own error types
        import idna

        spellings.add(idna.encode(host, uts46=True).decode("ascii"))
    return frozenset(spellings)


def _shut(connection) -> None:  # noqa: ANN001
    sock = getattr(connection, "sock", None)
    if sock is not None:
        with contextlib.suppress(OSError):
            # The plain socket's shutdown, even under TLS: a thread blocked in recv() wakes up at once.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


_CURRENT = threading.local()


class _Watchdog:
    """One thread that calls `_Attempt.expire` on every armed attempt whose deadline has passed."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._armed: dict[int, _Attempt] = {}
        self._thread: threading.Thread | None = None

    def arm(self, attempt: _Attempt) -> None:
        with self._cond:
            self._armed[id(attempt)] = attempt
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="http-deadlines", daemon=True)
                self._thread.start()
            self._cond.notify()

    def disarm(self, attempt: _Attempt) -> None:
        with self._cond:
            self._armed.pop(id(attempt), None)

    def _loop(self) -> None:
        while True:
            with self._cond:
                now = time.monotonic()
                due = [attempt for attempt in self._armed.values() if attempt.deadline <= now]
                for attempt in due:
                    del self._armed[id(attempt)]
                if not due:
                    nearest = min((attempt.deadline for attempt in self._armed.values()), default=now + 5.0)
                    self._cond.wait(max(0.005, nearest - now))
                    continue
            for attempt in due:
                attempt.expire()


_WATCHDOG = _Watchdog()


class _PinnedConnectionMixin:
    """A urllib3 connection that dials the current attempt's checked addresses, and that the watchdog can shut."""

    def _new_conn(self) -> socket.socket:
        attempt: _Attempt | None = getattr(_CURRENT, "attempt", None)
        if attempt is None or _host_spellings(self._dns_host).isdisjoint(attempt.spellings):
            raise NewConnectionError(self, f"no address checked for {self._dns_host}: refusing to resolve it here")
        addresses = attempt.addresses
        if addresses is None:  # an allowed host: not guarded, so resolved by the system as usual
            return super()._new_conn()
        remaining = attempt.deadline - time.monotonic()
        timeout = self.timeout if isinstance(self.timeout, (int, float)) else None
        timeout = max(0.001, min(timeout, remaining) if timeout is not None else remaining)
        error: OSError | None = None
        for address in addresses:
            try:
                sock = _dial(address, self.port, timeout, self.source_address, self.socket_options)
            except TimeoutError as exc:
                raise ConnectTimeoutError(self, f"connection to {self.host} ({address}) timed out") from exc
            except OSError as exc:
                error = exc
                continue
            sys.audit("http.client.connect", self, self.host, self.port)
            return sock
        raise NewConnectionError(self, f"Failed to establish a new connection: {error}")

    def request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        attempt: _Attempt | None = getattr(_CURRENT, "attempt", None)
        if attempt is not None:
            attempt.register(self)  # a reused keep-alive connection too
        return super().request(*args, **kwargs)


class _PinnedHTTPConnection(_PinnedConnectionMixin, urllib3_connection.HTTPConnection):
    pass


class _PinnedHTTPSConnection(_PinnedConnectionMixin, urllib3_connection.HTTPSConnection):
    pass


class _PinnedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _PinnedHTTPConnection


class _PinnedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _PinnedHTTPSConnection


class _PinnedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs) -> None:  # noqa: ANN002, ANN003
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _PinnedHTTPPool, "https": _PinnedHTTPSPool}


# ---------------------------------------------------------------------------------------------------------------------
# Politeness: one gate per host


class _HostGate:
    """At most `slots` requests in flight to a host, and at least `interval_s` between the starts of two."""

    def __init__(self, slots: int, interval_s: float):
        self._slots = threading.BoundedSemaphore(slots)
        self._lock = threading.Lock()
        self._next_start = 0.0
        self.interval_s = interval_s

    @contextlib.contextmanager
    def slot(self) -> Iterator[None]:
        with self._slots:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next_start)
                self._next_start = start + self.interval_s
            if start > now:
                time.sleep(start - now)
            yield

    def push_back(self, seconds: float) -> None:
        """Hold the host's next request back by `seconds` (a 429/503 Retry-After applies to everyone)."""
        with self._lock:
            self._next_start = max(self._next_start, time.monotonic() + seconds)


# ---------------------------------------------------------------------------------------------------------------------
# Bodies: bounded reading and bounded decompression


class _Inflater:
    """Decompresses a Content-Encoding (gzip, deflate) while refusing output past `limit` bytes."""

    def __init__(self, encoding: str, limit: int):
        self._limit = limit
        self._size = 0
        self._encoding = encoding
        # 32+15 reads gzip or zlib headers; "deflate" in the wild is sometimes raw deflate, handled on first error.
        self._decoder = zlib.decompressobj(47 if encoding in ("gzip", "x-gzip") else 15)
        self._started = False
        self._parts: list[bytes] = []

    def feed(self, data: bytes) -> None:
        if not self._started and self._encoding == "deflate":
            self._started = True
            try:
                probe = zlib.decompressobj(15)
                probe.decompress(data[:64], 1)
            except zlib.error:
                self._decoder = zlib.decompressobj(-15)
        while data:
            try:
                out = self._decoder.decompress(data, _INFLATE_STEP)
            except zlib.error as exc:
                raise StageError("bad_encoding", f"{self._encoding} stream: {exc}") from None
            self._add(out)
            data = self._decoder.unconsumed_tail
            if self._decoder.eof:
                break

    def _add(self, out: bytes) -> None:
        self._size += len(out)
        if self._size > self._limit:
            raise StageError("decompression_bomb", f"{self._encoding} body expands past {self._limit} bytes")
        self._parts.append(out)

    def finish(self) -> bytes:
        with contextlib.suppress(zlib.error):
            self._add(self._decoder.flush())
        return b"".join(self._parts)


def _read_body(raw, headers: Mapping[str, str], limit: int, deadline: float) -> tuple[bytes, int]:
    """(decoded body, bytes on the wire) of a streamed urllib3 response, within the size cap and the deadline."""
    declared = headers.get("Content-Length")
    expected: int | None = None
    if declared and declared.strip().isdigit():
        expected = int(declared.strip())
        if expected > limit:
            raise StageError("too_large", f"Content-Length {expected} exceeds {limit} bytes")
    encoding = (headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip", "deflate", ""):
        raise StageError("bad_encoding", f"unsupported Content-Encoding {encoding!r}")
    inflater = _Inflater(encoding, limit) if encoding not in ("identity", "") else None
    parts: list[bytes] = []
    received = 0
    while True:
        if time.monotonic() > deadline:
            raise StageError("timeout", f"body not complete after {received} bytes (total timeout)")
        try:
            # read1 returns after one socket read, so a server dripping bytes cannot hold us past the deadline.
            chunk = raw.read1(_CHUNK, decode_content=False)
        except Exception as exc:  # urllib3 wraps socket errors in several types
            if _is_timeout(exc):
                raise StageError("timeout", f"read timed out after {received} bytes") from None
            raise StageError("truncated", f"body cut after {received} bytes: {type(exc).__name__}") from None
        if not chunk:
            break
        received += len(chunk)
        if received > limit:
            raise StageError("too_large", f"body exceeds {limit} bytes")
        if inflater is not None:
            inflater.feed(chunk)
        else:
            parts.append(chunk)
    if expected is not None and received < expected:
        raise StageError("truncated", f"got {received} of {expected} bytes")
    return (inflater.finish() if inflater is not None else b"".join(parts)), received


def _is_timeout(exc: BaseException) -> bool:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, (socket.timeout, TimeoutError, requests.Timeout)) or "timed out" in str(exc).lower():
            return True
        exc = (
            exc.__cause__
            or exc.__context__
            or (exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else None)
        )
    return False


def _retry_after_s(value: str | None) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    with contextlib.suppress(TypeError, ValueError, IndexError):
        when = email.utils.parsedate_to_datetime(value)
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
        return max(0.0, (when - dt.datetime.now(dt.UTC)).total_seconds())
    return None


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


# ---------------------------------------------------------------------------------------------------------------------
# The client


@dataclass
class _Budget:
    left_s: float


class _NoCookies(http.cookiejar.DefaultCookiePolicy):
    # Cookies would make the shared session stateful (and leak one site's session into a redirect chain).
    def set_ok(self, cookie, request):  # noqa: ANN001
        return False


class HttpClient:
    """A pooled, polite, SSRF-safe HTTP GET for feeds, pages and robots.txt; safe to share between a few threads."""

    def __init__(self, settings: FetchSettings, *, resolve: Resolver = _system_resolver):
        self.settings = settings
        self._resolve = resolve
        self._session = requests.Session()
        self._session.cookies.set_policy(_NoCookies())
        self._session.trust_env = False  # no proxies or .netrc from the worker's environment
        pool = max(settings.worker_threads, settings.max_connections_per_host) * 2
        adapter = _PinnedAdapter(pool_connections=pool, pool_maxsize=pool, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)
        self._session.headers.update(
            {
                "User-Agent": settings.user_agent,
                "Accept-Encoding": "gzip, deflate",
            }
        )
        self._gates: dict[str, _HostGate] = {}
        self._robots: dict[str, tuple[float, RobotFileParser | str | None]] = {}
        self._lock = threading.Lock()
        self._robots_locks: dict[str, threading.Lock] = {}
        self._random = random.Random()

    def close(self) -> None:
        self._session.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- public ---------------------------------------------------------------------------------------------------

    def get(
        self,
        url: str,
        *,
        kind: str = "page",
        etag: str | None = None,
        last_modified: str | None = None,
    ) -> HttpResponse:
        """GET `url` as a `kind` ("feed", "page" or "robots"); raises `StageError` on any refusal or failure."""
        started = time.monotonic()
        headers = {"Accept": _ACCEPT.get(kind, "*/*")}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        redirects: list[str] = []
        visited = {url}
        received = 0
        current = url
        # Seconds of network time this GET may still spend, every hop, retry, header and body byte included (the
        # waits the client imposes on itself, politeness and backoff, are not charged).
        budget = _Budget(self.settings.total_timeout_s)
        while True:
            host, addresses = guard_url(
                current, self.settings.allow_hosts, self._resolve, self.settings.only_allowed_hosts
            )
            if kind != "robots" and self.settings.respect_robots:
                self._check_robots(current)
            status, response_headers, body, hop_bytes = self._get_with_retries(
                current, kind, headers, host, addresses, budget
            )
            received += hop_bytes
            if status in REDIRECT_STATUSES:
                location = response_headers.get("Location")
                if not location:
                    raise StageError("bad_redirect", f"{status} without Location from {current}", status)
                target = urljoin(current, location.strip())
                redirects.append(current)
                if target in visited:
                    raise StageError("redirect_loop", f"{target} visited twice via {redirects}", status)
                if len(redirects) > self.settings.max_redirects:
                    raise StageError("too_many_redirects", f"more than {self.settings.max_redirects} hops", status)
                visited.add(target)
                current = target
                continue
            break
        if kind != "robots" and not (200 <= status < 300 or status == 304):
            raise StageError(
                f"http_{status}", f"{current} answered {status} after {self.settings.retries} retries", status
            )
        return HttpResponse(
            url=current,
            status=status,
            headers=response_headers,
            body=body,
            not_modified=status == 304,
            elapsed_s=time.monotonic() - started,
            redirects=redirects,
            bytes_received=received,
        )

    def host_interval_s(self, url: str) -> float:
        """Current minimum interval between requests to `url`'s host (robots.txt Crawl-delay included)."""
        return self._gate(url).interval_s

    # -- internals ------------------------------------------------------------------------------------------------

    def _gate(self, url: str) -> _HostGate:
        key = _origin(url)
        with self._lock:
            gate = self._gates.get(key)
            if gate is None:
                gate = _HostGate(self.settings.max_connections_per_host, self.settings.min_host_interval_s)
                self._gates[key] = gate
            return gate

    def _get_with_retries(
        self,
        url: str,
        kind: str,
        headers: dict[str, str],
        host: str,
        addresses: tuple[str, ...] | None,
        budget: _Budget,
    ) -> tuple[int, CaseInsensitiveDict, bytes, int]:
        settings = self.settings
        received = 0
        for attempt in range(settings.retries + 1):
            last = attempt == settings.retries
            try:
                status, response_headers, body, hop_bytes = self._request_once(
                    url, kind, headers, host, addresses, budget
                )
            except StageError as error:
                if error.reason != "connection_error" or last:
                    raise
                time.sleep(self._backoff_s(attempt, None))
                continue
            received += hop_bytes
            if status in settings.retry_statuses and not last:
                wait = self._backoff_s(attempt, _retry_after_s(response_headers.get("Retry-After")))
                self._gate(url).push_back(wait)  # the next slot() waits it out, for every thread on this host
                continue
            return status, response_headers, body, received
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt

    def _backoff_s(self, attempt: int, retry_after: float | None) -> float:
        settings = self.settings
        if retry_after is not None:
            base = min(retry_after, settings.max_retry_after_s)
        else:
            base = min(settings.backoff_base_s * 2**attempt, settings.max_backoff_s)
        return base * (1 + self._random.uniform(0, settings.jitter))

    def _request_once(
        self,
        url: str,
        kind: str,
        headers: dict[str, str],
        host: str,
        addresses: tuple[str, ...] | None,
        budget: _Budget,
    ) -> tuple[int, CaseInsensitiveDict, bytes, int]:
        with self._gate(url).slot():
            if budget.left_s <= 0:
                raise StageError("timeout", f"{url}: the total timeout of {self.settings.total_timeout_s}s is spent")
            started = time.monotonic()
            attempt = _Attempt(host, addresses, started + budget.left_s)
            _CURRENT.attempt = attempt
            _WATCHDOG.arm(attempt)
            try:
                return self._exchange(url, kind, headers, attempt)
            except StageError as error:
                if attempt.expired and error.reason != "timeout":
                    raise StageError(
                        "timeout", f"{url}: not complete within the total timeout ({error.reason})"
                    ) from None
                raise
            finally:
                _WATCHDOG.disarm(attempt)
                _CURRENT.attempt = None
                budget.left_s -= time.monotonic() - started

    def _exchange(
        self, url: str, kind: str, headers: dict[str, str], attempt: _Attempt
    ) -> tuple[int, CaseInsensitiveDict, bytes, int]:
        settings = self.settings
        deadline = attempt.deadline
        try:
            response = self._session.get(
                url,
                headers=headers,
                stream=True,
                allow_redirects=False,
                timeout=(settings.connect_timeout_s, settings.read_timeout_s),
            )
        except requests.exceptions.SSLError as exc:
            raise StageError("tls_error", str(exc)) from None
        except (requests.exceptions.ConnectTimeout, requests.exceptions.ReadTimeout) as exc:
            raise StageError("timeout", str(exc)) from None
        except requests.exceptions.InvalidURL as exc:
            raise StageError("bad_url", str(exc)) from None
        except requests.exceptions.RequestException as exc:
            if _is_timeout(exc):
                raise StageError("timeout", str(exc)) from None
            raise StageError("connection_error", str(exc)) from None
        with contextlib.closing(response):
            if attempt.expired:  # headers cut short by the watchdog can look complete
                raise StageError("timeout", f"{url}: headers not complete within the total timeout")
            status = response.status_code
            response_headers = response.headers
            wants_body = 200 <= status < 300 or kind == "robots"
            if not wants_body:
                # Error pages, redirects and 304s are not read: closing drops the connection, which is
                # cheaper than downloading an arbitrary error page.
                if status in REDIRECT_STATUSES or status == 304 or status in settings.retry_statuses:
                    return status, response_headers, b"", 0
                raise StageError(f"http_{status}", f"{url} answered {status} {response.reason}", status)
            if kind != "robots":
                self._check_content_type(response_headers.get("Content-Type"), kind, status)
            body, received = _read_body(response.raw, response_headers, settings.max_bytes(kind), deadline)
            if attempt.expired:
                raise StageError("timeout", f"{url}: body not complete within the total timeout")
            return status, response_headers, body, received

    def _check_content_type(self, content_type: str | None, kind: str, status: int) -> None:
        accepted = self.settings.content_types(kind)
        if accepted is None:
            return
        media_type = _media_type(content_type)
        if not media_type:
            if self.settings.allow_missing_content_type:
                return
            raise StageError("bad_content_type", "no Content-Type", status)
        if not any(token in media_type for token in accepted):
            raise StageError("bad_content_type", f"{media_type} is not a {kind}", status)

    # -- robots.txt -----------------------------------------------------------------------------------------------

    def _check_robots(self, url: str) -> None:
        rules = self._robots_for(url)
        if rules == _ROBOTS_REFUSED:
            raise StageError("robots_unreachable", f"robots.txt of {_origin(url)} unreachable: treated as disallow")
        if isinstance(rules, RobotFileParser) and not rules.can_fetch(self.settings.user_agent, url):
            raise StageError("robots_disallowed", f"robots.txt of {_origin(url)} disallows {url}")

    def _robots_for(self, url: str) -> RobotFileParser | str | None:
        origin = _origin(url)
        with self._lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:  # one fetch per host even when several threads ask at once
            cached = self._robots.get(origin)
            if cached is not None and cached[0] > time.monotonic():
                return cached[1]
            rules = self._fetch_robots(origin)
            self._robots[origin] = (time.monotonic() + self.settings.robots_cache_s, rules)
            if isinstance(rules, RobotFileParser):
                delay = rules.crawl_delay(self.settings.user_agent)
                if delay:
                    gate = self._gate(url)
                    gate.interval_s = max(
                        self.settings.min_host_interval_s, min(float(delay), self.settings.max_crawl_delay_s)
                    )
            return rules

    def _fetch_robots(self, origin: str) -> RobotFileParser | str | None:
        """RFC 9309: rules on 2xx, none (allow all) on 4xx, "disallow all" when 5xx or unreachable."""
        try:
            response = self.get(origin + "/robots.txt", kind="robots")
        except StageError as error:
            if error.reason == "ssrf_refused":
                raise  # a robots.txt redirect into a private address says nothing about the site's rules
            if error.http_status is not None and 400 <= error.http_status < 500:
                return None
            return _ROBOTS_REFUSED
        if response.status >= 500 or response.status == 429:
            return _ROBOTS_REFUSED
        if not 200 <= response.status < 300:
            return None
        parser = RobotFileParser()
        parser.parse(response.body.decode("utf-8", errors="replace").splitlines())
        return parser


_ACCEPT = {
    "feed": "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.5",
    "page": "text/html, application/xhtml+xml;q=0.9, text/plain;q=0.5, */*;q=0.1",
    "robots": "text/plain, */*;q=0.5",
}


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


# ---------------------------------------------------------------------------------------------------------------------
# Decoding


_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9_.:-]+)["']""", re.IGNORECASE)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
# WHATWG: labels browsers read as a superset, because that is what servers that send them really mean.
_SUPERSETS = {
    "ascii": "cp1252",
    "latin_1": "cp1252",
    "iso8859_9": "cp1254",
    "iso8859_11": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
}


# Python text codecs that are no web charset: a page declaring one gets detection instead (WHATWG has no such labels;
# UTF-7 is refused by browsers for the script-injection it allows).
_NOT_CHARSETS = frozenset({"idna", "punycode", "unicode_escape", "raw_unicode_escape", "utf_7", "mbcs", "oem"})


def normalise_charset(label: str | bytes | None) -> str | None:
    """A Python codec name for a charset label, superset-mapped as browsers do; None when unknown."""
    if not label:
        return None
    if isinstance(label, bytes):
        label = label.decode("ascii", errors="ignore")
    label = label.strip().strip("\"'").lower()
    if label in ("x-user-defined", "replacement"):
        return None
    try:
        info = codecs.lookup(label)
    except (LookupError, ValueError):  # ValueError: a label with a NUL in it (found by fuzzing)
        return None
    name = info.name.replace("-", "_")
    if not getattr(info, "_is_text_encoding", True) or name in _NOT_CHARSETS:
        return None  # rot13, base64, punycode...: Python codecs, not charsets a page can declare
    name = {"iso8859_1": "latin_1", "us_ascii": "ascii"}.get(name, name)
    return _SUPERSETS.get(name, name)


def charset_from_headers(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    content_type = CaseInsensitiveDict(headers).get("Content-Type") or ""
    match = re.search(r"charset\s*=\s*[\"']?\s*([^\"';\s]+)", content_type, re.IGNORECASE)
    return match.group(1) if match else None


def _bom_encoding(body: bytes) -> str | None:
    for bom, name in _BOMS:
        if body.startswith(bom):
            return name
    return None


def _try_decode(body: bytes, encoding: str | None) -> str | None:
    if not encoding:
        return None
    try:
        return body.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return None


def detect_encoding(body: bytes) -> str | None:
    """A guess at the encoding of undeclared bytes: UTF-8 when they are valid UTF-8, else charset-normalizer's."""
    try:
        body.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    results = from_bytes(body[:200_000])
    best = results.best()
    if best is None:
        return None
    # Sibling code pages often tie (cp1250/cp1252/cp1257 on French text); the one the web uses most wins a tie.
    ties = [
        match for match in results if abs(match.chaos - best.chaos) < 0.01 and match.coherence >= best.coherence - 0.02
    ]
    ranked = sorted(ties, key=lambda match: _prevalence_rank(normalise_charset(match.encoding)))
    return normalise_charset(ranked[0].encoding) if ranked else normalise_charset(best.encoding)


# Legacy encodings by how common they are on news sites (W3Techs-style usage order), for breaking detector ties.
_WEB_PREVALENCE = (
    "utf_8",
    "cp1252",
    "cp1251",
    "shift_jis",
    "euc_jp",
    "gb18030",
    "big5",
    "cp949",
    "cp1250",
    "cp1256",
    "iso8859_7",
    "cp1253",
    "cp1254",
    "koi8_r",
    "cp1255",
    "cp874",
    "iso8859_2",
    "iso8859_15",
)


def _prevalence_rank(encoding: str | None) -> int:
    return _WEB_PREVALENCE.index(encoding) if encoding in _WEB_PREVALENCE else len(_WEB_PREVALENCE)


def decode_html(body: bytes, headers: Mapping[str, str] | None = None) -> str:
    """Unicode text of an HTML (or plain text) page, whatever its encoding and however (or whether) it is declared.

    Order: byte-order mark, HTTP charset, `<meta charset>`/http-equiv, XML declaration, then detection. A declared
    multi-byte charset that the bytes violate is not trusted (servers often say utf-8 about windows-1252 pages).
    """
    bom = _bom_encoding(body)
    if bom:
        return body.decode(bom, errors="replace")
    head = body[:4096]
    meta = _META_CHARSET.search(head)
    xml = _XML_ENCODING.search(head)
    for label in (charset_from_headers(headers), meta and meta.group(1), xml and xml.group(1)):
        encoding = normalise_charset(label)
        if encoding in ("utf_16", "utf_16_le", "utf_16_be", "utf_32"):
            encoding = "utf-8"  # an ASCII-readable declaration cannot be UTF-16 without a BOM (WHATWG rule)
        text = _try_decode(body, encoding)
        if text is not None:
            return text
    encoding = detect_encoding(body) or "utf-8"
    return body.decode(encoding, errors="replace")
