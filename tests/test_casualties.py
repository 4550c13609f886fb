from __future__ import annotations

from transforms.casualties import find_casualties, find_claimer, word_to_number


def test_number_words_and_digits_are_counts():
    assert [word_to_number(w) for w in ("14", "two", "a dozen", "twenty-one", "1,200")] == [14, 2, 12, 21, 1200]


def test_killed_and_wounded_in_one_phrase_are_one_claim():
    [claim] = find_casualties(
        "A spokesperson for the Artsakh Defense Army claims that two of its servicemen were "
        "killed by Azerbaijani fire, with an additional 14 wounded."
    )
    assert (claim.fatalities, claim.wounded, claim.vague) == (2, 14, False)
    [claim] = find_casualties("At least eight people were killed and 11 others were injured when a suicide bomber")
    assert (claim.fatalities, claim.wounded) == (8, 11)


def test_vague_amounts_are_flagged_and_counted_as_acled_codes_them():
    # mixed "killed or wounded": no figure for either (coding guide, rule 4)
    [claim] = find_casualties("it is claimed that “dozens” of “illegal militants” were killed or wounded")
    assert claim.vague and claim.fatalities is None and claim.wounded is None
    assert claim.text == "“dozens” of “illegal militants” were killed or wounded"
    # "dozens" is 12, "scores" 20, "hundreds" 100, "several" 3: flagged vague
    assert [(c.fatalities, c.vague) for c in find_casualties("Air strikes hit the market, killing dozens")] == [
        (12, True)
    ]
    assert [(c.wounded, c.vague) for c in find_casualties("Scores of people were wounded")] == [(20, True)]
    assert [(c.fatalities, c.vague) for c in find_casualties("Several soldiers were killed")] == [(3, True)]
    assert find_casualties("Dozens of terrorists were arrested") == []


def test_object_counts_after_the_verb():
    assert find_casualties("The US warplanes pounded the village, killing 6 civilians")[0].fatalities == 6
    assert find_casualties("The police returned fire and killed three militants")[0].fatalities == 3


def test_a_singular_victim_counts_one_and_a_back_reference_counts_nothing():
    assert (
        find_casualties("Baku identified an Azerbaijani soldier killed after positions came under fire")[0].fatalities
        == 1
    )
    assert find_casualties("conducted an operation following the death of an Azerbaijani soldier") == []


def test_claimer_is_who_the_sentence_attributes_the_figure_to():
    assert (
        find_claimer("A spokesperson for the Artsakh Defense Army claims that two were killed")
        == "Artsakh Defense Army"
    )
    assert find_claimer("Five were killed, according to local police.") == "local police"
    assert (
        find_claimer("Kazimov was fatally shot in what the Defence Ministry described as a provocation")
        == "Defence Ministry"
    )
    assert find_claimer("Three militants were killed in the forest.") is None


def test_years_days_of_the_month_and_thousands_are_read_as_what_they_are():
    def figures(text):
        return [(c.fatalities, c.wounded, c.vague) for c in find_casualties(text)]

    assert figures("04-04-2016 Two Killed Three Injured in Terrorist Attack") == [(2, 3, False)]
    assert figures("Sunday 29 Jun 2014 Ten fighters were killed") == [(10, None, False)]
    assert figures("Last updated at Oct 262016 BEIRUT Air strikes killed 20 people") == [(20, None, False)]
    assert figures("At least 1,200 people were killed") == [(1200, None, False)]
    assert figures("Three people, including an activist, were killed") == [(3, None, False)]


def test_a_toll_is_no_single_victim():
    text = "They were among 39 people who died in the attack, a toll of 31 killed and 74 wounded."
    assert [(c.fatalities, c.wounded) for c in find_casualties(text)] == [(39, None), (31, 74)]
