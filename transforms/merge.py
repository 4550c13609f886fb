"""Cross-outlet event merging: one real-world event reported by many articles becomes one event row.

GDELT's best-documented flaw is that each report of an event becomes an event of its own. Here events are
compared within a block (same country), and an event joins an existing event when both have the same ACLED
event type, dates at most `max_day_gap` apart, tolls at most `max_toll_ratio` apart where both give one, no two
different named quarters, and the same place (the same resolved name, or coordinates within `max_km`); when
neither event was placed more finely than a region, the same admin1 and similar evidence sentences are required
instead. Two events read in the same article are never merged: the
extractor already judged them distinct.

Clustering compares each report with each cluster's first member (its representative) and joins the best
match, never transitively, so a chain of near matches cannot drift into one giant event. Order is fixed:
events of earlier runs first (they keep their ids), then new events by (published, article_id, event_id).
A cluster's `event_id` is its representative's: an earlier run's id when the event was recorded before, else
the extractor's id of the earliest report. The same input therefore always gives the same ids, on every rerun.

Each source keeps its own casualty claim in `claims`; `source_count` and `source_article_ids` list the sources.
An event already written by an earlier run is written again, updated, by the run that adds a source; readers
take the latest row per event_id (see docs/incremental-and-streaming.md).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import apache_beam as beam

from schemas import Event
from transforms.geo import Gazetteer, different_quarters, fold

_WORD = re.compile(r"\w+", re.UNICODE)
_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class MergeSettings:
    """Thresholds for deciding that two reports describe the same event."""

    max_day_gap: int = 1  # reports of one event disagree on its date by a day at most (time zones, "last night")
    max_km: float = 25.0  # two placed reports within this distance are the same place
    region_evidence_jaccard: float = 0.3  # region-level reports also need this much shared wording (measured)
    fine_geo_precision: int = 2  # ACLED geo precision at or below which a report counts as placed
    # Outlets disagree on a toll, but rarely by more than this factor for one incident.
    max_toll_ratio: float = 2.5
    # A city this large sees several incidents a day (Aleppo, Kyiv, Khartoum): two reports placed only at the city
    # are one incident when they give the same day and agreeing tolls, or share most of their wording.
    big_city_population: int = 1_000_000
    big_city_evidence_jaccard: float = 0.5


# Sub-types that outlets swap for one incident ("truck bomb" / "suicide car bomb", "air strikes and shelling"),
# in families; two reports of different families are two incidents (a bomb blast and an air raid on one city).
_SUB_TYPE_FAMILY = {
    "Suicide bomb": "planted",
    "Remote explosive/landmine/IED": "planted",
    "Grenade": "planted",
    "Air/drone strike": "stand-off",
    "Shelling/artillery/missile attack": "stand-off",
    "Abduction/forced disappearance": "abduction",
    "Sexual violence": "sexual",
}


def _day(event: Any) -> dt.date | None:
    precision = event.date_precision or 1
    if precision >= 3 or (precision == 2 and event.published is None):
        # A date guessed from the day the page was fetched (the article gives no publication date) is no day
        # to match reports on: an old article read today would meet today's news.
        return None
    if event.event_date is not None:
        return event.event_date
    if event.published is not None:
        return event.published.astimezone(dt.timezone.utc).date()
    return None


def _km(a: Any, b: Any) -> float | None:
    if None in (a.latitude, a.longitude, b.latitude, b.longitude):
        return None
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude, b.longitude))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(min(1.0, math.sqrt(h)))


def _words(text: str | None) -> set[str]:
    return {w for w in _WORD.findall((text or "").lower()) if len(w) > 2}


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


@functools.lru_cache(maxsize=4096)
def _population(location: str, country: str | None) -> int:
    towns = Gazetteer.load().towns.get(fold(location), [])
    return max((t.population for t in towns if t.country == country), default=0)


def _toll(event: Any) -> int | None:
    """The exact death toll a report gives ("dozens", coded 12, is no figure to compare)."""
    return None if event.casualties_vague else event.fatalities


def _placed(event: Any, settings: MergeSettings) -> bool:
    return bool(event.location) and (event.geo_precision or 3) <= settings.fine_geo_precision


def match_score(a: Any, b: Any, settings: MergeSettings = MergeSettings()) -> float | None:
    """How well two event rows (from different articles) match as one real-world event; None when they do not.

    Placed pairs score 1 plus their wording overlap (a shared place outranks shared words); region-level pairs
    score their wording overlap.
    """
    if not a.event_type or a.event_type != b.event_type or a.country != b.country:
        return None
    if set(sources_of(a)) & set(sources_of(b)):
        return None
    family_a, family_b = _SUB_TYPE_FAMILY.get(a.sub_event_type or ""), _SUB_TYPE_FAMILY.get(b.sub_event_type or "")
    if family_a != family_b:
        return None
    day_a, day_b = _day(a), _day(b)
    if day_a is None or day_b is None or abs((day_a - day_b).days) > settings.max_day_gap:
        return None
    toll_a, toll_b = _toll(a), _toll(b)
    if toll_a and toll_b and max(toll_a, toll_b) > settings.max_toll_ratio * min(toll_a, toll_b):
        return None
    if different_quarters(a, b):
        return None  # two named quarters of one city ("al-Mazzeh", "Jobar"): two places
    overlap = _jaccard(_words(a.evidence), _words(b.evidence))
    if _placed(a, settings) and _placed(b, settings):
        if a.location.casefold() == b.location.casefold():
            if (
                _population(a.location, a.country) >= settings.big_city_population
                and not (day_a == day_b and toll_a and toll_b)
                and overlap < settings.big_city_evidence_jaccard
            ):
                return None  # one big city, and nothing but the city and the day in common
            return 1.0 + overlap
        km = _km(a, b)
        return 1.0 + overlap if km is not None and km <= settings.max_km else None
    if _placed(a, settings) or _placed(b, settings):
        return None  # one report names a town, the other only a region: too weak to merge on
    if a.admin1 != b.admin1:
        return None
    return overlap if overlap >= settings.region_evidence_jaccard else None


def same_event(a: Any, b: Any, settings: MergeSettings = MergeSettings()) -> bool:
    """Whether two event rows (from different articles) report the same real-world event."""
    return match_score(a, b, settings) is not None


def sources_of(event: Any) -> list[str]:
    return list(event.source_article_ids or [event.article_id])


def claims_of(event: Any) -> list[dict]:
    """The event's casualty claims; a single-source event without claims states its own figures as one."""
    if event.claims:
        return [dict(c) if not hasattr(c, "_asdict") else c._asdict() for c in event.claims]
    if event.fatalities is None and event.wounded is None and not event.casualty_text:
        return []
    return [
        {
            "source_article_id": event.article_id,
            "claimed_by": event.claimed_by,
            "fatalities": event.fatalities,
            "wounded": event.wounded,
            "vague": event.casualties_vague,
            "text": event.casualty_text,
        }
    ]


def _order(event: Any) -> tuple:
    return (event.published or _FAR_FUTURE, event.article_id, event.event_id)


def _combine(members: Sequence[Any]) -> Any:
    """One event row for a cluster: the representative's fields, every source and every source's claim."""
    head = members[0]
    sources: list[str] = []
    claims: list[dict] = []
    seen_claims: set[tuple] = set()
    for member in members:
        for source in sources_of(member):
            if source not in sources:
                sources.append(source)
        for claim in claims_of(member):
            key = (claim.get("source_article_id"), claim.get("text"), claim.get("fatalities"), claim.get("wounded"))
            if key not in seen_claims:
                seen_claims.add(key)
                claims.append(claim)
    changes: dict[str, Any] = {"source_article_ids": sources, "source_count": len(sources), "claims": claims}
    stamps = [m.extracted_at for m in members if m.extracted_at is not None]
    if stamps:
        changes["extracted_at"] = max(stamps)  # a rewritten event sorts after the version it replaces
    if head.fatalities is None and head.wounded is None:
        # The headline figure is the first claim with a number, as the schema says; it may come from a later source.
        first = next((c for c in claims if c.get("fatalities") is not None or c.get("wounded") is not None), None)
        if first is not None:
            changes.update(
                fatalities=first.get("fatalities"),
                wounded=first.get("wounded"),
                claimed_by=first.get("claimed_by"),
                casualty_text=first.get("text"),
                casualties_vague=first.get("vague"),
            )
    return head._replace(**changes)


def merge_events(
    new: Iterable[Any], earlier: Iterable[Any] = (), settings: MergeSettings = MergeSettings()
) -> list[Any]:
    """Merge new events among themselves and into earlier runs' events; returns the rows to write.

    Only clusters holding at least one new event are returned (an untouched earlier event is already written).
    """
    return [_combine(members) for members in cluster_events(new, earlier, settings)]


def cluster_events(
    new: Iterable[Any], earlier: Iterable[Any] = (), settings: MergeSettings = MergeSettings()
) -> list[list[Any]]:
    """The groups `merge_events` combines: each a list of reports, representative first."""
    clusters: list[list[Any]] = [[e] for e in sorted(earlier, key=_order)]
    fresh = [False] * len(clusters)
    for event in sorted(new, key=_order):
        best, best_score = None, None
        for i, members in enumerate(clusters):
            score = match_score(members[0], event, settings)
            if score is None or (best_score is not None and score <= best_score):
                continue  # ties go to the earlier cluster
            if not any(set(sources_of(m)) & set(sources_of(event)) for m in members):
                best, best_score = i, score
        if best is None:
            clusters.append([event])
            fresh.append(True)
        else:
            clusters[best].append(event)
            fresh[best] = True
    return [members for members, is_new in zip(clusters, fresh, strict=True) if is_new]


def latest_rows(rows: Iterable[Any]) -> list[Any]:
    """The latest version of each event (rows an earlier run rewrote appear once per run)."""
    best: dict[str, Any] = {}
    earliest = dt.datetime.min.replace(tzinfo=dt.timezone.utc)
    for row in rows:
        current = best.get(row.event_id)
        if current is None or (row.extracted_at or earliest, row.run_id or "") > (
            current.extracted_at or earliest,
            current.run_id or "",
        ):
            best[row.event_id] = row
    return list(best.values())


def _block(event: Any) -> str:
    return event.country or ""


class _MergeBlock(beam.DoFn):
    def __init__(self, settings: MergeSettings, run_id: str | None):
        self.settings = settings
        self.run_id = run_id
        self.reports = beam.metrics.Metrics.counter("merge", "event_reports")
        self.events = beam.metrics.Metrics.counter("merge", "events")
        self.joined_earlier = beam.metrics.Metrics.counter("merge", "events_updated_from_earlier_runs")

    def process(self, keyed):
        _, grouped = keyed
        new = list(grouped["new"])
        earlier = latest_rows(grouped["earlier"])
        merged = merge_events(new, earlier, self.settings)
        earlier_ids = {e.event_id for e in earlier}
        self.reports.inc(len(new))
        self.events.inc(sum(e.event_id not in earlier_ids for e in merged))
        self.joined_earlier.inc(sum(e.event_id in earlier_ids for e in merged))
        for event in merged:
            # An earlier run's event rewritten here is this run's row now.
            yield event._replace(run_id=self.run_id) if self.run_id else event


class MergeEvents(beam.PTransform):
    """Events (one per report) -> events (one per real-world event), merged with `earlier` runs' events.

    `earlier` is a PCollection of Event rows already written (any version; the latest per id is used), or None.
    """

    def __init__(
        self,
        earlier: beam.PCollection | None = None,
        settings: MergeSettings = MergeSettings(),
        run_id: str | None = None,
    ):
        super().__init__()
        self.earlier = earlier
        self.settings = settings
        self.run_id = run_id

    def expand(self, events):
        keyed_new = events | "KeyNew" >> beam.Map(lambda e: (_block(e), e))
        if self.earlier is None:
            earlier = events.pipeline | "NoEarlier" >> beam.Create([])
        else:
            earlier = self.earlier
        keyed_earlier = earlier | "KeyEarlier" >> beam.Map(lambda e: (_block(e), e))
        return (
            {"new": keyed_new, "earlier": keyed_earlier}
            | "ByCountry" >> beam.CoGroupByKey()
            | "Merge" >> beam.ParDo(_MergeBlock(self.settings, self.run_id))
        )


def event_from_dict(row: dict) -> Event:
    """An Event row from a Parquet row dict (claims stay plain dicts, as the sink writes them)."""
    return Event(**{k: v for k, v in row.items() if k in Event._fields})
