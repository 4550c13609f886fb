"""A hostile server's tricks against the HTTP layer: dripping headers or body past the total deadline, DNS rebinding.

Everything runs on 127.0.0.1. The rebinding tests resolve made-up public names with a scripted resolver and
intercept the one place the client opens a TCP connection (`transforms.http._dial`): the test records the address the
client asked for and connects it to the loopback server instead, so no public address is ever dialled.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import socket
import ssl
import threading
import time
from pathlib import Path

import pytest

from schemas import FeedItem
from tests.faultserver import FaultServer, drip_headers, fast_settings, redirect, respond, slow_drip
from transforms import http as http_module
from transforms.base import DEAD, StageError
from transforms.feeds import FEED_STATUS, poll_feed
from transforms.fetch import fetch_page
from transforms.http import HttpClient

HTML = {"Content-Type": "text/html; charset=utf-8"}
PUBLIC_A = "93.184.216.34"  # a public address the scripted resolver answers; never really dialled
SEEN_AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
PAGE = b"<html><body><p>" + b"news " * 50 + b"</p></body></html>"


@pytest.fixture
def fault_server():
    with FaultServer() as server:
        yield server


def reason_of(call) -> str:
    with pytest.raises(StageError) as info:
        call()
    return info.value.reason


# ---------------------------------------------------------------------------------------------------------------------
# The total deadline


def test_dripping_headers_end_at_the_total_deadline(fault_server):
    # One header line every 0.3 s: each read is quick (read timeout 2 s), the headers never end.
    url = fault_server.route("/drip", drip_headers(0.3))
    client = HttpClient(fast_settings(read_timeout_s=2, total_timeout_s=1.5))
    started = time.monotonic()
    assert reason_of(lambda: client.get(url)) == "timeout"
    assert time.monotonic() - started < 2.5


def test_headers_dripped_a_byte_at_a_time_end_at_the_deadline_too(fault_server):
    url = fault_server.route("/drip", drip_headers(0.0, chunk_interval_s=0.1))
    client = HttpClient(fast_settings(read_timeout_s=2, total_timeout_s=1.0))
    started = time.monotonic()
    assert reason_of(lambda: client.get(url)) == "timeout"
    assert time.monotonic() - started < 2.0


def test_a_dripping_body_ends_at_the_deadline_not_at_the_next_read(fault_server):
    # A byte every 0.8 s: checking the deadline between reads alone would overrun it by up to a read.
    url = fault_server.route("/body", slow_drip(PAGE, interval_s=0.8, headers=HTML))
    client = HttpClient(fast_settings(read_timeout_s=2, total_timeout_s=1.0))
    started = time.monotonic()
    assert reason_of(lambda: client.get(url)) == "timeout"
    assert time.monotonic() - started < 1.6


def test_the_deadline_covers_every_redirect_hop_together(fault_server):
    # Each hop is 0.6 s of drip, under the deadline alone; three of them are not.
    body = b"x" * 3
    fault_server.route("/slow-ok", slow_drip(body, interval_s=0.3, headers=HTML))
    for n in range(3):
        target = f"/hop{n + 1}" if n < 2 else "/slow-ok"
        fault_server.route(f"/hop{n}", _slow_redirect(fault_server.url(target), 0.6))
    client = HttpClient(fast_settings(read_timeout_s=2, total_timeout_s=1.5))
    started = time.monotonic()
    assert reason_of(lambda: client.get(fault_server.url("/hop0"))) == "timeout"
    assert time.monotonic() - started < 2.3


def test_a_fast_server_is_unaffected_and_connections_are_still_reused(fault_server, dial_log):
    fault_server.route("/ok", respond(PAGE, headers=HTML))
    client = rebinding_client(Rebinder({"news.example": [[PUBLIC_A]]}), total_timeout_s=1.0)
    for _ in range(20):
        assert client.get(fault_server.url("/ok", host="news.example")).body == PAGE
    # the watchdog shut nothing: twenty requests over one kept-alive connection
    assert dial_log == [(PUBLIC_A, fault_server.port)]


def test_a_dripping_feed_is_a_timeout_dead_letter_with_its_status_row(fault_server):
    url = fault_server.route("/feed", drip_headers(0.2))
    client = HttpClient(fast_settings(total_timeout_s=1.0))
    started = time.monotonic()
    outputs = poll_feed(client, url, "run-1")
    assert time.monotonic() - started < 2.0
    statuses = [row for tag, row in outputs if tag == FEED_STATUS]
    dead = [row for tag, row in outputs if tag == DEAD]
    assert [s.status for s in statuses] == ["error"] and statuses[0].error.startswith("timeout")
    assert [(d.stage, d.reason, d.feed_url) for d in dead] == [("feeds", "timeout", url)]


def test_a_dripping_page_is_a_timeout_dead_letter(fault_server):
    url = fault_server.route("/page", drip_headers(0.2))
    item = FeedItem(
        item_id="i1",
        feed_url="http://localhost/feed",
        url=url,
        guid=None,
        title="t",
        summary=None,
        published=None,
        feed_language=None,
        seen_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    tag, row = fetch_page(HttpClient(fast_settings(total_timeout_s=1.0)), item)
    assert (tag, row.stage, row.reason, row.url) == (DEAD, "fetch", "timeout", url)


def test_conflictwire_run_over_dripping_servers_finishes_with_timeout_dead_letters(fault_server, tmp_path):
    from pipelines.run import run_batch
    from transforms.sinks import read_rows

    page = fault_server.route("/page", drip_headers(0.2))
    good = fault_server.route(
        "/good.xml",
        respond(
            f'<rss version="2.0"><channel><title>t</title><item><title>a</title><link>{page}</link></item>'
            "</channel></rss>".encode(),
            headers={"Content-Type": "application/rss+xml"},
        ),
    )
    dripping = fault_server.route("/drip.xml", drip_headers(0.2))
    feeds = tmp_path / "feeds.txt"
    feeds.write_text(f"{good}\n{dripping}\n")
    started = time.monotonic()
    run_batch(
        ["--feeds", str(feeds), "--output", str(tmp_path / "out"), "--allow-host", "localhost"]
        + ["--request-timeout", "1", "--host-interval", "0", "--run-id", "drip"]
    )
    assert time.monotonic() - started < 120
    letters = read_rows(str(tmp_path / "out"), "dead_letters").to_pylist()
    assert sorted((d["stage"], d["reason"], d["url"]) for d in letters) == [
        ("feeds", "timeout", dripping),
        ("fetch", "timeout", page),
    ]
    statuses = read_rows(str(tmp_path / "out"), "feed_status").to_pylist()
    assert sorted((s["feed_url"], s["status"]) for s in statuses) == [(dripping, "error"), (good, "ok")]


def _slow_redirect(location: str, seconds: float):
    def handle(request):
        request.wfile.write(b"HTTP/1.1 302 Found\r\n")
        request.wfile.flush()
        time.sleep(seconds)
        request.wfile.write(f"Location: {location}\r\nContent-Length: 0\r\n\r\n".encode())
        request.wfile.flush()

    return handle


# ---------------------------------------------------------------------------------------------------------------------
# DNS rebinding: the address checked is the address dialled, on every hop


class Rebinder:
    """A resolver whose answer for a name changes: each call pops the next answer (the last one sticks)."""

    def __init__(self, answers: dict[str, list[list[str]]]):
        self.answers = {host: list(seq) for host, seq in answers.items()}
        self.calls: list[str] = []

    def __call__(self, host: str) -> list[str]:
        self.calls.append(host)
        sequence = self.answers[host]
        return sequence.pop(0) if len(sequence) > 1 else sequence[0]


@pytest.fixture
def dial_log(monkeypatch):
    """Intercepts the client's connect call: records (address, port), connects to 127.0.0.1:port instead."""
    dialled: list[tuple[str, int]] = []

    def fake_dial(address, port, timeout, source_address, socket_options):
        dialled.append((address, port))
        assert address not in ("127.0.0.1", "::1", "10.0.0.1"), f"the client dialled the forbidden {address}"
        return socket.create_connection(("127.0.0.1", port), timeout)

    monkeypatch.setattr(http_module, "_dial", fake_dial)
    return dialled


def rebinding_client(resolver, **overrides) -> HttpClient:
    settings = fast_settings(allow_hosts=(), respect_robots=False, **overrides)
    return HttpClient(settings, resolve=resolver)


def test_the_connection_goes_to_the_address_the_guard_checked(fault_server, dial_log):
    fault_server.route("/story", respond(PAGE, headers=HTML))
    # Checked: a public address. Asked again (as a second lookup at connect time would): loopback.
    resolver = Rebinder({"news.example": [[PUBLIC_A], ["127.0.0.1"]]})
    response = rebinding_client(resolver).get(fault_server.url("/story", host="news.example"))
    assert response.body == PAGE
    assert dial_log == [(PUBLIC_A, fault_server.port)]
    assert resolver.calls == ["news.example"]  # one lookup: the connection never resolves again
    assert fault_server.requests[-1][1]["Host"] == f"news.example:{fault_server.port}"


def test_every_redirect_hop_is_pinned_to_its_own_checked_address(fault_server, dial_log):
    fault_server.route("/start", redirect(fault_server.url("/end", host="cdn.example")))
    fault_server.route("/end", respond(PAGE, headers=HTML))
    resolver = Rebinder({"news.example": [[PUBLIC_A], ["127.0.0.1"]], "cdn.example": [[PUBLIC_A], ["10.0.0.1"]]})
    response = rebinding_client(resolver).get(fault_server.url("/start", host="news.example"))
    assert response.body == PAGE and response.url == fault_server.url("/end", host="cdn.example")
    assert dial_log == [(PUBLIC_A, fault_server.port), (PUBLIC_A, fault_server.port)]
    assert resolver.calls == ["news.example", "cdn.example"]


def test_a_hop_whose_first_answer_is_private_is_refused_before_any_dial(fault_server, dial_log):
    fault_server.route("/start", redirect(fault_server.url("/end", host="inside.example")))
    resolver = Rebinder({"news.example": [[PUBLIC_A]], "inside.example": [["10.0.0.1"], [PUBLIC_A]]})
    client = rebinding_client(resolver)
    assert reason_of(lambda: client.get(fault_server.url("/start", host="news.example"))) == "ssrf_refused"
    assert dial_log == [(PUBLIC_A, fault_server.port)]
    assert fault_server.hits["/end"] == 0


def test_robots_txt_and_the_page_each_dial_what_their_own_check_allowed(fault_server, dial_log):
    fault_server.route("/robots.txt", respond(b"User-agent: *\nAllow: /\n"))
    fault_server.route("/story", respond(PAGE, headers=HTML))
    # robots.txt is checked (public) and fetched; the page's own check then sees loopback and refuses it.
    resolver = Rebinder({"news.example": [[PUBLIC_A], ["127.0.0.1"]]})
    client = HttpClient(fast_settings(allow_hosts=()), resolve=resolver)
    assert reason_of(lambda: client.get(fault_server.url("/story", host="news.example"))) == "ssrf_refused"
    assert fault_server.hits["/story"] == 0


def test_a_connection_without_a_checked_address_is_refused(fault_server, dial_log):
    # The pinned connection classes dial nothing they were not given: a request made around the guard fails.
    client = rebinding_client(Rebinder({"news.example": [[PUBLIC_A]]}))
    with pytest.raises(Exception, match="no address checked"):
        client._session.get(fault_server.url("/story", host="news.example"), timeout=2)
    assert dial_log == []


def test_tls_sni_names_the_host_while_the_socket_goes_to_the_pinned_address(monkeypatch):
    hello = _ClientHelloCatcher()
    dialled = []

    def fake_dial(address, port, timeout, source_address, socket_options):
        dialled.append(address)
        return socket.create_connection(("127.0.0.1", hello.port), timeout)

    monkeypatch.setattr(http_module, "_dial", fake_dial)
    client = rebinding_client(Rebinder({"secure.example": [[PUBLIC_A], ["127.0.0.1"]]}))
    reason = reason_of(lambda: client.get("https://secure.example/story"))
    assert reason in ("tls_error", "connection_error")  # the catcher hangs up after the ClientHello
    assert dialled == [PUBLIC_A]
    assert hello.server_names == ["secure.example"]


def test_tls_certificate_is_checked_against_the_host_name_not_the_pinned_address(monkeypatch, tmp_path):
    pytest.importorskip("cryptography")
    ca_file, server_context = _tls_fixture(tmp_path, "secure.example")
    server = _TlsServer(server_context)
    monkeypatch.setattr(
        http_module, "_dial", lambda address, port, *a: socket.create_connection(("127.0.0.1", server.port), 2)
    )
    resolver = Rebinder({"secure.example": [[PUBLIC_A]], "impostor.example": [[PUBLIC_A]]})
    client = rebinding_client(resolver)
    client._session.verify = str(ca_file)  # trust the test CA, and nothing else
    assert client.get("https://secure.example/story").body == b"secret"
    # Same pinned address, same server, another name: the certificate does not match it.
    assert reason_of(lambda: client.get("https://impostor.example/story")) == "tls_error"
    server.stop()


def test_only_the_settings_given_reach_the_client():
    # fast_settings keeps its loopback allowance unless a test drops it, as the rebinding tests do
    assert fast_settings().allow_hosts == ("localhost",)
    assert dataclasses.replace(fast_settings(), allow_hosts=()).allow_hosts == ()


# ---------------------------------------------------------------------------------------------------------------------
# Helpers: a ClientHello reader and a small TLS server


class _ClientHelloCatcher:
    """A TCP server on 127.0.0.1 that reads one TLS ClientHello, records its SNI host names and hangs up."""

    def __init__(self) -> None:
        self.server_names: list[str] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        conn, _ = self._sock.accept()
        with conn:
            conn.settimeout(5)
            data = b""
            while len(data) < 5 or len(data) < 5 + int.from_bytes(data[3:5], "big"):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
            self.server_names = _sni_names(data)


def _sni_names(record: bytes) -> list[str]:
    body = record[5:]  # TLS record header
    assert body[0] == 1, "not a ClientHello"
    pos = 4 + 2 + 32  # handshake header, version, random
    pos += 1 + body[pos]  # session id
    pos += 2 + int.from_bytes(body[pos : pos + 2], "big")  # cipher suites
    pos += 1 + body[pos]  # compression methods
    end = pos + 2 + int.from_bytes(body[pos : pos + 2], "big")
    pos += 2
    names = []
    while pos < end:
        kind, size = int.from_bytes(body[pos : pos + 2], "big"), int.from_bytes(body[pos + 2 : pos + 4], "big")
        if kind == 0:  # server_name
            entry = body[pos + 4 + 2 :]
            names.append(entry[3 : 3 + int.from_bytes(entry[1:3], "big")].decode())
        pos += 4 + size
    return names


def _tls_fixture(tmp_path, host: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "conflictwire test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(2)
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_file = tmp_path / "ca.pem"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    return ca_file, context


class _TlsServer:
    """Answers every TLS connection on 127.0.0.1 with a fixed 200 response."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0))
        self.port = self._sock.getsockname()[1]
        self._context = context
        self._running = True
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while self._running:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(conn,), daemon=True).start()

    def _answer(self, conn: socket.socket) -> None:
        try:
            with self._context.wrap_socket(conn, server_side=True) as tls:
                tls.settimeout(5)
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = tls.recv(4096)
                    if not chunk:
                        return
                    data += chunk
                head = b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 6\r\nConnection: close\r\n\r\n"
                tls.sendall(head + b"secret")
        except (OSError, ssl.SSLError):
            pass

    def stop(self) -> None:
        self._running = False
        self._sock.close()


# ---------------------------------------------------------------------------------------------------------------------
# Regression tests for what fuzzing found (benchmarks/fuzz.py; docs/hardening.md)


@pytest.mark.parametrize("label", ["a\x00b", "rot13", "base64", "punycode", "idna", "utf-7", "x-unknown"])
def test_charset_labels_that_are_no_web_charset_are_unknown_not_errors(label):
    from transforms.http import decode_html, normalise_charset

    assert normalise_charset(label) is None
    assert decode_html(b"<p>caf\xc3\xa9</p>", {"Content-Type": f"text/html; charset={label}"}) == "<p>café</p>"


@pytest.mark.parametrize("label", ["punycode", "rot13", "idna", "utf-7"])
def test_a_feed_declaring_a_codec_that_is_no_charset_is_read_as_undeclared(label):
    from transforms.feeds import parse_feed

    body = b'<rss version="2.0"><channel><item><title>a</title><link>https://news.example.org/a</link></item></channel></rss>'
    parsed = parse_feed(
        body,
        feed_url="https://news.example.org/feed",
        headers={"Content-Type": f"text/xml; charset={label}"},
        seen_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
    )
    assert [item.url for item in parsed.items] == ["https://news.example.org/a"]


FUZZ = Path(__file__).parent / "fixtures" / "fuzz"


@pytest.mark.parametrize("path", sorted(FUZZ.glob("feeds-*")), ids=lambda path: path.name)
def test_feeds_that_crashed_feedparser_are_read_or_a_parse_error(path, fault_server):
    from transforms.feeds import parse_feed

    body = path.read_bytes()
    try:
        parsed = parse_feed(
            body, feed_url="https://example.com/feed.xml", seen_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        )
    except StageError as error:
        assert error.reason == "parse_error" and error.detail.startswith("feedparser failed")
    else:
        assert parsed.entries == len(parsed.items) + len(parsed.item_problems) + parsed.duplicates
    # Polled, the feed gives one status row and, when unreadable, one parse_error dead letter naming the cause.
    url = fault_server.route("/feed", respond(body, headers={"Content-Type": "application/xml"}))
    outputs = poll_feed(HttpClient(fast_settings()), url, "run-1")
    statuses = [row for tag, row in outputs if tag == FEED_STATUS]
    assert len(statuses) == 1
    feed_letters = [row for tag, row in outputs if tag == DEAD and row.item_id is None and row.url == url]
    if statuses[0].status != "ok":
        assert [d.reason for d in feed_letters] == ["parse_error"] and "feedparser failed" in feed_letters[0].detail


BAD_RECORDS = [
    ('{"id": 1, "text": 5}', 1, "'text' must be a string"),
    ('{"id": 2, "html": 7}', 2, "'html' must be a string"),
    ('{"id": 3, "text": "Gunmen killed 3.", "title": ["x"]}', 3, "'title' must be a string"),
    ('{"id": 4, "text": "Gunmen killed 3.", "url": 5}', 4, "'url' must be a string"),
    ('{"id": {"a": 1}, "text": "x"}', None, "'id' must be a string or a number"),
    ('{"id": 6, "text": "\\ud800 lone surrogate"}', 6, "'text' is not valid Unicode"),
    ('{"id": "\\udfff", "text": "x"}', None, "'id' is not valid Unicode"),
]


def test_analyze_names_every_malformed_record_and_writes_every_line(tmp_path):
    from pipelines.analyze import main as analyze_main

    source, output = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    good = '{"id": "ok", "text": "Gunmen killed three villagers in Zamfara state on Monday, police said."}'
    source.write_text("\n".join([line for line, _, _ in BAD_RECORDS] + [good]) + "\n", encoding="utf-8")
    assert analyze_main(["--input", str(source), "--output", str(output)]) == 0  # the batch is not ended
    results = [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines()]
    assert len(results) == len(BAD_RECORDS) + 1
    for result, (_, doc_id, detail) in zip(results, BAD_RECORDS, strict=False):
        assert result["id"] == doc_id
        assert result["error"]["reason"] == "bad_record" and result["error"]["detail"].startswith(detail)
    assert results[-1]["id"] == "ok" and results[-1]["is_conflict"] is True
