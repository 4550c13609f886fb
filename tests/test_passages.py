"""The learned decision of which sentences report an event that happened (transforms/passages.py)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from schemas import Article
from transforms.dates import leading_date
from transforms.events import EventExtractor, _without_dateline, passage_inputs
from transforms.geo import Geocoder, latin_name
from transforms.passages import PASSAGE_MODEL, PassageClassifier, passage_text


@pytest.fixture(scope="module")
def passages() -> PassageClassifier:
    return PassageClassifier.load()


# Sentences of the kinds the issue names, none of them in the model's training data.
REPORTED = [
    "Russian missiles struck a residential building in Kyiv overnight, killing three people and wounding 12.",
    "Government warplanes bombed a market in the town of Maarat al-Numan on Tuesday, killing at least 15 civilians.",
    "Police fired tear gas at thousands of protesters who marched on parliament on Saturday.",
    "A roadside bomb killed two soldiers on patrol near the town of Mir Ali, the army said.",
]
NOT_REPORTED = [
    "The drills will include air raid warning sirens and evacuation exercises in several cities.",
    "Pakistan reserves the right to respond at a time and place of its choosing, the statement said.",
    "The trial of the two men accused of the 2015 bombing resumed in a Paris court on Monday.",
    "The team's striker launched a devastating attack in the second half.",
]


def test_reported_events_pass_and_statements_plans_and_courts_do_not(passages):
    # (a diplomatic "protest" — "Pakistan summoned India's charge d'affaires to lodge a strong protest" — still
    # scores 0.44 and passes: docs/events.md lists it among the known misses)
    reported = passages.probabilities(passage_inputs(REPORTED, 2024))
    refused = passages.probabilities(passage_inputs(NOT_REPORTED, 2024))
    assert all(passages.reports(p) for p in reported), reported
    assert not any(passages.reports(p) for p in refused), refused
    assert reported.min() > refused.max()


def test_the_extractor_codes_the_reports_and_not_the_rest():
    extractor = EventExtractor()
    published = dt.datetime(2024, 5, 1, tzinfo=dt.timezone.utc)

    def coded(text: str) -> int:
        article = Article(article_id="t", url="u", text=text, language="en", is_conflict=True, published=published)
        return len(extractor.extract(article))

    assert [coded(t) for t in REPORTED] == [1] * len(REPORTED)
    assert [coded(t) for t in NOT_REPORTED] == [0] * len(NOT_REPORTED)


def test_markers_are_appended_only_when_they_hold():
    plain = passage_text("Soldiers were killed.", figure=False, statement=False, year=2024)
    assert plain == "Soldiers were killed."
    marked = passage_text('"They died in 2019," he said.', figure=True, statement=True, year=2024)
    assert marked.split()[-4:] == ["zzquoted", "zzfigure", "zzstatement", "zzearlieryear"]
    assert "zzearlieryear" not in passage_text("In 2024 they fought.", figure=False, statement=False, year=2024)


def test_an_earlier_year_lowers_the_probability_of_the_same_sentence(passages):
    sentence = "Militants attacked the town, killing 40 people."
    now, then = passages.probabilities(
        [
            passage_text(sentence, figure=True, statement=False, year=None),
            passage_text(sentence + " in 2011", figure=True, statement=False, year=2024),
        ]
    )
    assert then < now


def test_the_artefact_is_plain_arrays():
    with np.load(PASSAGE_MODEL, allow_pickle=False) as data:
        assert {"buckets", "idf", "coef", "intercept", "calibration", "threshold"} <= set(data.files)
        assert 0.0 < float(data["threshold"]) < 1.0


def test_a_missing_model_file_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match="passage model"):
        PassageClassifier(tmp_path / "absent.npz")


@pytest.mark.parametrize(
    "text, rest",
    [
        ("BEIRUT/THE HAGUE, March 7 (Reuters) - An Israeli tank fired", "An Israeli tank fired"),
        ("KYIV, Ukraine (AP) — Russia hit Kyiv", "Russia hit Kyiv"),
        ("Wed 05 Apr 2017 Syria attack symptoms", "Syria attack symptoms"),
        ("The army said on Monday", "The army said on Monday"),
    ],
)
def test_a_dateline_is_not_read_as_the_place_of_the_event(text, rest):
    assert _without_dateline(text) == rest


def test_a_leading_date_is_the_filing_date():
    assert leading_date("15-09-2013 Militants Attack Syria's Idlib") == dt.date(2013, 9, 15)
    assert leading_date("Sunday 27 Apr 2014 At least 21 killed") == dt.date(2014, 4, 27)
    assert leading_date("The army said on Monday 5 May that") is None


def test_a_person_with_an_age_is_not_a_place():
    gazetteer = Geocoder.load().gazetteer
    assert gazetteer.mentions("Abu Hassan Amer, 44, agreed.") == []
    assert [m.text for m in gazetteer.mentions("Shelling hit Hassan on Monday.")] == ["Hassan"]
    assert [m.country for m in gazetteer.mentions("The President of Ukraine spoke.")] == ["UA"]


def test_a_syrian_town_gets_its_governorate_and_an_ascii_name():
    geocoder = Geocoder.load()
    text = "Air strikes hit Akhtarin in northern Syria on Sunday."
    place = geocoder.resolve(text, geocoder.context(text))
    assert (place.location, place.country, place.admin1) == ("Akhtarin", "SY", "Aleppo")
    assert latin_name("‘Arīqah") == "Ariqah"
    assert latin_name("Кременчук") == "Кременчук"


def test_a_word_that_is_a_hamlet_in_a_country_named_in_passing_is_not_a_place():
    geocoder = Geocoder.load()
    text = (
        "Syrian warplanes struck Idlib. Syrian troops advanced near Aleppo. The US-led coalition said Syria's "
        "government was to blame. Arab states condemned the attack on the Syrian town."
    )
    places = [m.country for m in geocoder.gazetteer.mentions(text, geocoder.context(text).countries)]
    assert "US" not in places[2:]
