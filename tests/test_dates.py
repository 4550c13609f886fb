from __future__ import annotations

import datetime as dt

from transforms.dates import DAY, MONTH, WEEK, default_date, find_dates, resolve_date

PUBLISHED = dt.date(2022, 8, 4)  # a Thursday


def test_weekday_means_the_most_recent_such_day_on_or_before_publication():
    assert resolve_date("came under fire on Wednesday morning", PUBLISHED) == (
        dt.date(2022, 8, 3),
        DAY,
        "on Wednesday morning",
    )
    assert resolve_date("clashes on Thursday", PUBLISHED).date == PUBLISHED
    assert resolve_date("Monday night", PUBLISHED).date == dt.date(2022, 8, 1)
    assert resolve_date("last Thursday", PUBLISHED).date == dt.date(2022, 7, 28)


def test_relative_words_resolve_against_publication():
    assert resolve_date("yesterday", PUBLISHED).date == dt.date(2022, 8, 3)
    assert resolve_date("two days ago", PUBLISHED).date == dt.date(2022, 8, 2)
    last_week = resolve_date("fighting last week", PUBLISHED)
    assert (last_week.date, last_week.precision) == (dt.date(2022, 7, 28), WEEK)
    assert resolve_date("earlier this month", PUBLISHED).precision == MONTH


def test_day_and_month_without_year_never_lands_after_publication():
    assert resolve_date("on 3 August", PUBLISHED).date == dt.date(2022, 8, 3)
    assert resolve_date("killed on September 15", PUBLISHED).date == dt.date(2021, 9, 15)
    assert resolve_date("on March 8, 2019", PUBLISHED).date == dt.date(2019, 3, 8)


def test_fetch_time_anchor_makes_dates_coarser():
    mention = resolve_date("on Wednesday", PUBLISHED, anchor_is_publication=False)
    assert mention.date == dt.date(2022, 8, 3) and mention.precision == WEEK
    assert default_date(PUBLISHED, anchor_is_publication=False).precision == MONTH


def test_weekday_inside_a_name_is_not_a_date():
    assert find_dates("the Good Friday agreement", PUBLISHED) == []


def test_a_dateline_after_the_headline_dates_an_article_without_metadata():
    from transforms.dates import leading_date

    text = "9 dead as new Islamist alliance attacks Syrias Aleppo Monitor AFP Thursday 2 Jul 2015 At least nine people"
    assert leading_date(text) == dt.date(2015, 7, 2)
    # far from the head, a month alone is background, not the dateline
    background = "Rebels who have fought the army since the uprising began took the town back this week, as they had "
    assert leading_date(background + "in March 2011") is None
