"""Paragraphs and sentences of an article's text, with their offsets: the units events are read from."""

from __future__ import annotations

import re
from typing import NamedTuple

# Abbreviations after which a full stop does not end a sentence.
_ABBREVIATIONS = (
    "Mr",
    "Mrs",
    "Ms",
    "Dr",
    "Gen",
    "Lt",
    "Col",
    "Maj",
    "Capt",
    "Sgt",
    "Cpl",
    "Brig",
    "Adm",
    "Gov",
    "Sen",
    "Rep",
    "Rev",
    "St",
    "No",
    "Nos",
    "Jr",
    "Sr",
    "Inc",
    "Ltd",
    "Co",
    "Corp",
    "vs",
    "etc",
    "approx",
    "U.S",
    "U.N",
    "U.K",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Sept",
    "Oct",
    "Nov",
    "Dec",
    "i.e",
    "e.g",
    "Pvt",
    "Hon",
    "Prof",
    "Supt",
    "Insp",
    "Const",
    "Dist",
)
_END = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[A-Z0-9])")
# A paragraph without a capital letter (some archives lower-case their text) ends sentences before lower case too.
_END_UNCASED = re.compile(r"(?<=[.!?])[\"'”’)\]]*\s+(?=[\"'“‘(\[]?[a-z0-9])")
_ABBREV_BEFORE = re.compile(r"(?:\b(?:" + "|".join(re.escape(a) for a in _ABBREVIATIONS) + r")|\b[A-Z])\.$")
_ABBREV_BEFORE_UNCASED = re.compile(
    r"(?:\b(?:" + "|".join(re.escape(a.lower()) for a in _ABBREVIATIONS) + r")|\b[a-z])\.$"
)
_PARAGRAPH = re.compile(r"\n\s*\n|\n(?=\S)")


class Sentence(NamedTuple):
    index: int  # position in the article, from 0
    paragraph: int
    start: int
    end: int
    text: str


def split_sentences(text: str, *, uncased: bool = True) -> list[Sentence]:
    """Sentences in order; a line break always ends a paragraph (feeds and extractors keep one per line).

    `uncased=False` keeps an uncased paragraph whole, as sentences were cut before uncased text was split (the hand
    labels of `training/sentence_labels/` number sentences that way)."""
    sentences: list[Sentence] = []
    paragraph_start = 0
    for paragraph_number, paragraph in enumerate(_paragraphs(text)):
        start_in_text = text.index(paragraph, paragraph_start)
        paragraph_start = start_in_text + len(paragraph)
        cursor = 0
        ends = _END_UNCASED if uncased and paragraph == paragraph.lower() else _END
        for m in ends.finditer(paragraph):
            candidate = paragraph[cursor : m.start()].rstrip()
            head = paragraph[cursor : m.start()].rstrip("\"'”’)] ")
            if _ABBREV_BEFORE.search(head) or _ABBREV_BEFORE_UNCASED.search(head) and ends is _END_UNCASED:
                continue
            _append(sentences, paragraph_number, start_in_text + cursor, candidate)
            cursor = m.end()
        _append(sentences, paragraph_number, start_in_text + cursor, paragraph[cursor:].strip())
    return sentences


def _paragraphs(text: str) -> list[str]:
    return [p.strip() for p in _PARAGRAPH.split(text) if p.strip()]


def _append(sentences: list[Sentence], paragraph: int, start: int, text: str) -> None:
    if text:
        sentences.append(Sentence(len(sentences), paragraph, start, start + len(text), text))
