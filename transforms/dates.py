"""Event dates from the words news uses ("on Wednesday", "yesterday", "on 3 August"), resolved against an anchor.

The anchor is the article's publication date. Weekday names mean the most recent such day on or before it (news
reports the past); a day and month without a year take the anchor's year unless that lands after the anchor, then
the year before. Precision follows ACLED: 1 the day, 2 the week or an approximate day, 3 the month. An anchor that
is not the publication date (the fetch time stands in) makes a day-level result only week-precise.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

DAY, WEEK, MONTH = 1, 2, 3

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
WEEKDAYS = {
    name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))
}

_MONTH = r"(?P<month>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_MONTH_ONLY = (
    r"(?P<month2>" + "|".join(sorted((m for m in MONTHS if len(m) > 3 or m == "may"), key=len, reverse=True)) + r")"
)
_WEEKDAY = r"(?P<weekday>" + "|".join(WEEKDAYS) + r")"
_YEAR = r"(?:,?\s+(?P<year>(?:19|20)\d\d))?"

# Most specific first: the first pattern that matches a span wins it.
_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("iso", re.compile(r"\b(?P<y>(?:19|20)\d\d)-(?P<m>[01]\d)-(?P<d>[0-3]\d)\b")),
    # day first, as outside the US: "15-09-2013", "23.04.2017"
    ("numeric", re.compile(r"\b(?P<d>[0-3]?\d)(?P<sep>[.-])(?P<m>[01]?\d)(?P=sep)(?P<y>(?:19|20)\d\d)\b")),
    ("day_month", re.compile(r"\b(?P<day>[0-3]?\d)(?:st|nd|rd|th)?(?:\s+of)?\s+" + _MONTH + _YEAR + r"\b", re.I)),
    ("month_day", re.compile(r"\b" + _MONTH + r"\s+(?P<day>[0-3]?\d)(?:st|nd|rd|th)?\b" + _YEAR, re.I)),
    (
        "weekday",
        re.compile(
            r"\b(?:(?P<last>last|this|on|early|late)\s+)?"
            + _WEEKDAY
            + r"(?:\s+(?P<part>morning|afternoon|evening|night))?\b",
            re.I,
        ),
    ),
    (
        "relative_day",
        re.compile(
            r"\b(?P<rel>yesterday|the day before yesterday|today|last night|tonight|"
            r"this (?:morning|afternoon|evening)|earlier today)\b",
            re.I,
        ),
    ),
    ("days_ago", re.compile(r"\b(?P<n>two|three|four|five|six|\d)\s+days\s+(?:ago|earlier)\b", re.I)),
    (
        "week",
        re.compile(
            r"\b(?P<week>last week|this week|earlier this week|past week|over the weekend|"
            r"last weekend|this weekend)\b",
            re.I,
        ),
    ),
    ("month", re.compile(r"\b(?P<mon>last month|this month|earlier this month)\b", re.I)),
    ("in_month", re.compile(r"\bin\s+" + _MONTH_ONLY + _YEAR + r"\b", re.I)),
)
_SMALL = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}


class DateMention(NamedTuple):
    date: dt.date
    precision: int  # ACLED time precision: 1 day, 2 week/approximate, 3 month
    text: str  # the expression as written


def _past_year(anchor: dt.date, month: int, day: int) -> dt.date | None:
    """The day/month on or before the anchor (give or take a day of time-zone slack)."""
    for year in (anchor.year, anchor.year - 1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            return None
        if candidate <= anchor + dt.timedelta(days=1):
            return candidate
    return None


def _resolve(kind: str, m: re.Match[str], anchor: dt.date) -> tuple[dt.date, int] | None:
    g = m.groupdict()
    if kind in ("iso", "numeric"):
        try:
            return dt.date(int(g["y"]), int(g["m"]), int(g["d"])), DAY
        except ValueError:
            return None
    if kind in ("day_month", "month_day"):
        month, day = MONTHS[g["month"].lower()], int(g["day"])
        if g.get("year"):
            try:
                return dt.date(int(g["year"]), month, day), DAY
            except ValueError:
                return None
        resolved = _past_year(anchor, month, day)
        return (resolved, DAY) if resolved else None
    if kind == "weekday":
        target = WEEKDAYS[g["weekday"].lower()]
        back = (anchor.weekday() - target) % 7
        if (g.get("last") or "").lower() == "last" and back == 0:
            back = 7
        return anchor - dt.timedelta(days=back), DAY
    if kind == "relative_day":
        rel = g["rel"].lower()
        if rel == "the day before yesterday":
            return anchor - dt.timedelta(days=2), DAY
        if rel in ("yesterday", "last night"):
            return anchor - dt.timedelta(days=1), DAY
        return anchor, DAY
    if kind == "days_ago":
        n = g["n"].lower()
        return anchor - dt.timedelta(days=_SMALL.get(n) or int(n)), DAY
    if kind == "week":
        phrase = g["week"].lower()
        if phrase.startswith("last week"):
            return anchor - dt.timedelta(days=7), WEEK
        if "weekend" in phrase:
            back = (anchor.weekday() - 5) % 7  # the Saturday on or before
            return anchor - dt.timedelta(days=back), WEEK
        return anchor, WEEK
    if kind == "month":
        if g["mon"].lower() == "last month":
            first = anchor.replace(day=1) - dt.timedelta(days=1)
            return first.replace(day=15), MONTH
        return anchor, MONTH
    if kind == "in_month":
        month = MONTHS[g["month2"].lower()]
        year = int(g["year"]) if g.get("year") else (anchor.year if month <= anchor.month else anchor.year - 1)
        return dt.date(year, month, 15), MONTH
    return None


def find_dates(text: str, anchor: dt.date, *, anchor_is_publication: bool = True) -> list[DateMention]:
    """Every date expression in `text`, resolved against `anchor`, in order of appearance."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, DateMention]] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            if any(m.start() < end and start < m.end() for start, end in taken):
                continue
            if kind == "weekday" and not m.group("last") and not m.group("part") and not _weekday_is_temporal(text, m):
                continue
            resolved = _resolve(kind, m, anchor)
            if resolved is None:
                continue
            date, precision = resolved
            if not anchor_is_publication:
                precision = min(precision + 1, MONTH)
            taken.append((m.start(), m.end()))
            found.append((m.start(), DateMention(date, precision, m.group(0))))
    return [mention for _, mention in sorted(found, key=lambda pair: pair[0])]


def _weekday_is_temporal(text: str, m: re.Match[str]) -> bool:
    # A bare weekday is a date unless it is part of a name ("Good Friday", "Black Sunday Brigade").
    before = text[max(0, m.start() - 6) : m.start()].lower()
    return not re.search(r"(good|black|bloody|holy|easter)\s$", before)


def resolve_date(text: str, anchor: dt.date, *, anchor_is_publication: bool = True) -> DateMention | None:
    """The first date expression in `text`, or None."""
    mentions = find_dates(text, anchor, anchor_is_publication=anchor_is_publication)
    return mentions[0] if mentions else None


# Scraped datelines lose their punctuation and spaces: "Apr 152017" (Apr 15, 2017), "21.08.2013Get short URL".
_GLUED_YEAR = re.compile(r"\b([A-Z][a-z]{2,8}\.? )(\d{1,2})((?:19|20)\d\d)\b")
_YEAR_THEN_WORD = re.compile(r"(?<=[./-])((?:19|20)\d\d)(?=[A-Za-z])")


def _unglue(head: str) -> str:
    head = _GLUED_YEAR.sub(
        lambda m: f"{m.group(1)}{m.group(2)} {m.group(3)}" if m.group(1).strip(". ").lower() in MONTHS else m.group(0),
        head,
    )
    return _YEAR_THEN_WORD.sub(r"\1 ", head)


def leading_date(text: str, chars: int = 80, headline_chars: int = 200) -> dt.date | None:
    """A full date (with its year) at the head of a text: the dateline of an article without other metadata
    ("Wed 05 Apr 2017 ...", "15-09-2013 ..."). Past the first `chars`, only a day-precise date counts: a text
    that opens with its headline gives its dateline after it ("... in Aleppo AFP Thursday 2 Jul 2015 At least"),
    where a month alone ("in March 2011") is background."""
    head = _unglue(text[:headline_chars])
    for mention in find_dates(head, dt.date.today()):
        if not re.search(r"(?:19|20)\d\d", mention.text):
            continue
        if head.find(mention.text) < chars or mention.precision == DAY:
            return mention.date
    return None


def default_date(anchor: dt.date, *, anchor_is_publication: bool = True) -> DateMention:
    """The date when the text names none: the anchor day, approximate (news reports the last day or two)."""
    return DateMention(anchor, WEEK if anchor_is_publication else MONTH, "")
