from __future__ import annotations

import pytest

from transforms.actors import AGENT, CIVILIANS, STATE_FORCES, TARGET, ActorLexicon, assign_actors, canonical_claimer


@pytest.fixture(scope="module")
def lexicon() -> ActorLexicon:
    return ActorLexicon.load()


def test_state_forces_are_named_from_the_country_adjective(lexicon):
    [actor] = lexicon.find("Azerbaijani positions came under small arms fire")
    assert (actor.name, actor.type, actor.country, actor.role) == (
        "Military Forces of Azerbaijan",
        STATE_FORCES,
        "AZ",
        TARGET,
    )


def test_the_one_after_by_acts(lexicon):
    text = "Kazimov was fatally shot by irregular forces fighting for the Republic of Artsakh"
    actors = lexicon.find(text, article_text=text)
    assert ("Artsakh irregular forces", AGENT) in [(a.name, a.role) for a in actors]


def test_generic_wording_needs_its_conflict_in_the_article(lexicon):
    assert all(a.name != "Artsakh irregular forces" for a in lexicon.find("irregular forces attacked a convoy"))


def test_named_group_and_police_in_a_south_asian_summary(lexicon):
    text = "Three Tehreek e Taliban Pakistan (TTP) militants were shot dead and one Policeman was injured in Karachi"
    actor1, actor2 = assign_actors(lexicon.find(text, country="PK"), "Armed clash")
    assert actor1.name == "TTP: Tehreek-i-Taliban Pakistan"
    assert actor2.name == "Police Forces of Pakistan"


def test_civilian_victims_are_actor2_of_an_attack(lexicon):
    actor1, actor2 = assign_actors(lexicon.find("Gunmen opened fire on villagers", country="NG"), "Attack")
    assert actor1.name == "Unidentified Armed Group (Nigeria)"
    assert (actor2.name, actor2.type) == ("Civilians (Nigeria)", CIVILIANS)


def test_capital_and_bare_ministry_become_the_quoted_ministry(lexicon):
    article = "Azerbaijan’s defense ministry claimed on Wednesday ..."
    assert canonical_claimer("Baku", lexicon, article) == "Azerbaijani Defence Ministry"
    assert canonical_claimer("the Defence Ministry", lexicon, article) == "Azerbaijani Defence Ministry"
    assert canonical_claimer("Artsakh Defense Army", lexicon, article) == "Artsakh Defense Army"


def test_a_country_that_fires_and_a_states_weapons_act_and_a_speaker_does_not(lexicon):
    shelling = "Shelling/artillery/missile attack"
    text = "Indian army says Pakistan fired artillery along the Line of Control."
    actor1, actor2 = assign_actors(lexicon.find(text), shelling)
    assert (actor1.name, actor2.name) == ("Military Forces of Pakistan", "Military Forces of India")
    text = "Indian police said at least seven civilians were killed and 30 others wounded in the Pakistani firing."
    actor1, actor2 = assign_actors(lexicon.find(text), shelling)
    assert (actor1.name, actor2.name) == ("Military Forces of Pakistan", "Civilians")
