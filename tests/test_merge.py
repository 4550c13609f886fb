"""Cross-outlet event merging: one event per real-world event, every source's claim kept, ids stable."""

from __future__ import annotations

import datetime as dt
import random

import apache_beam as beam
from apache_beam.testing.util import assert_that

from schemas import EVENTS, Event
from transforms.merge import MergeEvents, latest_rows, merge_events, same_event

UTC = dt.timezone.utc


def report(
    article: str,
    n: int = 0,
    *,
    day: int = 10,
    hour: int = 8,
    location: str | None = "Kramatorsk",
    lat: float | None = 48.72,
    lon: float | None = 37.56,
    precision: int = 1,
    event_type: str = "Explosions/Remote violence",
    country: str = "UA",
    admin1: str | None = "Donetsk",
    fatalities: int | None = None,
    claimed_by: str | None = None,
    evidence: str = "A missile struck the railway station.",
    sub_event_type: str | None = None,
    date_precision: int | None = None,
    published: bool = True,
) -> Event:
    return Event(
        event_id=f"{article}-e{n}",
        article_id=article,
        event_type=event_type,
        sub_event_type=sub_event_type,
        event_date=dt.date(2024, 5, day),
        date_precision=date_precision,
        country=country,
        admin1=admin1,
        location=location,
        latitude=lat,
        longitude=lon,
        geo_precision=precision,
        fatalities=fatalities,
        claimed_by=claimed_by,
        casualty_text=f"{fatalities} killed" if fatalities is not None else None,
        evidence=evidence,
        published=dt.datetime(2024, 5, day, hour, tzinfo=UTC) if published else None,
        source_article_ids=[article],
    )


def test_three_outlets_reporting_one_strike_become_one_event_keeping_each_claim():
    reports = [
        report("reuters", fatalities=50, claimed_by="Ukrainian officials", hour=9),
        report("ap", fatalities=52, claimed_by="regional governor", hour=8),
        report("tass", fatalities=None, hour=11, location="Kramatorsk", lat=48.73, lon=37.55),
    ]
    merged = merge_events(reports)
    assert len(merged) == 1
    event = merged[0]
    assert event.event_id == "ap-e0"  # the earliest report's own id
    assert event.source_count == 3
    assert event.source_article_ids == ["ap", "reuters", "tass"]
    assert [(c["source_article_id"], c["fatalities"]) for c in event.claims] == [("ap", 52), ("reuters", 50)]
    assert event.fatalities == 52 and event.claimed_by == "regional governor"
    assert EVENTS.validate(event) == []


def test_different_places_days_types_or_countries_stay_separate_events():
    base = report("a")
    others = [
        report("b", location="Kharkiv", lat=49.99, lon=36.23),
        report("c", day=14),
        report("d", event_type="Protests"),
        report("e", country="RU", location="Belgorod", lat=50.6, lon=36.6, admin1="Belgorod"),
    ]
    assert not any(same_event(base, other) for other in others)
    assert len(merge_events([base, *others])) == 5


def test_two_events_of_one_article_are_never_merged():
    first, second = report("a", 0), report("a", 1)
    assert len(merge_events([first, second])) == 2


def test_region_level_reports_merge_only_when_their_wording_agrees():
    vague = dict(location=None, lat=None, lon=None, precision=3)
    a = report("a", evidence="Militants attacked a police post in Kunar province, killing four officers.", **vague)
    b = report("b", evidence="Four police officers were killed when militants attacked a post in Kunar.", **vague)
    c = report("c", evidence="Protesters blocked the highway demanding fuel subsidies.", **vague)
    assert same_event(a, b)
    assert not same_event(a, c)


def test_ids_do_not_depend_on_the_order_reports_arrive_in():
    reports = [report(f"s{i}", hour=i) for i in range(6)] + [report("x", location="Odesa", lat=46.48, lon=30.72)]
    expected = sorted((e.event_id, tuple(e.source_article_ids)) for e in merge_events(reports))
    for seed in range(5):
        shuffled = list(reports)
        random.Random(seed).shuffle(shuffled)
        assert sorted((e.event_id, tuple(e.source_article_ids)) for e in merge_events(shuffled)) == expected


def test_a_later_report_joins_the_event_an_earlier_run_recorded_under_its_id():
    earlier = merge_events([report("first", fatalities=3, claimed_by="police", day=10)])[0]
    earlier = earlier._replace(run_id="r1", extracted_at=dt.datetime(2024, 5, 10, 12, tzinfo=UTC))
    late = report("later", day=11, fatalities=4, claimed_by="hospital", hour=1)
    # An earlier-published report arriving later must still not take over the recorded id.
    updated = merge_events([late], earlier=[earlier])
    assert [e.event_id for e in updated] == ["first-e0"]
    assert updated[0].source_article_ids == ["first", "later"]
    assert [c["claimed_by"] for c in updated[0].claims] == ["police", "hospital"]
    untouched = merge_events([report("elsewhere", location="Lviv", lat=49.84, lon=24.03)], earlier=[earlier])
    assert [e.event_id for e in untouched] == ["elsewhere-e0"]  # the earlier event is not rewritten


def test_readers_take_the_latest_version_of_a_rewritten_event():
    old = report("a")._replace(run_id="r1", extracted_at=dt.datetime(2024, 5, 10, tzinfo=UTC), source_count=1)
    new = old._replace(run_id="r2", extracted_at=dt.datetime(2024, 5, 11, tzinfo=UTC), source_count=2)
    assert latest_rows([new, old]) == [new]


def test_merge_transform_merges_within_a_run_and_into_earlier_events():
    earlier = report("old", day=9)._replace(run_id="r0", extracted_at=dt.datetime(2024, 5, 9, tzinfo=UTC))
    new = [
        report("n1", day=10),
        report("n2", day=10, hour=9),
        report("far", country="SY", location="Idlib", lat=35.93, lon=36.63, admin1="Idlib"),
    ]

    def check(rows):
        got = sorted((r.event_id, tuple(r.source_article_ids), r.run_id) for r in rows)
        assert got == [("far-e0", ("far",), "r1"), ("old-e0", ("old", "n1", "n2"), "r1")], got

    with beam.Pipeline(runner="FnApiRunner") as p:
        earlier_pc = p | "Earlier" >> beam.Create([earlier])
        merged = p | beam.Create(new) | MergeEvents(earlier=earlier_pc, run_id="r1")
        assert_that(merged, check)


def test_reports_whose_tolls_are_far_apart_or_that_name_different_quarters_are_not_merged():
    import datetime as _dt

    from schemas import Event
    from transforms.merge import same_event

    def report(article, killed, written):
        return Event(
            event_id=f"{article}-1",
            article_id=article,
            event_type="Explosions/Remote violence",
            sub_event_type="Shelling/artillery/missile attack",
            event_date=_dt.date(2016, 4, 29),
            location="Aleppo",
            location_text=written,
            country="SY",
            geo_precision=1,
            latitude=36.2,
            longitude=37.16,
            fatalities=killed,
            evidence="Rebel shells hit the city killing civilians",
        )

    assert same_event(report("a", 12, "Aleppo"), report("b", 15, "Aleppo"))
    assert not same_event(report("a", 3, "Aleppo"), report("b", 25, "Aleppo"))
    assert not same_event(report("a", 9, "Bab al-Faraj"), report("b", 9, "Salaheddine"))


def test_a_bomb_blast_and_an_air_raid_on_one_town_and_day_are_two_incidents():
    blast = report("a", sub_event_type="Remote explosive/landmine/IED", fatalities=6)
    car_bomb = report("b", sub_event_type="Suicide bomb", fatalities=5)
    raid = report("c", sub_event_type="Air/drone strike", fatalities=6)
    shelling = report("d", sub_event_type="Shelling/artillery/missile attack", fatalities=6)
    assert same_event(blast, car_bomb)  # outlets call one car bomb either
    assert same_event(raid, shelling)  # "air strikes and shelling"
    assert not same_event(blast, raid)


def test_a_date_guessed_from_the_fetch_day_never_matches():
    # no publication date: "on Wednesday" was resolved against the day the page was read (week precision), or no
    # day was named at all (month): an old article read today must not meet today's news
    old = report("old", published=False, date_precision=2)
    assert not same_event(old, report("new"))
    assert not same_event(report("old", published=True, date_precision=3), report("new"))
    assert same_event(report("old", published=True, date_precision=2), report("new"))


def test_in_a_big_city_only_the_same_day_and_agreeing_tolls_make_one_incident():
    def aleppo(article, day, killed, evidence=None):
        evidence = evidence or {"a": "Shells hit a neighbourhood of the city", "b": "Mortars fell on homes"}[article]
        return report(
            article,
            day=day,
            location="Aleppo",
            lat=36.2,
            lon=37.16,
            country="SY",
            admin1="Aleppo",
            fatalities=killed,
            evidence=evidence,
            sub_event_type="Shelling/artillery/missile attack",
        )

    assert same_event(aleppo("a", 10, 12), aleppo("b", 10, 15))
    assert not same_event(aleppo("a", 10, 12), aleppo("b", 11, 15))  # several incidents a day in a city of 2 million
    assert not same_event(aleppo("a", 10, 12), aleppo("b", 10, None))
    wire = "Rebel rocket fire on the government-held al-Midan district of Aleppo killed civilians, state media said"
    assert same_event(aleppo("a", 10, 12, wire), aleppo("b", 11, None, wire))  # one wire story, reworded little
    # a town is not a city of millions: there a day's gap and a missing toll still merge
    assert same_event(report("a", day=10, fatalities=3), report("b", day=11))
