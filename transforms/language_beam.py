"""The Beam transform of the language stage (re-exported by transforms/language.py, which stays free of Beam)."""

from __future__ import annotations

from collections.abc import Iterator

import apache_beam as beam

from schemas import Article
from transforms.language import (
    _COUNTED_LANGUAGES,
    BACKENDS,
    DEFAULT_SETTINGS,
    LanguageDetector,
    LanguageSettings,
    article_text,
    normalise_code,
)


class _DetectLanguageFn(beam.DoFn):
    def __init__(self, backend: str, settings: LanguageSettings):
        self._backend = backend
        self._settings = settings
        self._detector: LanguageDetector | None = None
        self._detected = beam.metrics.Metrics.counter("language", "detected")
        self._undetermined = beam.metrics.Metrics.counter("language", "undetermined")
        self._hint_disagreed = beam.metrics.Metrics.counter("language", "declared_language_overruled")
        self._by_language = {
            code: beam.metrics.Metrics.counter("language", f"lang_{code}") for code in sorted(_COUNTED_LANGUAGES)
        }
        self._other = beam.metrics.Metrics.counter("language", "lang_other")

    def setup(self) -> None:
        self._detector = LanguageDetector(self._backend, self._settings)
        self._detector.warm_up()

    def process(self, article: Article) -> Iterator[Article]:  # type: ignore[valid-type]
        assert self._detector is not None
        hint = article.declared_language
        code, confidence = self._detector.detect(article_text(article, self._settings.max_chars), hint=hint)
        if code is None:
            self._undetermined.inc()
        else:
            self._detected.inc()
            self._by_language.get(code, self._other).inc()
            if hint and normalise_code(hint) != code:
                self._hint_disagreed.inc()
        yield article._replace(language=code, language_confidence=confidence if code else None)


class DetectLanguage(beam.PTransform):
    """Sets `language` and `language_confidence` on every Article; an undeterminable one flows on with None.

    The article's `declared_language` (the page's or feed's own claim) only breaks near-ties.
    """

    def __init__(self, backend: str = "auto", settings: LanguageSettings = DEFAULT_SETTINGS):
        super().__init__()
        if backend not in BACKENDS:
            raise ValueError(f"unknown language backend {backend!r}; expected one of {', '.join(BACKENDS)}")
        self._backend = backend
        self._settings = settings

    def expand(self, articles: beam.PCollection) -> beam.PCollection:
        return articles | "DetectLanguage" >> beam.ParDo(_DetectLanguageFn(self._backend, self._settings))
