"""Places named in a language other than English: native scripts and local spellings.

"у Кременчуці", "Ստեփանակերտում", "بحلب", "Halep'te", "d'Alep": the gazetteer's English path reads capitalised
Latin runs and folds them to ASCII keys. Here the same towns are found by every name GeoNames gives them
(`data/towns_native.tsv.gz`, built with towns.tsv.gz by training/build_gazetteer.py), countries and first-level
subdivisions by their names in the language (pycountry's own translations of ISO 3166, which ship in its wheel,
plus `data/<code>/places_countries.tsv` for the short names the press uses: "Сирия", not "Сирийская Арабская
Республика"), and contested places by the alias table, which lists their native forms.

What each language needs is data in `data/<code>/` (read through `transforms.lexicon`):
- `places.tsv`: how a name is inflected in running text, as rules tried on each word: `suffix <form> <repl,...>`
  ("Кременчуці" -> "Кременчук" is `suffix ці к`), `prefix <form> <repl,...>` (Arabic's attached "ب", "و", "بال"),
  and `cut <char>` (Turkish "Halep'te": the name ends at the apostrophe). An empty replacement drops the affix.
- `places_not.txt`: words of the language that are also some town's name ("мир", "Мира"), never taken as places.
- `places_countries.tsv`: `name <TAB> ISO2`, the country names the press writes.

A language with no folder still gets its towns' native names, its countries' ISO names and the alias table.
"""

from __future__ import annotations

import gzip
import itertools
import os
import re
import threading
from collections import Counter
from functools import cached_property
from typing import TYPE_CHECKING

from transforms.lexicon import Lexicon

if TYPE_CHECKING:
    from transforms.geo import Gazetteer, Mention

# A word of any script, with inner hyphens and apostrophes ("Kamianets-Podilskyi", "Halep'te", "d'Alep").
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# Scripts without letter case: a name there cannot be told by its capital.
_UNCASED_SCRIPTS = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u0590-\u05FF\u0900-\u0DFF\u1200-\u137F\u0E00-\u0FFF]")
_ELIDED = re.compile(r"^[^\W\d_]{1,2}['’](?=[^\W\d_])")
_MAX_FORMS = 6  # candidate spellings tried per word
_MIN_KEY = 3


class NativeTowns:
    """Folded non-ASCII alternate name -> rows of the town index; read once per process, on first need."""

    _lock = threading.Lock()
    _rows: dict[str, str] | None = None

    @classmethod
    def rows(cls, key: str) -> tuple[int, ...]:
        if cls._rows is None:
            with cls._lock:
                if cls._rows is None:
                    cls._rows = cls._read()
        value = cls._rows.get(key)
        return tuple(int(r) for r in value.split("|")) if value else ()

    @staticmethod
    def _read() -> dict[str, str]:
        from transforms.geo import NATIVE_TOWNS_TABLE

        rows: dict[str, str] = {}
        with gzip.open(NATIVE_TOWNS_TABLE, "rt", encoding="utf-8", newline="\n") as handle:
            for line in handle:
                if not line.startswith("#"):
                    key, _, value = line.rstrip("\n").partition("\t")
                    rows[key] = value
        return rows


class NativeNames:
    """One language's countries, subdivisions and inflection rules, built on first use."""

    _cache: dict[str, NativeNames] = {}
    _lock = threading.Lock()

    def __init__(self, code: str, fold) -> None:  # noqa: ANN001
        self.code = code
        self.fold = fold
        self.lexicon = Lexicon.for_language(code)

    @classmethod
    def for_language(cls, code: str, fold) -> NativeNames:  # noqa: ANN001
        with cls._lock:
            if code not in cls._cache:
                cls._cache[code] = cls(code, fold)
            return cls._cache[code]

    def _translations(self, domain: str):  # noqa: ANN202
        import gettext

        import pycountry

        try:
            return gettext.translation(
                domain, os.path.join(os.path.dirname(pycountry.__file__), "locales"), languages=[self.code]
            )
        except OSError:
            return None

    @cached_property
    def countries(self) -> dict[str, str]:
        """Folded country name in this language -> ISO2."""
        import pycountry

        names: dict[str, str] = {}
        table = self._translations("iso3166-1")
        if table is not None:
            for country in pycountry.countries:
                for attr in ("name", "common_name", "official_name"):
                    value = getattr(country, attr, None)
                    if value and table.gettext(value) != value:
                        names.setdefault(self.fold(table.gettext(value)), country.alpha_2)
        for row in self.lexicon.table("places_countries"):
            if len(row) >= 2:
                names[self.fold(row[0])] = row[1].upper()
        return names

    @cached_property
    def regions(self) -> dict[str, object]:
        """Folded first-level subdivision name in this language -> its Region (English name)."""
        import pycountry

        from transforms.geo import Region

        table = self._translations("iso3166-2")
        found: dict[str, object] = {}
        if table is None:
            return found
        for sub in pycountry.subdivisions:
            if sub.parent_code:
                continue
            translated = table.gettext(sub.name)
            if translated != sub.name:
                found.setdefault(self.fold(translated), Region(sub.name, sub.country_code, sub.type))
        return found

    @cached_property
    def not_places(self) -> frozenset[str]:
        return frozenset(self.fold(w) for w in self.lexicon.words("places_not"))

    @cached_property
    def _rules(self) -> tuple[list[tuple[str, list[str]]], list[tuple[str, list[str]]], str]:
        suffixes, prefixes, cuts = [], [], ""
        for row in self.lexicon.table("places"):
            kind, form = row[0], row[1] if len(row) > 1 else ""
            replacements = row[2].split(",") if len(row) > 2 else [""]
            if kind == "suffix" and form:
                suffixes.append((form, replacements))
            elif kind == "prefix" and form:
                prefixes.append((form, replacements))
            elif kind == "cut" and form:
                cuts += form
        suffixes.sort(key=lambda r: -len(r[0]))
        prefixes.sort(key=lambda r: -len(r[0]))
        return suffixes, prefixes, cuts

    def forms(self, word: str) -> list[str]:
        """The spellings a word may stand for: itself, then with an inflection undone."""
        suffixes, prefixes, cuts = self._rules
        forms = [word]
        for char in cuts:
            if char in word[1:]:
                forms.append(word[: word.index(char, 1)])
        stems = list(forms)
        for stem in stems:
            for form, replacements in prefixes:
                if stem.startswith(form) and len(stem) - len(form) >= _MIN_KEY:
                    forms.extend(r + stem[len(form) :] for r in replacements)
        for stem in list(forms):
            for form, replacements in suffixes:
                if stem.endswith(form) and len(stem) - len(form) >= _MIN_KEY - 1:
                    forms.extend(stem[: len(stem) - len(form)] + r for r in replacements)
        unique = list(dict.fromkeys(forms))
        return unique[:_MAX_FORMS]


def native_mentions(
    gazetteer: Gazetteer, text: str, language: str, countries: Counter[str] | None = None
) -> list[Mention]:
    """Every place named in `text` (written in `language`), longest names first, without overlaps, in order."""
    from transforms.geo import fold

    countries = countries if countries is not None else Counter()
    names = NativeNames.for_language(language, fold)
    found: list[Mention] = []
    taken: list[tuple[int, int]] = []
    if not _UNCASED_SCRIPTS.search(text) and re.search(r"[A-Za-z]{3}", text):
        # Latin-script languages also name places as English does ("à Kharkiv", "in Charkiw")
        for m in gazetteer.mentions(text, countries):
            if fold(m.text) not in names.not_places:
                found.append(m)
                taken.append((m.start, m.end))
    words = list(_WORD.finditer(text))
    i = 0
    while i < len(words):
        matched = False
        for n in range(min(3, len(words) - i), 0, -1):
            run = words[i : i + n]
            start, end = run[0].start(), run[-1].end()
            if any(text[a.end() : b.start()] not in (" ", "-") for a, b in zip(run, run[1:], strict=False)):
                continue
            if not all(end <= s or start >= e for s, e in taken):
                continue
            first = _ELIDED.sub("", run[0].group(0))  # "d'Alep": the name after the elided article
            cased = first[0].lower() != first[0].upper()
            if cased and not first[0].isupper():
                continue  # a name starts with a capital in a script that has them
            mention = _lookup(gazetteer, names, text, run, start, end, countries)
            if mention is not None:
                found.append(mention)
                taken.append((start, end))
                i += n
                matched = True
                break
        if not matched:
            i += 1
    found.sort(key=lambda m: m.start)
    return found


def _lookup(gazetteer, names, text, run, start, end, countries):  # noqa: ANN001, ANN202
    from transforms.geo import COUNTRY, REGION, TOWN, Mention, fold

    per_word = [[fold(f) for f in names.forms(w.group(0))] for w in run]
    written = text[start:end]
    for combo in itertools.islice(itertools.product(*per_word), 24):
        key = " ".join(combo)
        if len(key) < _MIN_KEY or (len(run) == 1 and (key in names.not_places or key in gazetteer.not_places)):
            continue
        iso = names.countries.get(key)
        if iso is not None:
            return Mention(COUNTRY, COUNTRY, written, start, end, iso, None)
        alias = gazetteer.aliases.get(key)
        if alias is not None:
            return Mention(alias.kind, "alias", written, start, end, alias.country, alias)
        region = names.regions.get(key)
        if region is not None:
            return Mention(REGION, "subdivision", written, start, end, region.country, region)
        town = _town(gazetteer, key, countries)
        if town is not None:
            return Mention(TOWN, "gazetteer", written, start, end, town.country, town)
    return None


def _town(gazetteer, key, countries):  # noqa: ANN001, ANN202
    """The town a native name stands for: one of the article's countries first; abroad, only a large town."""
    options = [t for row in NativeTowns.rows(key) if (t := gazetteer.towns.row(row)) is not None]
    if key.isascii():
        options += gazetteer.towns.get(key, [])
    if not options:
        return None
    in_context = [t for t in options if t.country in countries]
    if in_context:
        top = max(countries.values())
        main = [t for t in in_context if 2 * countries[t.country] >= top]
        notable = [t for t in in_context if t.population >= gazetteer.settings.passing_country_min_population]
        if main or notable:
            return max(main or notable, key=lambda t: (countries[t.country], t.population))
    floor = gazetteer.settings.foreign_town_min_population
    big = [t for t in options if t.population >= floor]
    return max(big, key=lambda t: t.population) if big else None
