"""Which sentences of an article report an event that happened: the learned first step of event extraction.

News about conflict is mostly not events: quotes, reactions, background and history, plans, threats and drills,
diplomatic "protests", court cases, accidents, ordinary crime. `PassageClassifier` gives each sentence the
probability that it reports (or re-reports) an incident in ACLED's scope that took place; `transforms.events` codes
events only from sentences above the threshold.

The model is linear over the same hashed TF-IDF features as the other shipped classifiers (`transforms.classify`),
read from the sentence and a few markers of what the other stages found in it (`passage_text`): a quotation, a
casualty figure, a year before the article's, a statement of concern, call or threat, an explicit event
trigger ("drone strike", "in control of"). The markers are words the
normaliser keeps, so one feature pipeline serves both. Trained by `training/train_passages.py` on sentences read by
hand inside whole real articles (`training/sentence_labels/`), GVDB crime news, CASE 2021 and the hand-written
snippets; docs/events.md has the figures.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import ClassVar

import numpy as np

from transforms.base import LoadedOnce
from transforms.classify import MODELS_DIR, _LinearModel

PASSAGE_MODEL = MODELS_DIR / "event_passage.npz"

_QUOTE = re.compile(r"[\"“”«»„‟]")
_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b")

# Marker words appended to a sentence; none is a word of any language the normaliser would meet.
QUOTED, FIGURE, EARLIER_YEAR = "zzquoted", "zzfigure", "zzearlieryear"
STATEMENT, TRIGGER = "zzstatement", "zztrigger"


def passage_text(sentence: str, *, figure: bool, statement: bool, year: int | None, trigger: bool = False) -> str:
    """The text the model reads for a sentence: the sentence, then the markers that hold for it."""
    markers = []
    if _QUOTE.search(sentence):
        markers.append(QUOTED)
    if figure:
        markers.append(FIGURE)
    if statement:
        markers.append(STATEMENT)
    if trigger:
        markers.append(TRIGGER)
    if year is not None and any(int(y) < year for y in _YEAR.findall(sentence)):
        markers.append(EARLIER_YEAR)
    return " ".join([sentence, *markers])


class PassageClassifier(LoadedOnce):
    """P(a sentence reports an event that happened), from `passage_text()`; `reports(p)` applies the threshold."""

    _cache: ClassVar[dict] = {}
    _lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, path: Path = PASSAGE_MODEL):
        if not path.exists():
            raise FileNotFoundError(f"passage model not found: {path} (python -m training.train_passages)")
        self._model = _LinearModel(path)
        self.threshold = self._model.threshold

    @classmethod
    def load(cls, path: Path = PASSAGE_MODEL) -> PassageClassifier:
        return cls._loaded(path, lambda: cls(path))

    def probabilities(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.empty(0, np.float64)
        decision = self._model.decision(texts)[:, 0].astype(np.float64)
        a, b = self._model.calibration
        return 1.0 / (1.0 + np.exp(-(a * decision + b)))

    def reports(self, probability: float) -> bool:
        return probability >= self.threshold


__all__ = ["PASSAGE_MODEL", "PassageClassifier", "passage_text"]
