"""Coverage-guided fuzzing (atheris) of the stages that read hostile input; prints executions and findings per target.

    .venv/bin/pip install -e '.[fuzz]'
    .venv/bin/python benchmarks/fuzz.py                        # every target, 600 s each, one after another
    .venv/bin/python benchmarks/fuzz.py --targets urls --seconds 60
    .venv/bin/python benchmarks/fuzz.py --runs 1000000         # an execution budget instead of a time budget

Targets (each a property, not just "does not crash"):
- `feeds`: `parse_feed` on arbitrary bytes (and a fuzzed Content-Type) raises nothing but its documented
  `StageError("parse_error")`, and its counts add up
  (entries = items + item problems + duplicates).
- `urls`: `canonicalize` never raises and is idempotent; `item_id_for` raises only its documented ValueError.
- `charset`: `decode_html`, `normalise_charset`, `charset_from_headers` and `detect_encoding` never raise.
- `extract`: `extract_article` on arbitrary bytes or text raises only `StageError`.
- `analyze`: `analyze_lines` (the `conflictwire analyze` input reader, with the real models) yields one record per
  non-blank line, and every error record names a stage reason, never a Python exception type.

A finding is an input that breaks the property: the harness records it (deduplicated by exception type and the
innermost frame of our code, the input saved under --artifacts) and fuzzing goes on. A hang (libFuzzer -timeout) or
an out-of-memory ends the child process; the driver records it and restarts the target for the time left. Nothing
here passes or fails; docs/hardening.md holds the figures of the last full run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
import logging
import os
import re
import subprocess
import sys
import time
import traceback
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

TARGETS = ("feeds", "urls", "charset", "extract", "analyze")
MAX_LEN = {"feeds": 65536, "urls": 2048, "charset": 16384, "extract": 65536, "analyze": 8192}
FIXTURES = REPO / "tests" / "fixtures"
SEEN_AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


# ---------------------------------------------------------------------------------------------------------------------
# Seeds: small real inputs, so the fuzzer starts from documents that reach deep code


def _seeds(target: str) -> list[bytes]:
    seeds: list[bytes] = []
    if target == "feeds":
        seeds += [path.read_bytes() for path in sorted((FIXTURES / "feeds").glob("*.xml"))]
        seeds.append(
            b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title><language>en</language>'
            b"<item><title>a</title><link>https://example.com/a?utm_source=x&amp;b=1</link><guid>1</guid>"
            b"<pubDate>Mon, 06 Sep 2021 16:45:00 +0000</pubDate><description>&lt;p&gt;x&lt;/p&gt;</description>"
            b"</item><item><title>b</title></item></channel></rss>"
        )
        seeds.append(
            b'<feed xmlns="http://www.w3.org/2005/Atom"><title>t</title><entry><id>tag:x,2020:1</id>'
            b'<link href="/rel"/><updated>2021-01-01T00:00:00Z</updated><content type="html">x</content>'
            b"</entry></feed>"
        )
    elif target == "urls":
        seeds += [
            b"https://Example.COM:443/a/./b/../c?utm_source=x&b=2&a=1#frag",
            b"http://news.google.com/rss/articles/CBMiK2h0dHBzOi8vZXhhbXBsZS5jb20vYXJ0aWNsZS0xMjPSAQA?oc=5",
            b"https://www.google.com/url?q=https%3A%2F%2Fexample.org%2Fx&sa=D",
            b"http://[::1]:8080/%7euser/%e2%82%ac",
            b"https://xn--bcher-kva.example/b\xc3\xbccher",
        ]
    elif target == "charset":
        seeds += [
            b'<meta charset="windows-1252"><p>caf\xe9</p>',
            b'<?xml version="1.0" encoding="iso-8859-7"?><a>\xe1\xe2</a>',
            b"\xff\xfe<\x00p\x00>\x00",
            "<p>Привет мир</p>".encode("cp1251"),
            "<p>日本語のテキスト</p>".encode("shift_jis"),
        ]
    elif target == "extract":
        for path in sorted((FIXTURES / "extract").glob("*.html.gz")):
            seeds.append(gzip.decompress(path.read_bytes())[: MAX_LEN["extract"]])
        seeds.append(b"<html><head><title>T</title></head><body><article><p>" + b"Word " * 60 + b"</p></article>")
    elif target == "analyze":
        seeds += [
            b'{"id": 1, "text": "Gunmen killed 3 people in Kaduna on Monday, police said.", "title": "Attack"}\n',
            b'{"id": "a", "html": "<html><body><p>' + b"Troops clashed with rebels near Goma. " * 5 + b'</p>"}\n',
            b'{"id": 2, "text": "x", "published": "2024-01-01T00:00:00Z", "url": "https://e.com/a"}\n\n[1]\n{bad\n',
        ]
    return seeds


# ---------------------------------------------------------------------------------------------------------------------
# Targets: each takes the fuzzer's bytes and raises on a broken property


def _feeds_target():
    from transforms.base import StageError
    from transforms.feeds import parse_feed

    def run(data: bytes, fdp) -> None:
        headers = {}
        if data[:1] == b"\x01":  # a fuzzed Content-Type now and then
            headers["Content-Type"] = fdp.ConsumeUnicodeNoSurrogates(40)
            data = fdp.ConsumeBytes(len(data))
        try:
            parsed = parse_feed(data, feed_url="https://example.com/feed.xml", headers=headers, seen_at=SEEN_AT)
        except StageError as error:  # documented: a document that crashes feedparser is a parse error
            assert error.reason == "parse_error", error.reason
            return
        assert parsed.entries == len(parsed.items) + len(parsed.item_problems) + parsed.duplicates, "counts differ"

    return run


def _urls_target():
    from transforms.urls import canonicalize, item_id_for

    def run(data: bytes, fdp) -> None:
        url = fdp.ConsumeUnicodeNoSurrogates(len(data))
        once = canonicalize(url)
        twice = canonicalize(once)
        assert once == twice, f"not idempotent: {url!r} -> {once!r} -> {twice!r}"
        try:
            item_id_for(url, url[::-1], "https://example.com/feed")
        except ValueError as exc:
            assert "needs a link or a guid" in str(exc), repr(exc)

    return run


def _charset_target():
    from transforms.http import charset_from_headers, decode_html, detect_encoding, normalise_charset

    def run(data: bytes, fdp) -> None:
        label = fdp.ConsumeUnicodeNoSurrogates(30)
        body = fdp.ConsumeBytes(len(data))
        normalise_charset(label)
        normalise_charset(label.encode("utf-8", "replace"))
        headers = {"Content-Type": f"text/html; charset={label}"}
        charset_from_headers(headers)
        assert isinstance(decode_html(body, headers), str)
        assert isinstance(decode_html(body), str)
        detect_encoding(body)

    return run


def _extract_target():
    from transforms.base import StageError
    from transforms.extract import extract_article

    def run(data: bytes, fdp) -> None:
        html: str | bytes = data
        if data[:1] == b"\x01":
            html = data[1:].decode("utf-8", "replace")
        try:
            extract_article(html, "https://example.com/news/story.html")
        except StageError:
            pass

    return run


def _analyze_target():
    from pipelines.analyze import Analyzer, analyze_lines

    analyzer = Analyzer("auto")
    # Reasons the stages raise on purpose; an error named after a Python exception type is a bug that was caught.
    stage_reasons = {"bad_json", "bad_record", "no_text", "not_html", "parse_error"}

    def run(data: bytes, fdp) -> None:
        text = data.decode("utf-8", "replace")
        lines = text.splitlines(keepends=True)
        results = list(analyze_lines(iter(lines), analyzer))
        expected = sum(1 for line in lines if line.strip())
        assert len(results) == expected, f"{len(results)} records for {expected} lines"
        for result in results:
            error = result.get("error")
            if error is not None:
                assert error["reason"] in stage_reasons, f"unhandled {error['reason']}: {error['detail'][:200]}"
            json.dumps(result, ensure_ascii=False).encode("utf-8")  # what the command writes, every line

    return run


# ---------------------------------------------------------------------------------------------------------------------
# Child: one target under atheris


def _signature(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    ours = [frame for frame in frames if "/transforms/" in frame.filename or "/pipelines/" in frame.filename]
    frame = (ours or frames)[-1]
    inner = frames[-1]
    message = re.sub(r"\d+", "N", str(exc).split(":", 1)[0])[:60] if isinstance(exc, AssertionError) else ""
    where = f"{Path(frame.filename).name}:{frame.lineno}"
    return f"{type(exc).__name__} at {where} (raised in {Path(inner.filename).name}:{inner.lineno}) {message}".strip()


def child(target: str, args: argparse.Namespace) -> None:
    import atheris

    logging.disable(logging.CRITICAL)
    with atheris.instrument_imports(include=["transforms", "pipelines", "feedparser", "trafilatura"]):
        run = {
            "feeds": _feeds_target,
            "urls": _urls_target,
            "charset": _charset_target,
            "extract": _extract_target,
            "analyze": _analyze_target,
        }[target]()
    artifacts = Path(args.artifacts) / target
    artifacts.mkdir(parents=True, exist_ok=True)
    findings_path = artifacts / "findings.jsonl"
    seen = (
        {json.loads(line)["signature"] for line in findings_path.read_text().splitlines()}
        if (findings_path.exists())
        else set()
    )
    counter = {"n": 0}

    def one_input(data: bytes) -> None:
        counter["n"] += 1
        fdp = atheris.FuzzedDataProvider(data)
        try:
            run(data, fdp)
        except Exception as exc:  # noqa: BLE001 - every exception is a finding to record, then fuzzing goes on
            signature = _signature(exc)
            if signature in seen:
                return
            seen.add(signature)
            digest = hashlib.sha1(data).hexdigest()[:12]
            (artifacts / f"finding-{digest}").write_bytes(data)
            with findings_path.open("a") as handle:
                record = {"signature": signature, "input": f"finding-{digest}", "detail": repr(exc)[:400]}
                handle.write(json.dumps(record) + "\n")
            print(f"FINDING {signature}", file=sys.stderr, flush=True)

    corpus = artifacts / "corpus"
    corpus.mkdir(exist_ok=True)
    for seed in _seeds(target):
        (corpus / f"seed-{hashlib.sha1(seed).hexdigest()[:12]}").write_bytes(seed)
    flags = [
        f"-max_len={MAX_LEN[target]}",
        "-timeout=30",
        "-rss_limit_mb=4096",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/",
    ]
    if args.runs:
        flags.append(f"-runs={args.runs}")
    if args.seconds:
        flags.append(f"-max_total_time={int(args.seconds)}")
    atheris.Setup([sys.argv[0], *flags, str(corpus)], one_input)
    atheris.Fuzz()


# ---------------------------------------------------------------------------------------------------------------------
# Driver: the targets one after another, each restarted after a hang or out-of-memory until its budget is spent


def drive(target: str, args: argparse.Namespace) -> dict:
    artifacts = Path(args.artifacts) / target
    findings_path = artifacts / "findings.jsonl"
    if findings_path.exists():
        findings_path.unlink()
    started = time.monotonic()
    executions = 0
    crashes: list[str] = []
    runs_left = args.runs
    while True:
        elapsed = time.monotonic() - started
        seconds_left = (args.seconds - elapsed) if args.seconds else 0
        if args.seconds and seconds_left < 5:
            break
        command = [sys.executable, __file__, "--child", target, "--artifacts", args.artifacts]
        command += ["--seconds", str(int(seconds_left))] if args.seconds else []
        command += ["--runs", str(runs_left)] if runs_left else []
        process = subprocess.run(command, capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(REPO)})
        log = process.stderr
        with open(artifacts.parent / f"{target}.log", "a") as handle:
            handle.write(log)
        done = re.findall(r"stat::number_of_executed_units: (\d+)", log) or re.findall(r"Done (\d+) runs", log)
        ran = int(done[-1]) if done else max([int(n) for n in re.findall(r"^#(\d+)", log, re.M)] or [0])
        executions += ran
        fatal = re.search(r"ERROR: libFuzzer: ([a-z-]+)", log)
        if fatal is None and process.returncode != 0:
            tail = log.strip().splitlines()[-1:] or ["(no output)"]
            crashes.append(f"exit {process.returncode}: {tail[0][:200]}")
            break
        if fatal is None:
            break
        crashes.append(f"libFuzzer {fatal.group(1)}")
        if runs_left:
            runs_left = max(1, runs_left - ran)
    findings = []
    if findings_path.exists():
        findings = [json.loads(line) for line in findings_path.read_text().splitlines()]
    return {
        "target": target,
        "seconds": round(time.monotonic() - started, 1),
        "executions": executions,
        "findings": [f["signature"] for f in findings] + crashes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--targets", nargs="+", default=list(TARGETS), choices=TARGETS)
    parser.add_argument("--seconds", type=float, default=600, help="time budget per target (0: none)")
    parser.add_argument("--runs", type=int, default=0, help="execution budget per target (0: none)")
    parser.add_argument("--artifacts", default="/tmp/conflictwire-fuzz", help="corpus, findings and logs")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args)
        return
    try:
        import atheris  # noqa: F401
    except ImportError:
        print("atheris is not installed: pip install -e '.[fuzz]'")
        return
    if not args.seconds and not args.runs:
        parser.error("give --seconds or --runs")
    print(f"{'target':<9} {'seconds':>8} {'executions':>11} {'exec/s':>8}  findings")
    for target in args.targets:
        row = drive(target, args)
        rate = row["executions"] / row["seconds"] if row["seconds"] else 0
        figures = f"{row['seconds']:>8.0f} {row['executions']:>11,} {rate:>8.0f}"
        print(f"{target:<9} {figures}  {len(row['findings'])}", flush=True)
        for finding in row["findings"]:
            print(f"    - {finding}", flush=True)


if __name__ == "__main__":
    main()
