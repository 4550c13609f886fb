"""The HTTP client against a real fault-injecting server on 127.0.0.1: every fault ends as a precise StageError."""

from __future__ import annotations

import dataclasses
import time
import tracemalloc

import pytest

from tests.faultserver import (
    FaultServer,
    conditional,
    fast_settings,
    gzip_bomb,
    gzipped,
    redirect,
    respond,
    sequence,
    slow_drip,
    stall,
    truncated,
)
from transforms.base import StageError
from transforms.http import HttpClient, check_url, decode_html, parse_ip_literal
from transforms.settings import FetchSettings

FAST = fast_settings(read_timeout_s=1, total_timeout_s=3, max_backoff_s=0.2, max_retry_after_s=1.5)
HTML = {"Content-Type": "text/html; charset=utf-8"}


@pytest.fixture
def fault_server():
    with FaultServer() as server:
        yield server


def client(**overrides) -> HttpClient:
    return HttpClient(dataclasses.replace(FAST, **overrides))


def reason_of(call) -> str:
    with pytest.raises(StageError) as caught:
        call()
    return caught.value.reason


def test_plain_get_returns_body_status_and_headers(fault_server):
    url = fault_server.route("/page", respond(b"<p>hello</p>", headers=HTML))
    response = client().get(url)
    assert (response.status, response.body, response.url) == (200, b"<p>hello</p>", url)
    assert response.headers["content-type"] == "text/html; charset=utf-8"  # case-insensitive
    assert response.bytes_received == len(b"<p>hello</p>")
    assert not response.not_modified


def test_user_agent_is_sent(fault_server):
    url = fault_server.route("/ua", respond(b"x", headers=HTML))
    client().get(url)
    assert fault_server.requests[-1][1]["User-Agent"].startswith("conflictwire/")


def test_slow_drip_stops_at_the_total_timeout(fault_server):
    url = fault_server.route("/drip", slow_drip(b"x" * 200, interval_s=0.1, headers=HTML))
    assert reason_of(lambda: client(total_timeout_s=1).get(url)) == "timeout"


def test_silent_server_hits_the_read_timeout(fault_server):
    url = fault_server.route("/stall", stall(3))
    assert reason_of(lambda: client(read_timeout_s=0.5, retries=0).get(url)) == "timeout"


def test_429_with_retry_after_is_waited_out_then_succeeds(fault_server):
    url = fault_server.route("/busy", sequence(respond(b"", 429, {"Retry-After": "1"}), respond(b"done", headers=HTML)))
    response = client().get(url)
    assert response.body == b"done"
    assert fault_server.hits["/busy"] == 2


def test_503_retry_after_is_capped(fault_server):
    hour_long = respond(b"", 503, {"Retry-After": "3600"})
    url = fault_server.route("/down", sequence(hour_long, respond(b"up", headers=HTML)))
    response = client(max_retry_after_s=0.2).get(url)  # would hang an hour without the cap
    assert response.body == b"up"


def test_500_then_success_is_retried(fault_server):
    url = fault_server.route("/flaky", sequence(respond(b"oops", 500), respond(b"fine", headers=HTML)))
    assert client().get(url).body == b"fine"
    assert fault_server.hits["/flaky"] == 2


def test_persistent_500_gives_http_500_after_the_retries(fault_server):
    url = fault_server.route("/broken", respond(b"oops", 500))
    with pytest.raises(StageError) as caught:
        client(retries=2).get(url)
    assert (caught.value.reason, caught.value.http_status) == ("http_500", 500)
    assert fault_server.hits["/broken"] == 3


def test_404_is_not_retried(fault_server):
    url = fault_server.url("/missing")
    assert reason_of(lambda: client().get(url)) == "http_404"
    assert fault_server.hits["/missing"] == 1


def test_truncated_body_is_refused(fault_server):
    url = fault_server.route("/cut", truncated(b"<html>only part", claimed_length=5000, headers=HTML))
    assert reason_of(lambda: client(retries=0).get(url)) == "truncated"


def test_wrong_content_type_is_refused_for_pages_and_feeds(fault_server):
    url = fault_server.route("/img", respond(b"\x89PNG....", headers={"Content-Type": "image/png"}))
    assert reason_of(lambda: client().get(url)) == "bad_content_type"
    assert reason_of(lambda: client().get(url, kind="feed")) == "bad_content_type"


def test_feed_content_types_accept_the_usual_zoo(fault_server):
    for n, content_type in enumerate(
        ["application/rss+xml", "text/xml; charset=utf-8", "application/atom+xml", "application/rdf+xml", "text/plain"]
    ):
        url = fault_server.route(f"/f{n}", respond(b"<rss/>", headers={"Content-Type": content_type}))
        assert client().get(url, kind="feed").status == 200


def test_oversized_body_is_refused_by_content_length(fault_server):
    url = fault_server.route("/big", respond(b"x" * 5000, headers=HTML))
    assert reason_of(lambda: client(max_page_bytes=1000).get(url)) == "too_large"


def test_oversized_body_without_content_length_is_refused_while_reading(fault_server):
    def chunked_forever(request):
        request.send_response(200)
        request.send_header("Content-Type", "text/html")
        request.send_header("Transfer-Encoding", "chunked")
        request.end_headers()
        for _ in range(100):
            request.wfile.write(b"400\r\n" + b"y" * 1024 + b"\r\n")
        request.wfile.write(b"0\r\n\r\n")

    url = fault_server.route("/stream", chunked_forever)
    assert reason_of(lambda: client(max_page_bytes=10_000).get(url)) == "too_large"


def test_gzip_body_is_decompressed(fault_server):
    url = fault_server.route("/gz", gzipped(b"<p>compressed</p>", headers=HTML))
    response = client().get(url)
    assert response.body == b"<p>compressed</p>"
    assert response.bytes_received < 60


def test_gzip_bomb_is_refused_without_holding_the_expanded_body(fault_server):
    expanded = 200 * 1024 * 1024
    url = fault_server.route("/bomb", gzip_bomb(expanded))
    http = client(max_page_bytes=2 * 1024 * 1024)
    tracemalloc.start()
    try:
        assert reason_of(lambda: http.get(url)) == "decompression_bomb"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024, f"peak {peak} bytes while refusing a {expanded}-byte bomb"


def test_redirect_is_followed_and_recorded(fault_server):
    target = fault_server.route("/final", respond(b"arrived", headers=HTML))
    start = fault_server.route("/start", redirect("/middle", 301))
    fault_server.route("/middle", redirect(target, 302))
    response = client().get(start)
    assert response.body == b"arrived"
    assert response.url == target
    assert response.redirects == [start, fault_server.url("/middle")]


def test_redirect_loop_is_detected(fault_server):
    a = fault_server.route("/a", redirect("/b"))
    fault_server.route("/b", redirect("/a"))
    assert reason_of(lambda: client().get(a)) == "redirect_loop"


def test_too_many_redirects_are_refused(fault_server):
    for n in range(10):
        fault_server.route(f"/hop{n}", redirect(f"/hop{n + 1}"))
    assert reason_of(lambda: client(max_redirects=3).get(fault_server.url("/hop0"))) == "too_many_redirects"


@pytest.mark.parametrize(
    "target",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[::ffff:127.0.0.1]:{port}/secret",
        "http://127.0.0.1:{port}/secret",
        "http://2130706433:{port}/secret",
        "file:///etc/passwd",
    ],
)
def test_redirect_into_a_refused_address_is_refused_before_connecting(fault_server, target):
    fault_server.route("/secret", respond(b"internal", headers=HTML))
    url = fault_server.route("/jump", redirect(target.format(port=fault_server.port)))
    assert reason_of(lambda: client().get(url)) == "ssrf_refused"
    assert fault_server.hits["/secret"] == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://0x7f.1/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://0.0.0.0/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://169.254.169.254/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "http://240.0.0.1/",
        "http://100.64.0.1/",
        "http://[fc00::1]/",
        "http://[64:ff9b::a00:1]/",
        "http://[2002:7f00:1::]/",
        "http://localhost/",
        "ftp://example.org/",
        "gopher://example.org/",
        "javascript:x",
    ],
)
def test_ssrf_guard_refuses_non_public_addresses_however_written(url):
    assert reason_of(lambda: check_url(url, resolve=lambda host: ["127.0.0.1"])) == "ssrf_refused"


def test_ssrf_guard_refuses_a_name_that_resolves_to_a_private_address():
    resolve = {"intranet.example.org": ["93.184.216.34", "10.1.2.3"]}.__getitem__
    assert reason_of(lambda: check_url("https://intranet.example.org/", resolve=resolve)) == "ssrf_refused"


def test_ssrf_guard_lets_public_and_allowed_hosts_through():
    assert check_url("https://news.example.org/a", resolve=lambda host: ["93.184.216.34"]) == "news.example.org"
    assert check_url("http://8.8.8.8/") == "8.8.8.8"
    assert check_url("http://localhost:8080/", allow_hosts=("localhost",)) == "localhost"


def test_ip_literals_in_libc_spellings_are_understood():
    assert str(parse_ip_literal("2130706433")) == "127.0.0.1"
    assert str(parse_ip_literal("0x7f000001")) == "127.0.0.1"
    assert str(parse_ip_literal("0177.0.0.1")) == "127.0.0.1"
    assert str(parse_ip_literal("127.1")) == "127.0.0.1"
    assert parse_ip_literal("news.example.org") is None


def test_robots_disallow_is_honoured_and_robots_fetched_once(fault_server):
    fault_server.route(
        "/robots.txt",
        respond(b"User-agent: conflictwire\nDisallow: /private/\n", headers={"Content-Type": "text/plain"}),
    )
    fault_server.route("/private/a", respond(b"secret", headers=HTML))
    fault_server.route("/public", respond(b"open", headers=HTML))
    http = client()
    assert reason_of(lambda: http.get(fault_server.url("/private/a"))) == "robots_disallowed"
    assert http.get(fault_server.url("/public")).body == b"open"
    assert fault_server.hits["/private/a"] == 0
    assert fault_server.hits["/robots.txt"] == 1


def test_robots_rules_for_other_agents_do_not_apply(fault_server):
    fault_server.route("/robots.txt", respond(b"User-agent: otherbot\nDisallow: /\n"))
    url = fault_server.route("/page", respond(b"open", headers=HTML))
    assert client().get(url).body == b"open"


def test_robots_can_be_switched_off(fault_server):
    fault_server.route("/robots.txt", respond(b"User-agent: *\nDisallow: /\n"))
    url = fault_server.route("/page", respond(b"open", headers=HTML))
    assert reason_of(lambda: client().get(url)) == "robots_disallowed"
    assert client(respect_robots=False).get(url).body == b"open"


def test_robots_server_error_means_disallow_all(fault_server):
    fault_server.route("/robots.txt", respond(b"", 500))
    url = fault_server.route("/page", respond(b"open", headers=HTML))
    assert reason_of(lambda: client(retries=0).get(url)) == "robots_unreachable"


def test_robots_crawl_delay_raises_the_host_interval(fault_server):
    fault_server.route("/robots.txt", respond(b"User-agent: *\nCrawl-delay: 7\n"))
    url = fault_server.route("/page", respond(b"open", headers=HTML))
    http = client(max_crawl_delay_s=5)
    http.get(url)
    assert http.host_interval_s(url) == 5  # capped by max_crawl_delay_s


def test_per_host_minimum_interval_spaces_requests(fault_server):
    url = fault_server.route("/page", respond(b"open", headers=HTML))
    http = client(min_host_interval_s=0.3, respect_robots=False)
    started = time.monotonic()
    for _ in range(3):
        http.get(url)
    assert time.monotonic() - started >= 0.6  # two gaps of 0.3 s; a lower bound, not a speed test


def test_conditional_get_sends_validators_and_reports_not_modified(fault_server):
    etag, modified = '"v1"', "Wed, 21 Oct 2015 07:28:00 GMT"
    url = fault_server.route("/feed", conditional(b"<rss/>", etag, modified))
    http = client()
    first = http.get(url, kind="feed")
    assert (first.status, first.headers["ETag"], first.headers["Last-Modified"]) == (200, etag, modified)
    second = http.get(url, kind="feed", etag=first.headers["ETag"], last_modified=first.headers["Last-Modified"])
    assert (second.status, second.not_modified, second.body) == (304, True, b"")
    assert fault_server.requests[-1][1]["If-None-Match"] == etag


# ---------------------------------------------------------------------------------------------------------------------
# Decoding

GREEK = "Συγκρούσεις στη Γάζα: δεκάδες νεκροί μετά από αεροπορική επιδρομή στον καταυλισμό προσφύγων."
RUSSIAN = "Обстрел Донецка: погибли пять человек, ещё двенадцать ранены, сообщили местные власти в понедельник."
JAPANESE = "スーダンの首都ハルツームで激しい戦闘が続き、市民に多数の死傷者が出ていると国連が発表した。"
FRENCH = "« L’armée a été déployée » – des manifestants ont été blessés lors d’affrontements à Niamey, à l’été."


def page(text: str, meta: str = "") -> str:
    return f"<html><head>{meta}<title>t</title></head><body><p>{text}</p><p>{text}</p></body></html>"


LEGACY_SAMPLES = [
    (GREEK, "iso-8859-7"),
    (RUSSIAN, "koi8-r"),
    (RUSSIAN, "windows-1251"),
    (JAPANESE, "shift_jis"),
    (FRENCH, "windows-1252"),
]


@pytest.mark.parametrize("text, encoding", LEGACY_SAMPLES)
def test_declared_legacy_encodings_decode_correctly(text, encoding):
    body = page(text).encode(encoding)
    assert text in decode_html(body, {"Content-Type": f"text/html; charset={encoding}"})
    meta_body = page(text, f'<meta charset="{encoding}">').encode(encoding)
    assert text in decode_html(meta_body, {"Content-Type": "text/html"})
    equiv = f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}">'
    assert text in decode_html(page(text, equiv).encode(encoding), {})


@pytest.mark.parametrize("text, encoding", [*LEGACY_SAMPLES, (JAPANESE, "utf-8")])
def test_undeclared_legacy_encodings_are_detected(text, encoding):
    assert text in decode_html(page(text).encode(encoding), {"Content-Type": "text/html"})


def test_latin1_label_is_read_as_windows_1252_like_browsers_do():
    assert FRENCH in decode_html(page(FRENCH).encode("windows-1252"), {"Content-Type": "text/html; charset=iso-8859-1"})


def test_a_false_utf8_declaration_does_not_produce_mojibake():
    body = page(FRENCH).encode("windows-1252")
    assert FRENCH in decode_html(body, {"Content-Type": "text/html; charset=utf-8"})


def test_bom_wins_over_declarations():
    body = "\ufeff".encode("utf-16-le") + page(GREEK).encode("utf-16-le")
    assert GREEK in decode_html(body, {"Content-Type": "text/html; charset=iso-8859-1"})


def test_xml_declaration_is_used_for_xhtml():
    body = f'<?xml version="1.0" encoding="koi8-r"?>{page(RUSSIAN)}'.encode("koi8-r")
    assert RUSSIAN in decode_html(body, None)


def test_settings_pickle_unchanged_for_workers():
    import pickle

    settings = dataclasses.replace(FAST, allow_hosts=("localhost", "127.0.0.1"))
    assert pickle.loads(pickle.dumps(settings)) == settings


def test_settings_refuse_nonsense():
    with pytest.raises(ValueError):
        FetchSettings(total_timeout_s=0)
    with pytest.raises(TypeError):
        FetchSettings(allow_hosts="localhost")


def test_only_allowed_hosts_refuses_every_other_host_without_a_dns_lookup():
    looked_up = []

    def resolve(host):
        looked_up.append(host)
        return ["93.184.216.34"]

    with pytest.raises(StageError) as refused:
        check_url("https://www.example.org/story", ("localhost",), resolve, only_allowed=True)
    assert refused.value.reason == "host_not_allowed" and looked_up == []
    assert check_url("http://localhost:8080/feed.xml", ("localhost",), resolve, only_allowed=True) == "localhost"
    assert check_url("https://www.example.org/story", ("localhost",), resolve) == "www.example.org"
