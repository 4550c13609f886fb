"""The ACLED taxonomy: exact codebook names, the sub-type -> event type -> disorder type maps, the CASE 2021 map."""

from __future__ import annotations

import pytest

from tests.conftest import shared_path
from transforms import acled


def test_taxonomy_has_3_disorder_6_event_and_25_sub_event_types():
    assert len(acled.DISORDER_TYPES) == 3
    assert len(acled.EVENT_TYPES) == 6
    assert len(acled.SUB_EVENT_TYPES) == 25
    assert set(acled.SUB_EVENT_TYPES.values()) == set(acled.EVENT_TYPES)


def test_sub_event_types_per_event_type_follow_the_codebook():
    counts = {event_type: 0 for event_type in acled.EVENT_TYPES}
    for event_type in acled.SUB_EVENT_TYPES.values():
        counts[event_type] += 1
    assert counts == {
        "Battles": 3,
        "Explosions/Remote violence": 6,
        "Violence against civilians": 3,
        "Protests": 3,
        "Riots": 2,
        "Strategic developments": 8,
    }


@pytest.mark.parametrize(
    ("sub_event_type", "event_type"),
    [
        ("Armed clash", "Battles"),
        ("Non-state actor overtakes territory", "Battles"),
        ("Air/drone strike", "Explosions/Remote violence"),
        ("Shelling/artillery/missile attack", "Explosions/Remote violence"),
        ("Remote explosive/landmine/IED", "Explosions/Remote violence"),
        ("Attack", "Violence against civilians"),
        ("Abduction/forced disappearance", "Violence against civilians"),
        ("Peaceful protest", "Protests"),
        ("Excessive force against protesters", "Protests"),
        ("Mob violence", "Riots"),
        ("Violent demonstration", "Riots"),
        ("Arrests", "Strategic developments"),
        ("Looting/property destruction", "Strategic developments"),
        ("Headquarters or base established", "Strategic developments"),
    ],
)
def test_sub_event_type_maps_to_its_codebook_event_type(sub_event_type, event_type):
    assert acled.SUB_EVENT_TYPES[sub_event_type] == event_type
    assert acled.event_type(sub_event_type) == event_type


@pytest.mark.parametrize(
    ("event_type", "sub_event_type", "disorder"),
    [
        ("Battles", None, "Political violence"),
        ("Explosions/Remote violence", "Suicide bomb", "Political violence"),
        ("Violence against civilians", None, "Political violence"),
        ("Protests", "Peaceful protest", "Demonstrations"),
        ("Protests", "Excessive force against protesters", "Political violence; Demonstrations"),
        ("Riots", "Violent demonstration", "Demonstrations"),
        ("Riots", "Mob violence", "Political violence"),
        ("Strategic developments", "Agreement", "Strategic developments"),
    ],
)
def test_disorder_type_follows_event_type_refined_by_sub_type(event_type, sub_event_type, disorder):
    assert acled.disorder_type(event_type, sub_event_type) == disorder


def test_disorder_type_rejects_a_sub_type_of_another_event_type():
    with pytest.raises(ValueError):
        acled.disorder_type("Battles", "Peaceful protest")


def test_case2021_map_is_one_to_one_onto_the_25_sub_types():
    acled_values = [v for v in acled.CASE2021_TO_ACLED.values() if v is not None]
    assert sorted(acled_values) == sorted(acled.SUB_EVENT_TYPES)


def test_case2021_non_acled_types_map_to_none():
    for label in ("ORG_CRIME", "NATURAL_DISASTER", "MAN_MADE_DISASTER", "DIPLO", "ATTRIB"):
        assert acled.CASE2021_TO_ACLED[label] is None


def test_case2021_map_covers_every_upstream_label():
    listing = shared_path("case2021-task2-event-types", "event_types.txt").read_text(encoding="utf-8")
    upstream = {line.strip() for line in listing.splitlines() if line.strip().isupper() and " " not in line.strip()}
    assert len(upstream) == 30
    assert upstream == set(acled.CASE2021_TO_ACLED)
