"""`conflictwire analyze`: the pipeline's stage code applied per document, JSONL in and out.

Input lines: {"id", "html"} or {"id", "text", "title"?}, optionally "url" and "published" (ISO 8601).
Output lines: {"id", "title", "text", "language", "language_confidence", "published", "is_conflict",
"conflict_score", "events": [...]}, or {"id", "error": {"stage", "reason", "detail"}} for a record
that could not be analysed. One output line per input line, in order; nothing is skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import sys
from collections.abc import Iterator
from typing import IO, Any

from schemas import EVENTS, Article
from transforms.base import StageError, stable_id, utcnow
from transforms.classify import ConflictClassifier, assess
from transforms.events import extract_events
from transforms.extract import extract_article
from transforms.language import LanguageDetector


class Analyzer:
    """Extraction, language, relevance and events for one document at a time; models loaded once."""

    def __init__(self, language_backend: str = "auto"):
        self.language = LanguageDetector(language_backend)
        self.classifier = ConflictClassifier.load()

    def article_from(self, record: dict[str, Any]) -> Article:
        check_record(record)
        doc_id = record.get("id")
        url = record.get("url")
        published = parse_time(record.get("published"))
        if record.get("html") is not None:
            page = extract_article(record["html"], url)
            title, text = page.title, page.text
            published = published or page.published
            hint = page.html_language
        elif record.get("text") is not None:
            title, text, hint = record.get("title"), record["text"], None
            if not str(text).strip():
                raise StageError("no_text", "the record's text is empty", None)
        else:
            raise StageError("bad_record", "a record needs 'html' or 'text'", None)
        article = Article(
            article_id=str(doc_id) if doc_id is not None else stable_id(url or text[:200]),
            url=url or f"urn:conflictwire:analyze:{doc_id}",
            title=title,
            text=text,
            published=published,
            fetched_at=utcnow(),
        )
        language, confidence = self.language.detect(" ".join(filter(None, [title, text])), hint=hint)
        article = article._replace(language=language, language_confidence=confidence)
        return assess(self.classifier, article)

    def analyze(self, record: dict[str, Any]) -> dict[str, Any]:
        article = self.article_from(record)
        events = extract_events(article) if article.is_conflict else []
        return {
            "id": record.get("id"),
            "title": article.title,
            "text": article.text,
            "language": article.language,
            "language_confidence": article.language_confidence,
            "published": article.published.isoformat() if article.published else None,
            "is_conflict": article.is_conflict,
            "conflict_score": article.conflict_score,
            "events": [EVENTS.to_json_row(event) for event in events],
        }


_TEXT_FIELDS = ("html", "text", "title", "url", "published")


def check_record(record: dict[str, Any]) -> None:
    """`StageError("bad_record")` unless the fields read are strings (or absent/null) of valid Unicode, and the id a
    string or a number. (Found by fuzzing: a number as text, or a lone surrogate such as "\\ud800", used to give a
    Python exception's name as the reason, or end the whole batch when the result could not be written.)"""
    doc_id = record.get("id")
    if doc_id is not None and (isinstance(doc_id, bool) or not isinstance(doc_id, (str, int, float))):
        raise StageError("bad_record", f"'id' must be a string or a number, not {type(doc_id).__name__}", None)
    for name in ("id", *_TEXT_FIELDS):
        value = record.get(name)
        if value is None or (name == "id" and not isinstance(value, str)):
            continue
        if not isinstance(value, str):
            raise StageError("bad_record", f"{name!r} must be a string, not {type(value).__name__}", None)
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise StageError(
                "bad_record", f"{name!r} is not valid Unicode: {exc.reason} at {exc.start}", None
            ) from None


def _echo_id(record: dict[str, Any]) -> Any:
    """The record's id for an error line: as given when it is writable, else None."""
    doc_id = record.get("id")
    if isinstance(doc_id, str):
        try:
            doc_id.encode("utf-8")
        except UnicodeEncodeError:
            return None
        return doc_id
    return doc_id if isinstance(doc_id, (int, float)) and not isinstance(doc_id, bool) else None


def parse_time(value: Any) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def analyze_lines(lines: Iterator[str], analyzer: Analyzer) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("a line must hold a JSON object")
        except ValueError as exc:
            yield {"id": None, "line": number, "error": {"stage": "input", "reason": "bad_json", "detail": str(exc)}}
            continue
        try:
            yield analyzer.analyze(record)
        except StageError as exc:
            yield {
                "id": _echo_id(record),
                "line": number,
                "error": {"stage": "analyze", "reason": exc.reason, "detail": exc.detail},
            }
        except Exception as exc:  # noqa: BLE001 - one bad document must not end the batch
            yield {
                "id": _echo_id(record),
                "line": number,
                "error": {"stage": "analyze", "reason": type(exc).__name__, "detail": str(exc)[:500]},
            }


@contextlib.contextmanager
def _open(path: str, mode: str) -> Iterator[IO[str]]:
    if path == "-":
        yield sys.stdin if "r" in mode else sys.stdout
        return
    with open(path, mode, encoding="utf-8") as handle:
        yield handle


def main(argv: list[str]) -> int:
    from pipelines.errors import UsageError

    parser = argparse.ArgumentParser(prog="conflictwire analyze", description=__doc__.split("\n")[0])
    parser.add_argument("--input", required=True, help="JSONL file of documents, or - for stdin")
    parser.add_argument("--output", required=True, help="JSONL file for the results, or - for stdout")
    parser.add_argument("--language-backend", default="auto")
    args = parser.parse_args(argv)
    if args.input != "-":
        try:
            open(args.input, "rb").close()
        except OSError as exc:
            raise UsageError(f"cannot read input {args.input!r}: {exc.strerror or exc}") from exc
    analyzer = Analyzer(args.language_backend)
    try:
        out_ctx = _open(args.output, "w")
        out = out_ctx.__enter__()
    except OSError as exc:
        raise UsageError(f"cannot write output {args.output!r}: {exc.strerror or exc}") from exc
    counts = {"documents": 0, "errors": 0, "conflict": 0, "events": 0}
    try:
        with _open(args.input, "r") as source:
            for result in analyze_lines(iter(source), analyzer):
                counts["documents"] += 1
                counts["errors"] += "error" in result
                counts["conflict"] += bool(result.get("is_conflict"))
                counts["events"] += len(result.get("events") or [])
                out.write(json.dumps(result, ensure_ascii=False) + "\n")
    finally:
        out_ctx.__exit__(None, None, None)
    print(
        f"analyzed {counts['documents']} documents: {counts['conflict']} conflict, "
        f"{counts['events']} events, {counts['errors']} errors",
        file=sys.stderr,
    )
    return 0
