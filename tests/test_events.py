from __future__ import annotations

import datetime as dt

import apache_beam as beam
import pytest
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to

from schemas import EVENTS, Article
from tests.conftest import FIXTURES
from transforms.base import DEAD
from transforms.events import EVENTS_TAG, EventExtractor, ExtractEvents

PUBLISHED = dt.datetime(2022, 8, 4, 12, 0, tzinfo=dt.timezone.utc)


def _seed_article(**overrides) -> Article:
    headline, body = (FIXTURES / "events" / "seed-article.txt").read_text(encoding="utf-8").split("\n", 1)
    fields = dict(
        article_id="seed",
        url="https://example.org/seed",
        title=headline,
        text=body.strip(),
        language="en",
        is_conflict=True,
        published=PUBLISHED,
    )
    fields.update(overrides)
    return Article(**fields)


@pytest.fixture(scope="module")
def extractor() -> EventExtractor:
    return EventExtractor()


@pytest.fixture(scope="module")
def seed_events(extractor):
    return extractor.extract(_seed_article(), run_id="test")


def _one(events, **match):
    found = [e for e in events if all(getattr(e, k) == v for k, v in match.items())]
    assert found, f"no event with {match}: {[(e.sub_event_type, e.location) for e in events]}"
    return found[0]


def test_seed_article_yields_the_expected_events(seed_events):
    assert len(seed_events) >= 3
    for event in seed_events:
        assert EVENTS.validate(event) == []
        assert event.country == "AZ"

    clash = _one(seed_events, sub_event_type="Armed clash", location="Lachin")
    assert (clash.disorder_type, clash.event_type) == ("Political violence", "Battles")
    assert (clash.actor1, clash.actor2) == ("Artsakh irregular forces", "Military Forces of Azerbaijan")
    assert (clash.event_date, clash.date_precision) == (dt.date(2022, 8, 3), 1)
    assert clash.geo_precision == 1 and clash.latitude is not None
    assert (clash.fatalities, clash.claimed_by) == (1, "Azerbaijani Defence Ministry")

    regains = _one(seed_events, sub_event_type="Government regains territory")
    assert regains.location_text == "Girkhgiz and Saribaba heights"
    assert (regains.geo_source, regains.geo_precision) == ("region_fallback", 3)
    assert regains.actor1 == "Military Forces of Azerbaijan"
    assert regains.fatalities is None

    strike = _one(seed_events, sub_event_type="Air/drone strike")
    assert strike.event_type == "Explosions/Remote violence"
    assert strike.location_text == "Yukhari Oratagh"
    assert (strike.location, strike.admin2, strike.geo_source, strike.geo_precision) == (
        "Aghdara district",
        "Aghdara",
        "region_fallback",
        2,
    )
    assert strike.actor1 == "Military Forces of Azerbaijan"
    assert strike.casualties_vague and strike.fatalities is None and strike.wounded is None
    assert "dozens" in strike.casualty_text
    vague = [c for c in strike.claims if c["vague"]]
    assert vague and vague[0]["claimed_by"] == "Azerbaijani Defence Ministry"

    # the other side's figures are kept, with who claims them
    artsakh_claims = [c for e in seed_events for c in e.claims if c["claimed_by"] == "Artsakh Defense Army"]
    assert [(c["fatalities"], c["wounded"], c["vague"]) for c in artsakh_claims] == [(2, 14, False)]


def test_statements_calls_and_threats_are_not_events(seed_events):
    evidence = " ".join(e.evidence for e in seed_events)
    assert "extremely concerned" not in evidence
    assert "called for the withdrawal" not in evidence
    assert "threatened" not in evidence


def test_event_ids_are_stable_across_runs(extractor, seed_events):
    again = extractor.extract(_seed_article(), run_id="other")
    assert [e.event_id for e in again] == [e.event_id for e in seed_events]


def test_without_a_publication_date_the_fetch_time_gives_coarser_dates(extractor):
    events = extractor.extract(_seed_article(published=None, fetched_at=PUBLISHED))
    assert events and all(e.date_precision >= 2 for e in events)


def test_other_languages_yield_no_events(extractor):
    assert extractor.extract(_seed_article(language="hy")) == []


def test_extract_events_transform_routes_events_failures_and_counts():
    conflict, other = _seed_article(), _seed_article(article_id="quiet", is_conflict=False)
    broken = _seed_article(article_id="broken", text=12345)  # not text: its analysis raises
    with beam.Pipeline(runner=FnApiRunner()) as p:
        out = p | beam.Create([conflict, other, broken]) | ExtractEvents(run_id="test")
        counts = out.articles | beam.Map(lambda a: (a.article_id, a.event_count > 0))
        assert_that(counts, equal_to([("seed", True), ("quiet", False), ("broken", False)]), label="counts")
        assert_that(
            out[EVENTS_TAG] | beam.Map(lambda e: (e.article_id, e.run_id)) | beam.Distinct(),
            equal_to([("seed", "test")]),
            label="events",
        )
        dead = out[DEAD] | beam.Map(lambda d: (d.stage, d.reason, d.item_id))
        assert_that(dead, equal_to([("events", "extraction_failed", "broken")]), label="dead")
