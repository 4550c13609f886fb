"""The Beam transform of the extract stage (re-exported by transforms/extract.py, which stays free of Beam)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import apache_beam as beam

from schemas import Article, FetchedPage
from transforms.base import DEAD, StageError, dead_letter
from transforms.extract import DEFAULT_SETTINGS, STAGE, ExtractSettings, extract_article
from transforms.urls import canonicalize

# Content types that are certainly not a page to extract (the fetch stage lets text/plain through).
_NON_HTML_TYPES = ("application/pdf", "image/", "video/", "audio/", "application/json", "application/zip")


class _ExtractDoFn(beam.DoFn):
    def __init__(self, run_id: str | None, settings: ExtractSettings):
        self._run_id = run_id
        self._settings = settings
        self._extracted = beam.metrics.Metrics.counter(STAGE, "articles")
        self._failed = beam.metrics.Metrics.counter(STAGE, "dead_letters")
        self._chars = beam.metrics.Metrics.distribution(STAGE, "text_chars")

    def process(self, page: FetchedPage) -> Iterator[Any]:
        item = page.item
        try:
            content_type = (page.content_type or "").lower()
            if any(content_type.startswith(t) for t in _NON_HTML_TYPES):
                raise StageError("not_html", f"content type {page.content_type}")
            extracted = extract_article(page.html, page.url, self._settings)
        except StageError as err:
            self._failed.inc()
            yield beam.pvalue.TaggedOutput(DEAD, self._dead(page, err.reason, err.detail))
            return
        except Exception as err:  # an unexpected bug on one page becomes a dead letter, not a failed bundle
            self._failed.inc()
            yield beam.pvalue.TaggedOutput(DEAD, self._dead(page, "extract_error", f"{type(err).__name__}: {err}"))
            return
        self._extracted.inc()
        self._chars.update(len(extracted.text))
        yield Article(
            article_id=item.item_id,
            url=page.url,
            canonical_url=self._canonical(extracted.canonical_url, page.url),
            feed_url=item.feed_url,
            guid=item.guid,
            title=extracted.title or item.title,
            text=extracted.text,
            description=extracted.description or item.summary,
            authors=list(extracted.authors),
            sitename=extracted.sitename,
            published=extracted.published or item.published,
            declared_language=extracted.html_language or item.feed_language,
            fetched_at=page.fetched_at,
            http_status=page.http_status,
            run_id=self._run_id,
        )

    def _canonical(self, declared: str | None, fetched_url: str) -> str | None:
        # the page's declared canonical URL wins; a malformed one must not lose the article
        for candidate in (declared, fetched_url):
            if candidate:
                try:
                    return canonicalize(candidate)
                except Exception:
                    continue
        return None

    def _dead(self, page: FetchedPage, reason: str, detail: str) -> Any:
        letter = dead_letter(
            STAGE,
            reason,
            url=page.url,
            feed_url=page.item.feed_url,
            item_id=page.item.item_id,
            http_status=page.http_status,
            detail=detail or None,
        )
        return letter._replace(run_id=self._run_id)


class ExtractArticles(beam.PTransform):
    """FetchedPage -> Article (main output) and DeadLetter (tag `DEAD`) for pages without article text."""

    def __init__(self, run_id: str | None = None, settings: ExtractSettings = DEFAULT_SETTINGS):
        super().__init__()
        if not isinstance(settings, ExtractSettings):
            raise TypeError("settings must be an ExtractSettings")
        self._run_id = run_id
        self._settings = settings

    def expand(self, pages: beam.PCollection) -> beam.pvalue.DoOutputsTuple:
        return pages | "Extract" >> beam.ParDo(_ExtractDoFn(self._run_id, self._settings)).with_outputs(
            DEAD, main="articles"
        )
