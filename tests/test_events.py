from __future__ import annotations

import datetime as dt

import apache_beam as beam
import pytest
from apache_beam.runners.portability.fn_api_runner import FnApiRunner
from apache_beam.testing.util import assert_that, equal_to

from schemas import EVENTS, Article, Event
from tests.conftest import FIXTURES
from transforms import acled
from transforms.base import DEAD
from transforms.events import EVENTS_TAG, EventExtractor, ExtractEvents, consolidate

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


def _report(index: int, sub_event_type: str, location: str, day: int, confidence: float, **fields) -> Event:
    return Event(
        event_id=f"e{index}",
        article_id="kyiv",
        event_type=acled.event_type(sub_event_type),
        sub_event_type=sub_event_type,
        event_date=dt.date(2026, 5, day),
        location=location,
        country="UA",
        confidence=confidence,
        claims=fields.pop("claims", []),
        **fields,
    )


def test_one_attack_reported_in_several_sentences_of_an_article_becomes_one_event_keeping_every_claim():
    wounded = {
        "source_article_id": "kyiv",
        "claimed_by": "reported",
        "fatalities": None,
        "wounded": 83,
        "vague": False,
        "text": "At least 83 people were wounded",
    }
    killed = {
        "source_article_id": "kyiv",
        "claimed_by": "Ukrainian President",
        "fatalities": 2,
        "wounded": None,
        "vague": False,
        "text": "killing two",
    }
    events = [
        _report(1, "Shelling/artillery/missile attack", "Kyiv region", 24, 0.6, actor1="Military Forces of Russia"),
        _report(2, "Grenade", "Kyiv region", 24, 0.2),
        _report(3, "Remote explosive/landmine/IED", "Kyiv region", 24, 0.3, claims=[wounded]),
        _report(4, "Air/drone strike", "Kyiv region", 24, 0.4, claims=[killed], actor2="Civilians (Ukraine)"),
        _report(5, "Remote explosive/landmine/IED", "Kyiv region", 23, 0.5),  # the day before: another attack
        _report(6, "Armed clash", "Kyiv region", 24, 0.5),  # another event type
        _report(7, "Shelling/artillery/missile attack", "Kyiv", 24, 0.5),  # another place
    ]
    merged = consolidate(events)
    assert [e.event_id for e in merged] == ["e1", "e5", "e6", "e7"]
    attack = merged[0]
    assert attack.sub_event_type == "Shelling/artillery/missile attack"  # the most confident report speaks
    assert attack.actor1 == "Military Forces of Russia" and attack.actor2 == "Civilians (Ukraine)"
    assert [c["text"] for c in attack.claims] == [wounded["text"], killed["text"]]
    # the event's figures are the largest each kind of claim gives; the killed figure speaks for the claimer
    assert (attack.wounded, attack.fatalities, attack.claimed_by) == (83, 2, "Ukrainian President")


def test_an_armed_clash_and_a_territorial_gain_at_one_place_and_date_stay_two_events():
    events = [
        _report(1, "Armed clash", "Nagorno-Karabakh", 3, 0.5),
        _report(2, "Government regains territory", "Nagorno-Karabakh", 3, 0.5),
    ]
    assert len(consolidate(events)) == 2


def test_a_protest_that_turned_violent_at_one_place_and_day_is_one_violent_demonstration():
    events = [
        _report(1, "Peaceful protest", "Plymouth", 4, 0.9),
        _report(2, "Violent demonstration", "Plymouth", 4, 0.4),
        _report(3, "Protest with intervention", "Plymouth", 4, 0.6),
        _report(4, "Peaceful protest", "Bristol", 4, 0.9),
    ]
    merged = consolidate(events)
    assert [(e.sub_event_type, e.location) for e in merged] == [
        ("Violent demonstration", "Plymouth"),
        ("Peaceful protest", "Bristol"),
    ]


def test_a_headline_joins_the_body_event_of_its_place_and_day_and_the_body_speaks():
    events = [
        _report(0, "Armed clash", "Aleppo", 4, 0.9),  # "Two Killed Three Injured in Terrorist Attack in Aleppo"
        _report(1, "Shelling/artillery/missile attack", "Aleppo", 4, 0.5),
        _report(2, "Air/drone strike", "Idlib", 4, 0.8),
    ]
    merged = consolidate(events, leads=frozenset({"e0"}))
    assert [(e.event_id, e.sub_event_type) for e in merged] == [
        ("e1", "Shelling/artillery/missile attack"),
        ("e2", "Air/drone strike"),
    ]
    assert consolidate(events) == events  # without the lead mark: different types stay apart


def _news(text: str, published: dt.date) -> Article:
    return Article(
        article_id="news",
        url="u",
        language="en",
        is_conflict=True,
        published=dt.datetime.combine(published, dt.time(), tzinfo=dt.timezone.utc),
        text=text,
    )


def test_an_incident_dated_weeks_before_the_article_is_background(extractor):
    text = (
        "Government warplanes struck Kafr Laha in Homs province on Sunday, killing five civilians.\n"
        "The regime carried out a massacre in Houla on May 25 2012 during which 108 people were killed."
    )
    events = extractor.extract(_news(text, dt.date(2017, 4, 24)))
    assert [e.event_date for e in events] == [dt.date(2017, 4, 23)]


def test_an_uncased_article_is_read_with_its_places_and_quoted_as_written(extractor):
    text = (
        "ahmedabad: one person was killed in police firing in ahmedabad on monday. "
        "a mob set fire to shops in vadodara on tuesday."
    )
    events = extractor.extract(_news(text, dt.date(2002, 3, 5)))
    assert {e.location for e in events} == {"Ahmedabad", "Vadodara"}
    assert {e.country for e in events} == {"IN"}
    assert all(e.evidence == e.evidence.lower() for e in events)


def test_a_dateline_day_is_no_casualty_count(extractor):
    text = "BEIRUT, March 7 (Reuters) - An Israeli tank fired two shells at journalists, killing one and wounding six."
    events = extractor.extract(_news(text, dt.date(2024, 3, 7)))
    assert [(e.fatalities, e.wounded) for e in events] == [(1, 6)]


def test_two_quarters_of_one_uncased_city_are_two_events_and_a_town_is_inherited(extractor):
    # IndiaPoliceEvents-style text (Times of India, lower-cased): coders code one event per quarter
    text = (
        "violence erupted in the tulsiwadi area of vadodara on monday night with mobs torching a godown. "
        "a rioting mob set fire to cabins and kiosks in the panigate area late on monday night."
    )
    events = extractor.extract(_news(text, dt.date(2002, 3, 26)))
    assert sorted((e.location, e.location_text) for e in events) == [
        ("Vadodara", "panigate"),
        ("Vadodara", "tulsiwadi"),
    ]
    # a word is no quarter: "the sensitive area of vadodara" names none
    text = "a mob set fire to shops in the sensitive area of vadodara on monday night."
    assert [e.location_text for e in extractor.extract(_news(text, dt.date(2002, 3, 26)))] == ["Vadodara"]


def test_a_recap_of_an_incident_two_weeks_old_is_background(extractor):
    text = (
        "Air strikes killed 21 civilians in Idlib on Sunday, the Observatory said.\n"
        "On May 31 Russian air strikes killed 23 civilians in Maarat al-Numan."
    )
    events = extractor.extract(_news(text, dt.date(2016, 6, 13)))
    assert [e.event_date for e in events] == [dt.date(2016, 6, 12)]


def test_a_scraped_dateline_neither_places_nor_dates_the_event_wrongly(extractor):
    # an article without metadata whose scraped dateline lost its punctuation (FA-KES, Jordan Times)
    text = (
        "Last updated at Oct 262016 BEIRUT Air strikes in Syria killed 22 people in the village of Hass in Idlib "
        "on Wednesday."
    )
    article = _news(text, dt.date(2016, 10, 26))._replace(published=None)
    events = extractor.extract(article)
    assert [(e.country, e.event_date) for e in events] == [("SY", dt.date(2016, 10, 26))]


def test_tear_gas_shells_are_crowd_control_and_a_bombardment_is_shelling_or_air(extractor):
    text = "Police lobbed teargas shells and fired rounds to disperse a rioting mob in Ahmedabad on Monday."
    events = extractor.extract(_news(text, dt.date(2002, 3, 26)))
    assert events and all(e.event_type != "Explosions/Remote violence" for e in events)
    text = "More than 100 civilians were killed in a regime bombardment of Idlib on Sunday."
    events = extractor.extract(_news(text, dt.date(2016, 9, 12)))
    assert [e.sub_event_type for e in events][:1] in (["Shelling/artillery/missile attack"], ["Air/drone strike"])


def test_another_kind_of_event_in_the_same_paragraph_is_an_event_of_its_own(extractor):
    text = (
        "Syrian warplanes kill five in Saraqib. "
        "Government warplanes struck Saraqib in Idlib province on Sunday, killing five civilians. "
        "Rebels then clashed with the army on the edge of the town, and two fighters were killed."
    )
    events = extractor.extract(_news(text, dt.date(2017, 4, 24)))
    assert sorted((e.event_type, e.location, e.fatalities) for e in events) == [
        ("Battles", "Saraqib", 2),
        ("Explosions/Remote violence", "Saraqib", 5),
    ]


def test_a_running_total_is_no_incident(extractor):
    # FA-KES fakes-0513 (SANA, 30 April 2016), its first sentences
    text = (
        "25 civilians killed 80 injured in rocket terrorist attacks on Aleppo city during the past 24 hours. "
        "25 civilians were killed and more than 80 others were injured due to terrorist attacks on residential "
        "neighborhoods in Aleppo city during the past 24 hours."
    )
    assert extractor.extract(_news(text, dt.date(2016, 4, 30))) == []


def test_a_strike_without_its_attacker_is_the_articles_one_foreign_strikers(extractor):
    # after the demo's India-Pakistan live blog (AP, 7 May 2025): the attacker is named paragraphs away
    text = (
        "Pakistan says a child was among the dead.\n\n"
        "India has said it fired missiles at nine sites.\n\n"
        "Schools were closed across Punjab province on Wednesday.\n\n"
        "One of the missiles hit a mosque in Muridke, a town near the eastern city of Lahore, killing three people."
    )
    events = extractor.extract(_news(text, dt.date(2025, 5, 7)))
    assert [(e.location, e.actor1, e.country) for e in events] == [("Muridke", "Military Forces of India", "PK")]
    # two states acting: no guess
    text += "\n\nPakistan said it struck Indian army posts along the Line of Control."
    events = extractor.extract(_news(text, dt.date(2025, 5, 7)))
    assert [(e.location, e.actor1) for e in events] == [("Muridke", None)]
