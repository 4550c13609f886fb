"""Casualty claims: how many were killed or wounded, as a number or a vague amount, and who says so.

A figure is kept as the exact phrase it was read from. Vague amounts ("dozens", "scores", "several") are flagged
and counted as ACLED codes them (dozens 12, scores 20, several 3: `VAGUE_AMOUNTS`). Casualties of an earlier event
that a sentence only refers back to ("following the death of a soldier", "in retaliation for the killing of ...")
are skipped: they belong to that earlier event.
"""

from __future__ import annotations

import re
from typing import NamedTuple

_UNITS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "a dozen": 12,
    "a couple of": 2,
    "a pair of": 2,
    "single": 1,
}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
# Vague amounts and the counts ACLED codes for them (the coding guide, rule 4): "dozens" 12, "tens" 10, "scores" 20,
# "hundreds" 100; "several", "a few", "many" 3. The claim says it was vague.
VAGUE_AMOUNTS = {
    "dozens": 12,
    "scores": 20,
    "several": 3,
    "many": 3,
    "numerous": 3,
    "hundreds": 100,
    "thousands": 1000,
    "a number of": 3,
    "some": 3,
    "a few": 3,
    "few": 3,
    "multiple": 3,
    "countless": 3,
    "a dozen or so": 12,
    "more than a dozen": 12,
    "at least a dozen": 12,
    "a handful of": 3,
    "tens": 10,
}
VAGUE_WORDS = tuple(VAGUE_AMOUNTS)

_WORD_NUMBER = (
    r"(?:(?:"
    + "|".join(_TENS)
    + r")(?:[\s-](?:one|two|three|four|five|six|seven|eight|nine))?|"
    + "|".join(sorted((k for k in _UNITS if k not in ("a", "an")), key=len, reverse=True))
    + r")"
)
# A count in digits; not a year ("2016 Two Killed") nor a day of the month ("29 Jun 2014 A jihadist group killed").
_MONTH_AFTER = r"(?!\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)"
_MONTH_BEFORE = r"(?<!\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec) )"  # "Oct 262016" is a date
_DIGITS = rf"{_MONTH_BEFORE}(?!(?:19|20)\d\d\b)(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?!\d){_MONTH_AFTER}"
_QUALIFIER = (
    r"(?:(?:at least|more than|over|nearly|almost|about|around|some|up to|as many as|an additional|"
    r"another|a further)\s+)?"
)
# A count: digits, number words, or "a/an" before a singular noun ("an Azerbaijani soldier killed").
_COUNT = rf"(?P<num>{_DIGITS}|{_WORD_NUMBER}|a|an)"
_VAGUE = r"(?P<vague>" + "|".join(sorted(VAGUE_WORDS, key=len, reverse=True)) + r")"
_QUOTE = r"[\"“”'‘’]?"
# Up to five words between the amount and the verb: "two of its servicemen", "illegal militants", "others".
# (never across a finite verb: "18 of the 31 lorries were destroyed and 20 civilians were killed" is 20)
_NOUN_GAP = r"(?:\s+(?!(?:were|was|are|is|have|has|had)\b)[\w\"“”'‘’()-]+){0,8}?"
# An apposition between subject and verb: "Two FC personnel, identified as A and B, were killed".
_APPOSITION = r"(?:,\s+[^,.;]{1,80},)?"
_BE = r"(?:\s+(?:were|was|are|is|have been|has been|had been|got|reportedly|allegedly|also|later|being)){0,3}"

_KILLED = (
    r"(?P<verb>killed|dead|died|slain|shot dead|lynched|beheaded|executed|"
    r"fatally (?:shot|wounded|injured|stabbed)|lost (?:their|his|her) li(?:ves|fe)|succumbed|massacred|"
    r"gunned down|perished)"
)
_WOUNDED = r"(?P<verb>wounded|injured|hurt|maimed)"
_KILLED_OR_WOUNDED = (
    r"(?P<verb>killed or (?:wounded|injured)|killed and (?:wounded|injured)|"
    r"(?:wounded|injured) or killed|casualties)"
)

_NUMBERED_SUBJECT = re.compile(
    rf"\b{_QUALIFIER}{_QUOTE}(?:{_COUNT}|{_VAGUE}){_QUOTE}(?:\s+of)?{_NOUN_GAP}{_APPOSITION}{_BE}\s+"
    rf"(?:{_KILLED_OR_WOUNDED}|{_KILLED}|{_WOUNDED})\b".replace("(?P<verb>", "(?:"),
    re.I,
)
_VERB_OBJECT = re.compile(
    rf"\b(?P<verb>killing|killed|kills|gunned down|shot dead|executed|executing|massacred|beheaded|"
    rf"wounding|wounded|injuring|injured|leaving|left)\s+"
    rf"{_QUALIFIER}"
    rf"{_QUOTE}(?:{_COUNT}|{_VAGUE}){_QUOTE}(?:\s+(?:other|more))?(?:\s+[\w-]+){{0,3}}?"
    rf"(?:\s+(?P<state>dead|wounded|injured|killed))?\b",
    re.I,
)
_TOLL = re.compile(
    rf"\b(?:death toll|toll|fatalities|casualties)\b[^.]{{0,40}}?\b(?:rose to|reached|stood at|of|at|"
    rf"climbed to)\s+{_QUALIFIER}(?P<num>{_DIGITS}|{_WORD_NUMBER})\b",
    re.I,
)
_KILLED_RE = re.compile(_KILLED, re.I)
_WOUNDED_RE = re.compile(_WOUNDED, re.I)
_EITHER_RE = re.compile(_KILLED_OR_WOUNDED, re.I)
_COUNT_RE = re.compile(rf"^{_QUALIFIER}{_QUOTE}(?:{_COUNT}|{_VAGUE}){_QUOTE}", re.I)
# "following the death of", "after the killing of": the casualty belongs to an earlier event.
_BACK_REFERENCE = re.compile(
    r"\b(?:following|after|over|for|avenge|since|mourn\w*|retaliation for|in response to)\s+"
    r"(?:the\s+)?(?:death|deaths|killing|killings|murder)\s+of\b",
    re.I,
)
_DEATH_OF = re.compile(rf"\b(?:death|deaths|killing)\s+of\s+{_COUNT}\b", re.I)
# A named person as the subject: "Kazimov Anar Rustam was fatally shot".
_NAMED_VICTIM = re.compile(
    r"\b(?P<name>(?:[A-Z][a-z]+\s+){1,3}[A-Z][a-z]+)\s+(?:was|has been)\s+(?:reportedly\s+)?"
    r"(?P<verb>killed|shot dead|fatally shot|fatally wounded|murdered|lynched|beheaded)\b"
)
# Words that look like an amount but are not one in front of a casualty verb.
# (not a headline's "Two Killed Three Injured", where the second count has its own verb)
_ACTIVE_OBJECT = re.compile(
    rf"\s+{_QUALIFIER}(?:{_DIGITS}|{_WORD_NUMBER})\b(?!\s+(?:killed|injured|wounded|dead|hurt|died)\b)", re.I
)
_NOT_AMOUNT_AFTER_A = re.compile(r"^an?\s+(?:total|number|person who|man who|woman who|(?:death\s+)?toll)\b", re.I)


class Casualty(NamedTuple):
    fatalities: int | None
    wounded: int | None
    vague: bool
    text: str
    start: int
    end: int


def word_to_number(token: str) -> int | None:
    """'14' -> 14, 'fourteen' -> 14, 'twenty-one' -> 21, 'a dozen' -> 12; None for anything else."""
    t = token.strip().lower().replace(",", "")
    if t.isdigit():
        return int(t)
    if t in _UNITS:
        return _UNITS[t]
    parts = re.split(r"[\s-]+", t)
    if parts and parts[0] in _TENS:
        return _TENS[parts[0]] + (_UNITS.get(parts[1], 0) if len(parts) > 1 else 0)
    return None


def _amount(phrase: str) -> tuple[int | None, bool]:
    m = _COUNT_RE.match(phrase)
    if not m:
        return None, False
    if m.group("vague"):
        return VAGUE_AMOUNTS[" ".join(m.group("vague").lower().split())], True
    return word_to_number(m.group("num")), False


def _coordinated_amount(phrase: str) -> tuple[int | None, bool]:
    """'Three militants and two soldiers were killed' is five; 'Three people, including an activist' is three."""
    subject = re.split(r",(?!\d{3})", phrase, maxsplit=1)[0]  # "1,200 people" is one number
    parts = re.split(r"\s+and\s+", subject)
    amounts = [_amount(part) for part in parts]
    if len(parts) > 1 and all(count is not None for count, _ in amounts):
        return sum(count for count, _ in amounts), False
    return amounts[0]


def find_casualties(text: str) -> list[Casualty]:
    """Casualty figures in a sentence, in order of appearance (no double counting of overlapping phrases)."""
    found: list[Casualty] = []

    def overlaps(start: int, end: int) -> bool:
        return any(start < c.end and c.start < end for c in found)

    back_refs = [m.span() for m in _BACK_REFERENCE.finditer(text)]

    def is_back_reference(start: int) -> bool:
        return any(0 <= start - end <= 3 for _, end in back_refs)

    for m in _NUMBERED_SUBJECT.finditer(text):
        phrase = m.group(0)
        if _NOT_AMOUNT_AFTER_A.match(phrase) or is_back_reference(m.start()):
            continue
        if _ACTIVE_OBJECT.match(text, m.end()):
            continue  # "A car bomb attack killed at least 44": the subject killed, the object is the count
        count, vague = _coordinated_amount(phrase)
        if count is None and not vague:
            continue
        tail = phrase[-40:]
        if _EITHER_RE.search(tail):
            found.append(Casualty(None, None, True if count is None else vague, phrase, m.start(), m.end()))
            if count is not None:  # "14 killed or wounded" is a count of casualties, not of deaths: kept vague
                found[-1] = found[-1]._replace(vague=True)
        elif _KILLED_RE.search(tail):
            found.append(Casualty(count, None, vague, phrase, m.start(), m.end()))
        else:
            found.append(Casualty(None, count, vague, phrase, m.start(), m.end()))
    for m in _VERB_OBJECT.finditer(text):
        if overlaps(m.start(), m.end()):
            continue
        verb, state = m.group("verb").lower(), (m.group("state") or "").lower()
        if verb in ("leaving", "left"):
            if not state:
                continue
            verb = state
        count, vague = _amount(text[m.start("verb") + len(m.group("verb")) :].lstrip())
        if count is None and not vague:
            continue
        if (
            verb.startswith("kill")
            or verb in ("dead", "gunned down", "shot dead", "massacred", "beheaded")
            or (verb.startswith("execut"))
        ):
            found.append(Casualty(count, None, vague, m.group(0), m.start(), m.end()))
        else:
            found.append(Casualty(None, count, vague, m.group(0), m.start(), m.end()))
    for m in _TOLL.finditer(text):
        if not overlaps(m.start(), m.end()):
            found.append(Casualty(word_to_number(m.group("num")), None, False, m.group(0), m.start(), m.end()))
    for m in _NAMED_VICTIM.finditer(text):
        if not overlaps(m.start(), m.end()):
            found.append(Casualty(1, None, False, m.group(0), m.start(), m.end()))
    for m in _DEATH_OF.finditer(text):
        # "the death of an Azerbaijani soldier" counts only when it is not a back-reference to an earlier event
        if not overlaps(m.start(), m.end()) and not is_back_reference(m.start() + 4):
            bare = _BACK_REFERENCE.search(text[max(0, m.start() - 30) : m.end()])
            if bare is None:
                found.append(Casualty(word_to_number(m.group("num")), None, False, m.group(0), m.start(), m.end()))
    found.sort(key=lambda c: c.start)
    # keep an opening quote with the phrase: '"dozens" of ...' is the exact wording
    found = [
        c._replace(text=text[c.start - 1 : c.end], start=c.start - 1) if c.start and text[c.start - 1] in "\"“‘'" else c
        for c in found
    ]
    return _combine_adjacent(text, found)


def _combine_adjacent(text: str, found: list[Casualty]) -> list[Casualty]:
    """'two killed ..., with an additional 14 wounded' is one claim: join a killed and a wounded figure close by."""
    combined: list[Casualty] = []
    for c in found:
        if combined:
            prev = combined[-1]
            gap = text[prev.end : c.start]
            joinable = len(gap) <= 40 and not re.search(r"[.;]", gap)
            pair = _killed_and_wounded(prev, c) if joinable else None
            if pair is not None:
                combined[-1] = Casualty(*pair, False, text[prev.start : c.end], prev.start, c.end)
                continue
        combined.append(c)
    return combined


def _only_killed(c: Casualty) -> bool:
    return c.fatalities is not None and c.wounded is None and not c.vague


def _only_wounded(c: Casualty) -> bool:
    return c.wounded is not None and c.fatalities is None and not c.vague


def _killed_and_wounded(a: Casualty, b: Casualty) -> tuple[int, int] | None:
    """(killed, wounded) when one figure counts only the killed and the other only the wounded, in either order."""
    if _only_killed(a) and _only_wounded(b):
        return a.fatalities, b.wounded
    if _only_wounded(a) and _only_killed(b):
        return b.fatalities, a.wounded
    return None


# Who makes a claim: "according to X", "X said/says/claims/claimed", "a spokesperson for X".
_CLAIM_PATTERNS = (
    re.compile(
        r"\b(?:a |the )?(?:spokes(?:man|woman|person)|representative|official|officials)\s+(?:for|of)\s+"
        r"(?:the\s+)?(?P<src>(?:[A-Z][\w'’-]*\s*)+)",
        re.U,
    ),
    re.compile(r"\baccording to\s+(?:a\s+|an\s+|the\s+)?(?P<src>[^,.;]{3,80}?)(?=[,.;]|$|\s+(?:on|in|at)\s)", re.I),
    re.compile(
        r"(?P<src>(?:[A-Z][\w'’-]*(?:'s)?\s+)*(?:[A-Z][\w'’-]*|[Dd]efen[cs]e [Mm]inistry|[Mm]inistry|"
        r"police|officials?|military|army))\s+(?:has\s+|have\s+|had\s+)?(?:said|says|say|claims?|claimed|"
        r"reported|reports|announced|confirmed|stated|described)\b"
    ),
    re.compile(r"\b(?:reports?|reported)\s+(?P<src>(?:The\s+)?(?:[A-Z][\w'’-]*\s*){1,5})"),
)
_CLAIM_STOP = re.compile(r"^(?:The|A|An|It|He|She|They|This|That|In|On|At|Following)\s+", re.U)


def find_claimer(text: str) -> str | None:
    """Who the sentence attributes its figures to, as written (None when nobody is named)."""
    for pattern in _CLAIM_PATTERNS:
        m = pattern.search(text)
        if not m:
            continue
        src = m.group("src").strip(" ,'’\"")
        src = _CLAIM_STOP.sub("", src).strip()
        if src and src.lower() not in ("it", "he", "she", "they", "what", "this", "that"):
            return src
    return None
