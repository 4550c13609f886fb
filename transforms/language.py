"""Language stage: which language an article is written in, and how sure we are.

Three backends are supported, each behind the same `detect(text, hint) -> (code, confidence)`:

- ``"langdetect"``: the design card's choice, made deterministic (its own factory, seed 0). It has no profiles for
  Azerbaijani, Armenian, Georgian, Kazakh, Belarusian, Pashto, ... and calls them Turkish, Estonian, Russian, Persian.
- ``"cld2"``: Google's Compact Language Detector 2 (pycld2, C++, model compiled in). Fast; abstains on short text
  and does not know Kurmanji.
- ``"langid"``: py3langid (naive Bayes over byte n-grams, 139 languages, model inside the wheel).
- ``"auto"`` (default): cld2 first, because it is the cheapest; when cld2 is not sure, does not know the language,
  or disagrees with the page's declared language, py3langid decides, using the declared language only to break
  a near-tie. ``docs/language.md`` has the measurements behind this choice.

Every backend returns an ISO 639-1 code (639-3 where there is none), normalised across backends
(``iw``->``he``, ``zh-Hant``->``zh``, ``nb``->``no``, ...), and ``(None, 0.0)`` when the text is too short or
no backend is confident enough. Models load lazily, once per process.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from schemas import Article
from transforms.base import lazy_exports

BACKENDS = ("auto", "cld2", "langid", "langdetect")


@dataclass(frozen=True)
class LanguageSettings:
    """Tunables of the language stage, with the defaults the benchmark was run with.

    The thresholds were chosen on the ``dev`` split of ``tests/fixtures/language`` only (see docs/language.md).
    """

    # Only the start of an article is looked at: language is settled long before 2,000 characters, and cost
    # grows with length (py3langid and langdetect are linear in the text).
    max_chars: int = 2000
    # Fewer letters than this (after URLs are removed) is too little to tell; the article gets language None.
    min_letters: int = 12
    # A detector's answer below this confidence is no answer.
    min_confidence: float = 0.3
    # cld2's answer is taken as final only when cld2 calls it reliable and it covers this share of the text.
    cld2_min_percent: int = 70
    # cld2 answers that py3langid re-checks: the smaller sibling of a close pair, which cld2 calls with high
    # confidence on the bigger one's text (Dutch as Afrikaans, Bokmål as Nynorsk, Croatian as Bosnian).
    cld2_second_opinion: frozenset[str] = frozenset({"af", "nn", "bs"})
    # The declared language wins when py3langid gives it at least this fraction of the top language's probability.
    hint_ratio: float = 0.5


DEFAULT_SETTINGS = LanguageSettings()

# Backends' own spellings -> the code we store. cld2 keeps pre-1989 codes for Hebrew, Indonesian, Yiddish, Javanese;
# Chinese scripts and Norwegian Bokmål collapse to the language.
_CODE_ALIASES = {
    "iw": "he",
    "in": "id",
    "ji": "yi",
    "jw": "jv",
    "mo": "ro",
    "zh-cn": "zh",
    "zh-tw": "zh",
    "zh-hans": "zh",
    "zh-hant": "zh",
    "nb": "no",
    "fil": "tl",
    "sh": "sr",
}
# Codes that mean "no language" rather than a language.
_NO_LANGUAGE = frozenset({"un", "xx", "und", "zxx", "xxx", ""})

_URL = re.compile(r"(?:https?://|www\.)\S+|[\w.+-]+@[\w-]+\.[\w.-]+", re.IGNORECASE)
# pycld2 rejects C0/C1 control characters and lone surrogates ("invalid UTF-8"); none of them carry language.
_CLD2_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LETTER_RUN = re.compile(r"[^\W\d_]+")


def normalise_code(code: str | None) -> str | None:
    """A backend's or a page's language code as we store it: ``iw``->``he``, ``en-US``->``en``, ``zh-Hant``->``zh``.

    Returns None for codes that mean "unknown" (``un``, ``und``, ``zxx``, ...).
    """
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    if code in _CODE_ALIASES:
        return _CODE_ALIASES[code]
    base = code.split("-", 1)[0]
    if base in _NO_LANGUAGE:
        return None
    return _CODE_ALIASES.get(base, base)


def prepare_text(text: str, max_chars: int = DEFAULT_SETTINGS.max_chars) -> str:
    """The part of `text` worth showing a detector: its start, cut at a space, without URLs or control characters."""
    if len(text) > max_chars:
        cut = text.rfind(" ", max_chars // 2, max_chars)
        text = text[: cut if cut > 0 else max_chars]
    if "://" in text or "www." in text or "@" in text:  # the search is most of this function's cost; skip it
        text = _URL.sub(" ", text)
    return _CLD2_UNSAFE.sub(" ", text).strip()


def has_letters(text: str, at_least: int) -> bool:
    """Whether `text` holds `at_least` letters; stops counting as soon as it does (most texts: at once)."""
    count = 0
    for run in _LETTER_RUN.finditer(text):
        count += run.end() - run.start()
        if count >= at_least:
            return True
    return False


# --- backends: each returns candidates as (code, score in 0-1), best first, already normalised -------------------

Candidates = list[tuple[str, float]]


@functools.cache
def _langdetect_factory():
    from langdetect.detector_factory import PROFILES_DIRECTORY, DetectorFactory

    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    # langdetect samples n-grams at random; a fixed seed makes the same text give the same answer on every run.
    factory.set_seed(0)
    return factory


def _langdetect_candidates(text: str) -> Candidates:
    from langdetect.lang_detect_exception import LangDetectException

    detector = _langdetect_factory().create()
    detector.append(text)
    try:
        ranked = detector.get_probabilities()
    except LangDetectException:  # no usable features (digits, symbols only)
        return []
    return _merge((normalise_code(lang.lang), lang.prob) for lang in ranked)


@functools.cache
def _langid_identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def _langid_candidates(text: str, top: int = 3) -> Candidates:
    ranked = _langid_identifier().rank(text)[:top]
    return _merge((normalise_code(code), float(prob)) for code, prob in ranked)


def _cld2_detect(text: str) -> tuple[Candidates, bool]:
    """cld2's languages with the share of the text (0-1) each covers, and whether cld2 calls the result reliable."""
    import pycld2

    try:
        reliable, _, details = pycld2.detect(text)
    except (pycld2.error, ValueError):  # text that slipped past prepare_text; cld2 just cannot judge it
        return [], False
    return _merge((normalise_code(code), percent / 100.0) for _, code, percent, _ in details), reliable


def _merge(pairs: Iterator[tuple[str | None, float]] | Sequence[tuple[str | None, float]]) -> Candidates:
    """Drop unknowns and add up scores of codes that normalise to the same language (zh-Hans + zh-Hant)."""
    merged: dict[str, float] = {}
    for code, score in pairs:
        if code is not None and score > 0:
            merged[code] = merged.get(code, 0.0) + score
    return sorted(merged.items(), key=lambda item: item[1], reverse=True)


class LanguageDetector:
    """Detects the language of a text with the chosen backend. Cheap to create; models are shared per process."""

    def __init__(self, backend: str = "auto", settings: LanguageSettings = DEFAULT_SETTINGS):
        if backend not in BACKENDS:
            raise ValueError(f"unknown language backend {backend!r}; expected one of {', '.join(BACKENDS)}")
        self.backend = backend
        self.settings = settings

    def warm_up(self) -> None:
        """Load the backend's models now (a Beam worker's setup), not on the first article."""
        if self.backend == "langdetect":
            _langdetect_factory()
        if self.backend in ("auto", "langid"):
            _langid_identifier()
        if self.backend in ("auto", "cld2"):
            import pycld2  # noqa: F401  (the model is compiled into the extension; importing loads it)

    def detect(self, text: str, hint: str | None = None) -> tuple[str | None, float]:
        """(ISO 639 code, confidence 0-1) of `text`, or (None, 0.0) when it is too short or nobody is sure.

        `hint` is the language the page or feed declares; it may be wrong, so it only breaks near-ties.
        """
        text = prepare_text(text or "", self.settings.max_chars)
        if not has_letters(text, self.settings.min_letters):
            return None, 0.0
        hint = normalise_code(hint)
        if self.backend == "langdetect":
            return self._decide(_langdetect_candidates(text), hint)
        if self.backend == "langid":
            return self._decide(_langid_candidates(text), hint)
        cld2_candidates, reliable = _cld2_detect(text)
        if self.backend == "cld2":
            if not reliable:
                return None, 0.0
            return self._decide(cld2_candidates, hint)
        return self._auto(text, cld2_candidates, reliable, hint)

    def _auto(
        self, text: str, cld2_candidates: Candidates, reliable: bool, hint: str | None
    ) -> tuple[str | None, float]:
        if cld2_candidates and reliable:
            code, share = cld2_candidates[0]
            settled = share * 100 >= self.settings.cld2_min_percent and code not in self.settings.cld2_second_opinion
            if settled and (hint is None or hint == code):
                return code, share
        langid_answer = self._decide(_langid_candidates(text), hint)
        if langid_answer[0] is None and cld2_candidates and reliable:
            code, share = cld2_candidates[0]
            return code, round(share, 4)
        return langid_answer

    def _decide(self, candidates: Candidates, hint: str | None) -> tuple[str | None, float]:
        if not candidates:
            return None, 0.0
        code, score = candidates[0]
        if hint is not None and hint != code:
            hinted = dict(candidates).get(hint, 0.0)
            if hinted >= score * self.settings.hint_ratio:
                code, score = hint, hinted
        if score < self.settings.min_confidence:
            return None, 0.0
        return code, round(min(score, 1.0), 4)


# --- Beam ----------------------------------------------------------------------------------------------------------

# Counter names are bounded: the languages of conflict reporting get their own counter, the rest share "other".
_COUNTED_LANGUAGES = frozenset(
    "en ru uk ar fa he tr az hy ka fr es de it pt zh ja ko hi ur bn ps ku am so sw pl ro nl sr hr el".split()
)


def article_text(article: Article, max_chars: int = DEFAULT_SETTINGS.max_chars) -> str:  # type: ignore[valid-type]
    """What the language is read from: the title and the start of the body (the description when there is none)."""
    body = article.text or article.description or ""
    return f"{article.title or ''}\n{body[:max_chars]}"


# The Beam transform lives in transforms/language_beam.py, imported on first use: `conflictwire analyze` calls this
# module's functions without ever importing Apache Beam (about 2 s of start-up).
__getattr__ = lazy_exports(__name__, frozenset({"_DetectLanguageFn", "DetectLanguage"}), "transforms.language_beam")
