"""The Beam transform of the classify stage (re-exported by transforms/classify.py, which stays free of Beam)."""

from __future__ import annotations

from pathlib import Path

import apache_beam as beam

from schemas import Article
from transforms.classify import (
    RELEVANCE_ENCODER_MODEL,
    RELEVANCE_MODEL,
    SUPPORTED_LANGUAGES,
    ConflictClassifier,
    assess,
    reads_language,
)


class _ClassifyArticleFn(beam.DoFn):
    def __init__(self, model_path: Path, encoder_path: Path | None, languages: tuple[str, ...] | None):
        self._model_path = model_path
        self._encoder_path = encoder_path
        self._languages = languages
        self._classifier: ConflictClassifier | None = None
        self._conflict = beam.metrics.Metrics.counter("classify", "conflict")
        self._not_conflict = beam.metrics.Metrics.counter("classify", "not_conflict")
        self._unsupported = beam.metrics.Metrics.counter("classify", "unsupported_language")
        self._errors = beam.metrics.Metrics.counter("classify", "errors")

    def setup(self) -> None:
        self._classifier = ConflictClassifier.load(self._model_path, self._encoder_path)

    def process(self, article: Article):  # type: ignore[valid-type]
        assert self._classifier is not None
        if not reads_language(article, self._languages):
            self._unsupported.inc()
        try:
            assessed = assess(self._classifier, article, self._languages)
        except Exception:  # noqa: BLE001 - one odd text must not fail the bundle
            # Passed on unscored (is_conflict stays None) rather than dropped: the article row is still worth writing.
            self._errors.inc()
            yield article
            return
        if assessed.is_conflict is not None:
            (self._conflict if assessed.is_conflict else self._not_conflict).inc()
        yield assessed


class ClassifyConflict(beam.PTransform):
    """Sets `is_conflict` and `conflict_score` on every article; nothing is dropped here (filtering is downstream).

    Articles whose detected language is not in `languages` (default: English, what the model was trained on) get
    None for both; articles with no detected language are scored. `languages=None` scores everything.
    """

    def __init__(
        self,
        model_path: Path | str = RELEVANCE_MODEL,
        languages: tuple[str, ...] | None = SUPPORTED_LANGUAGES,
        encoder_path: Path | str | None = RELEVANCE_ENCODER_MODEL,
    ):
        super().__init__()
        self._model_path = Path(model_path)
        self._encoder_path = None if encoder_path is None else Path(encoder_path)
        for path in (self._model_path, self._encoder_path):
            if path is not None and not path.exists():
                raise FileNotFoundError(f"conflict model not found: {path}")
        self._languages = None if languages is None else tuple(lang.lower() for lang in languages)

    def expand(self, articles):
        fn = _ClassifyArticleFn(self._model_path, self._encoder_path, self._languages)
        return articles | "ScoreConflict" >> beam.ParDo(fn)
