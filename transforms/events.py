"""Event extraction: from a conflict article to ACLED-style events, one per reported incident.

How an article becomes events (English only for now; other languages yield none and are counted):
1. The text is split into sentences (`transforms.sentences`); statements of concern, calls and threats are skipped.
2. Each sentence gets a sub-event type from the shared classifier (`transforms.classify.SubEventClassifier`). Where the
   sentence carries an explicit trigger ("small arms fire", "drone strike", "in control of"), the classifier's choice
   is restricted to the types that trigger allows; where it reports a casualty figure, a weaker best guess is kept.
   `confidence` is always the classifier's own probability for the chosen type.
3. A sentence that names no place of its own continues the event before it in the same paragraph (its casualties,
   actors and claims join that event); a sentence that names a place starts a new event.
4. Events of the same sub-event type in neighbouring paragraphs, the later one placed only by fallback, are merged.
5. Places (`transforms.geo`), dates (`transforms.dates`), casualties and who claims them (`transforms.casualties`) and
   actors (`transforms.actors`) fill the fields; every casualty figure is kept as a claim with its claimer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from schemas import Article, Event
from transforms import acled
from transforms.actors import AGENT, STATE_FORCES, TARGET, ActorLexicon, assign_actors, canonical_claimer
from transforms.base import lazy_exports, stable_id, utcnow
from transforms.casualties import find_casualties, find_claimer
from transforms.dates import DateMention, default_date, find_dates, leading_date
from transforms.geo import TOWN, Geocoder, GeoContext, Place, different_quarters, finer_name
from transforms.passages import PassageClassifier, passage_text
from transforms.sentences import Sentence, split_sentences

EVENTS_TAG = "events"
SUPPORTED_LANGUAGES = ("en",)


@dataclass(frozen=True)
class EventSettings:
    # A sentence reporting a casualty figure keeps the classifier's best ACLED type down to this probability.
    casualty_floor: float = 0.08
    # Longest article text analysed, in characters (a runaway extraction must not stall a worker).
    max_chars: int = 60_000
    # Unattributed figures are claimed by this.
    unattributed: str = "reported"
    # A sentence the passage model gives at least this is an event even where the sub-event model says NONE: it
    # then takes the sub-event model's most probable ACLED type.
    sure_passage: float = 0.9
    # Below the passage threshold, down to this floor, a sentence the sub-event model types with at least this
    # probability is still an event ("Baku now claims to be in control of the Girkhgiz and Saribaba heights").
    typed_passage_floor: float = 0.3
    typed_passage_confidence: float = 0.5
    # A strategic development (an arrest, a base, a defection, looting) starts an event from this probability.
    strategic_confidence: float = 0.75
    # An event dated more than this many days before the publication date is background, not news: news reports
    # the last few days ("on Friday" is at most six days back); of 110 dated development-gold events none is older
    # than five days, while 17 coded events 7-31 days old were all recaps ("On June 23 the SDF broke into ...").
    max_event_age_days: int = 10


# Statements, calls, threats, warnings, plans and drills are not events (ACLED codes what happened, not what was said
# about it or what is to come): a marker for the passage model, and a veto where it is not sure.
_NOT_EVENT = re.compile(
    r"\b(?:concerned|concern over|urg(?:ed|es|ing)|call(?:ed|s|ing)? for|appeal(?:ed|s)? (?:for|to)|condemn(?:ed|s)?|"
    r"threaten(?:ed|s)?|warn(?:ed|s)?|would be|will be|vow(?:ed|s)?|demand(?:ed|s)?|pledg(?:ed|es)|"
    r"expressed (?:concern|regret)|stable|will|plan(?:s|ned|ning)? to|drills?|exercises?|scheduled|"
    r"(?:is|are) expected to|reserves? the right|summon(?:ed|s)?)\b",
    re.I,
)
# A cumulative toll (coding guide rule 1: "640 killed since October") sums many incidents: it is no event of its own.
_CUMULATIVE = re.compile(
    r"\b(?:in recent (?:days|weeks|months)|(?:in|during|over) the (?:past|last) (?:\d+|few|several|two|three|24|48|"
    r"seven|ten)?\s*(?:hours|days|weeks|months|years)|since the (?:start|beginning|outbreak)|"
    r"so far this (?:year|month)|"
    r"since (?:January|February|March|April|May|June|July|August|September|October|November|December|\d{4}))\b",
    re.I,
)
_TERRITORY = "territory"  # a control trigger: who acts decides between the government and a non-state actor
# Explicit triggers, most specific first: the first that matches names the sub-event types the words allow, and the
# classifier chooses among them ("drone targeting footage of a missile strike" is a drone strike, not shelling).
_TRIGGERS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = tuple(
    (re.compile(p, re.I), types)
    for p, types in (
        (
            r"\b(?:drone strikes?|air ?strikes?|airstrikes?|air raids?|warplanes?|fighter jets?|bombed from the air|"
            r"barrel bombs?|"
            r"helicopter gunships?|drones?(?:\s+[\w-]+){0,3}\s+(?:strikes?|missiles?|attacks?|targeting|bombs?))\b",
            ("Air/drone strike",),
        ),
        (r"\bsuicide (?:bomber|bombing|attack(?:er)?)\b", ("Suicide bomb",)),
        (
            r"\b(?:IEDs?|improvised explosive|landmines?|roadside bomb|car bomb|bomb blast|explosion|blast)\b",
            ("Remote explosive/landmine/IED", "Suicide bomb", "Grenade"),
        ),
        (r"\bgrenades?\b", ("Grenade",)),
        (
            # tear gas shells are crowd control, not shelling
            r"\b(?:(?<!tear gas )(?<!teargas )(?<!tear-gas )shell(?:ing|ed|s)|artillery|mortars?|rockets?|missiles?|"
            r"howitzers?|bombard(?:ment|ed|ing))\b",
            ("Shelling/artillery/missile attack", "Air/drone strike"),
        ),
        (
            r"\b(?:small arms fire|exchange of fire|exchanged fire|gunfight|gun battle|firefight|clash(?:es|ed)?|"
            r"encounter|retaliatory firing|came under (?:\w+\s+){0,2}fire|ambush(?:ed)?|fighting between|"
            r"(?:killed|wounded|injured) by (?:\w+\s+){0,2}fire)\b",
            ("Armed clash",),
        ),
        (
            r"\b(?:in control of|retook|recaptured|regained control|securing control|liberated|took back|"
            r"captured|seized control|took control|overran)\b",
            (_TERRITORY,),
        ),
        (r"\b(?:abducted|kidnapped|abduction|kidnapping)\b", ("Abduction/forced disappearance",)),
        (
            r"\b(?:protest(?:ers|ed|s)?|demonstrat(?:ors|ion|ed))\b",
            (
                "Peaceful protest",
                "Protest with intervention",
                "Excessive force against protesters",
                "Violent demonstration",
            ),
        ),
        (r"\b(?:arrested|detained|apprehended)\b", ("Arrests",)),
    )
)


def _analysable(article: Any) -> bool:
    language = (article.language or "").lower()
    return not language or language.split("-")[0] in SUPPORTED_LANGUAGES


@dataclass
class _Draft:
    sub_event_type: str
    confidence: float
    sentences: list[Sentence]
    place: Place
    own_place: bool
    claims: list[dict[str, Any]] = field(default_factory=list)
    # the sentence that named this place in a list of places ("in Teldo, Tel Dahab and Kafr Laha"): its figures
    # are the whole list's, kept as claims but no single place's toll
    listed_in: int | None = None

    @property
    def paragraph(self) -> int:
        return self.sentences[-1].paragraph


class EventExtractor:
    """The plain core: built once with its models (classifier, geocoder, actor lexicon), then `extract(article)`."""

    def __init__(
        self,
        classifier=None,
        geocoder: Geocoder | None = None,
        settings: EventSettings = EventSettings(),
        passages: PassageClassifier | None = None,
    ):
        if classifier is None:
            from transforms.classify import SubEventClassifier

            classifier = SubEventClassifier.load()
        self.classifier = classifier
        self.geocoder = geocoder or Geocoder.load()
        self.actors = ActorLexicon.load(self.geocoder.gazetteer)
        self.passages = passages or PassageClassifier.load()
        self.settings = settings

    # -- sentence typing ---------------------------------------------------------------------------------------------

    def _types(self, sentences: list[Sentence], rows: Any = None) -> list[tuple[str | None, float]]:
        """(sub-event type or None, probability) per sentence from the classifier's probability `rows` (computed
        here when not given), with the trigger phrases and the casualty rule applied."""
        texts = [s.text for s in sentences]
        if rows is None:
            probabilities = getattr(self.classifier, "probabilities", None)
            rows = probabilities(texts) if probabilities is not None else None
        decide = getattr(self.classifier, "decide", None)
        predicted = decide(rows) if rows is not None and decide is not None else self.classifier.predict_many(texts)
        classes = list(getattr(self.classifier, "classes", []))
        out: list[tuple[str | None, float]] = []
        for i, sentence in enumerate(sentences):
            label, prob = predicted[i]
            allowed = next((list(types) for pattern, types in _TRIGGERS if pattern.search(sentence.text)), [])
            if _TERRITORY in allowed:
                allowed.remove(_TERRITORY)
                allowed.append(self._territory_type(sentence.text))
            if rows is not None and allowed:
                scored = [(float(rows[i][classes.index(t)]), t) for t in allowed if t in classes]
                if scored:
                    prob, label = max(scored)
            elif label is None and rows is not None and _has_figures(sentence.text):
                scored = [(float(p), c) for c, p in zip(classes, rows[i], strict=True) if c in acled.SUB_EVENT_TYPES]
                best_prob, best = max(scored)
                if best_prob >= self.settings.casualty_floor:
                    label, prob = best, best_prob
            out.append((label, prob))
        return out

    def _first_pass_types(self, sentences: list[Sentence]) -> tuple[list[tuple[str | None, float]], dict[int, Any]]:
        """Types from the cheap linear model alone when the classifier has an encoder to refine them with later
        (`_refined`), else the classifier's final types; and the linear rows of the sentences the encoder would
        read, by index (none when there is no encoder)."""
        linear = getattr(self.classifier, "linear_probabilities", None)
        if linear is not None and getattr(self.classifier, "uses_encoder", False):
            rows = linear([s.text for s in sentences])
            return self._types(sentences, rows), {i: rows[i : i + 1] for i in self.classifier.gated(rows)}
        return self._types(sentences), {}

    def _refined(self, sentence: Sentence, linear_row: Any) -> tuple[str | None, float]:
        """The classifier's full answer (the encoder's vote included) for a sentence about to start an event.

        The encoder costs ~15 ms a sentence, so it reads only sentences that could start an event: sentences that
        join the previous event, or that the linear model confidently rules out, never reach it."""
        return self._types([sentence], self.classifier.probabilities([sentence.text], linear=linear_row))[0]

    def _listed_places(self, text: str, place: Place, ctx: GeoContext) -> list[Place]:
        """The other towns of a list naming the sentence's place ("Ahmedabad, Rajkot and Surat"), resolved."""
        towns = [m for m in self.geocoder.gazetteer.mentions(text, ctx.countries) if m.kind == TOWN]
        chain: list[Any] = []
        for m in towns:
            if chain and _LIST_JOINT.fullmatch(text[chain[-1].end : m.start]):
                chain.append(m)
            elif place.location_text in {c.text for c in chain}:
                break
            else:
                chain = [m]
        names = [c.text for c in chain]
        if len(chain) < 2 or place.location_text not in names:
            return []
        others = [self.geocoder.resolve(c.text, ctx) for c in chain if c.text != place.location_text]
        return [p for p in others if p.country == place.country and p.location != place.location]

    def _best_type(self, sentence: Sentence) -> tuple[str | None, float]:
        """The classifier's most probable ACLED type for a sentence the passage model is sure reports an event."""
        probabilities = getattr(self.classifier, "probabilities", None)
        if probabilities is None:
            return None, 0.0
        row = probabilities([sentence.text])[0]
        scored = [
            (float(p), c) for c, p in zip(self.classifier.classes, row, strict=True) if c in acled.SUB_EVENT_TYPES
        ]
        prob, label = max(scored)
        return label, prob

    def _territory_type(self, text: str) -> str:
        acting = [a for a in self.actors.find(text) if a.role != TARGET]
        if acting and acting[0].type == STATE_FORCES:
            return "Government regains territory"
        return "Non-state actor overtakes territory"

    # -- the article -------------------------------------------------------------------------------------------------

    def extract(self, article: Article, run_id: str | None = None) -> list[Event]:  # type: ignore[valid-type]
        if not article.text or not _analysable(article):
            return []
        original = article.text[: self.settings.max_chars]
        # an uncased text (some archives lower-case theirs) is read with its place names capitalised; the evidence
        # stays as written (the same characters, only their case changed)
        text = self.geocoder.gazetteer.truecase(original)
        sentences = [s._replace(text=text[s.start : s.end]) for s in split_sentences(original)]
        if not sentences:
            return []
        ctx = self.geocoder.context(text, uncased=text != original)
        anchor, anchor_is_publication = _anchor(article)
        main_country = ctx.countries.most_common(1)[0][0] if ctx.countries else None
        # the deciding step: only sentences that report an event that happened are coded
        reported = self.passages.probabilities(passage_inputs([s.text for s in sentences], anchor and anchor.year))
        types, refine = self._first_pass_types(sentences)
        drafts: list[_Draft] = []
        for i, (sentence, (label, prob)) in enumerate(zip(sentences, types, strict=True)):
            # a sentence the passage model doubts still counts where the sub-event model types it with confidence,
            # or where an explicit trigger ("in control of", "drone strike") named its type
            typed = label is not None and (prob >= self.settings.typed_passage_confidence or _triggered(sentence.text))
            if not (self.passages.reports(reported[i]) or (typed and reported[i] >= self.settings.typed_passage_floor)):
                continue
            if _CUMULATIVE.search(sentence.text) and _has_figures(sentence.text):
                continue  # "57 civilians have been killed in recent days": a running total, not an incident
            # a statement, call or threat without a figure must be a sure report to count
            if _NOT_EVENT.search(sentence.text) and not _has_figures(sentence.text):
                if reported[i] < self.settings.sure_passage:
                    continue
            place = self.geocoder.resolve(_without_dateline(sentence.text), ctx)
            place = _in_last_town(place, drafts)
            # a town, a district or a named local place; a region named in passing ("which controlled much of
            # Nagorno-Karabakh") does not start a new event
            own_place = (place.geo_source in ("gazetteer", "alias") and (place.geo_precision or 3) <= 2) or (
                place.location_text is not None
                and place.location_text not in _context_texts(ctx)
                and place.location_text != place.location
            )
            previous = drafts[-1] if drafts else None
            if previous is not None and previous.paragraph == sentence.paragraph and not own_place:
                # a sentence naming no place of its own goes on with the event before it, unless it reports
                # another kind of event there ("... warplanes pounded the town. Rebels shelled the capital")
                if not _other_kind(label, prob, sentence.text, previous.sub_event_type, self.settings):
                    previous.sentences.append(sentence)
                    continue
                place = previous.place
            if i in refine:
                label, prob = self._refined(sentence, refine[i])
            if label is None and reported[i] >= self.settings.sure_passage:
                label, prob = self._best_type(sentence)
            if label is None or label not in acled.SUB_EVENT_TYPES:
                continue
            if acled.event_type(label) == acled.STRATEGIC_DEVELOPMENTS and prob < self.settings.strategic_confidence:
                continue  # ACLED codes strategic developments sparingly: only sure ones start an event
            drafts.append(_Draft(label, prob, [sentence], place, own_place))
            listed = self._listed_places(sentence.text, place, ctx) if own_place else []
            if listed:
                # one event per named place (ACLED granularity): the list's other places get events of their own
                drafts[-1].listed_in = sentence.index
                drafts.extend(
                    _Draft(label, prob, [sentence], other, True, listed_in=sentence.index) for other in listed
                )
        drafts = _merge(drafts)
        events = [
            self._event(article, d, sentences, anchor, anchor_is_publication, main_country, run_id, text)
            for d in drafts
        ]
        if anchor is not None and anchor_is_publication:
            # an incident dated weeks before the article is its background ("a massacre in Houla on May 25 2012")
            oldest = anchor - dt.timedelta(days=self.settings.max_event_age_days)
            events = [e for e in events if e.event_date is None or e.event_date >= oldest]
        events = _without_summaries(events)
        events = self._with_striker(events, article, sentences)
        # an event read from the first sentence alone: a headline or lead summing up what the body reports
        leads = frozenset(stable_id(article.article_id, "0") for d in drafts if [s.index for s in d.sentences] == [0])
        return consolidate(events, leads)

    def _with_striker(self, events: list[Any], article: Article, sentences: list[Sentence]) -> list[Any]:  # type: ignore[valid-type]
        """A strike or shelling whose sentence names no attacker is the article's one foreign striker's, where the
        article names exactly one state acting in it ("India said it fired missiles ..." then "One of the missiles hit
        a mosque in Muridke"): the attacker an analyst reads from the article, not from the sentence."""
        if not any(e.actor1 is None and e.event_type == acled.EXPLOSIONS for e in events):
            return events
        texts = [article.title or ""] + [s.text for s in sentences]
        agents = [a for t in texts for a in self.actors.find(t) if a.role == AGENT and a.type == STATE_FORCES]
        if len({a.country for a in agents}) != 1 or agents[0].country is None:
            return events
        striker = agents[0]
        return [
            e._replace(actor1=striker.name, actor1_type=striker.type, actor1_country=striker.country)
            if e.actor1 is None
            and e.event_type == acled.EXPLOSIONS
            and e.country not in (None, striker.country)
            and e.actor2 != striker.name
            else e
            for e in events
        ]

    def _event(
        self,
        article,
        draft: _Draft,
        sentences: list[Sentence],
        anchor: dt.date | None,
        anchor_is_publication: bool,
        main_country: str | None,
        run_id: str | None,
        text: str,
    ) -> Any:
        evidence = " ".join(article.text[s.start : s.end] for s in draft.sentences)  # as written
        first = draft.sentences[0]
        date = _event_date(draft, sentences, anchor, anchor_is_publication)
        mentions = []
        for s in draft.sentences:
            mentions.extend(self.actors.find(s.text, article_text=text, country=draft.place.country or main_country))
        actor1, actor2 = assign_actors(mentions, draft.sub_event_type)
        claims = self._claims(article, draft.sentences, sentences, text)
        own = claims
        if draft.listed_in is not None:
            own = self._claims(article, [s for s in draft.sentences if s.index != draft.listed_in], sentences, text)
        event_type = acled.event_type(draft.sub_event_type)
        place = draft.place
        return Event(
            event_id=stable_id(article.article_id, str(first.index)),
            article_id=article.article_id,
            disorder_type=acled.disorder_type(event_type, draft.sub_event_type),
            event_type=event_type,
            sub_event_type=draft.sub_event_type,
            event_date=date.date if date else None,
            date_precision=date.precision if date else None,
            date_text=(date.text or None) if date else None,
            actor1=actor1.name if actor1 else None,
            actor1_type=actor1.type if actor1 else None,
            actor1_country=actor1.country if actor1 else None,
            actor2=actor2.name if actor2 else None,
            actor2_type=actor2.type if actor2 else None,
            actor2_country=actor2.country if actor2 else None,
            location=place.location,
            location_text=place.location_text,
            admin1=place.admin1,
            admin2=place.admin2,
            country=place.country,
            latitude=place.latitude,
            longitude=place.longitude,
            geo_precision=place.geo_precision,
            geo_source=place.geo_source,
            **_headline(own),
            claims=claims,
            evidence=evidence,
            confidence=round(draft.confidence, 4),
            language=article.language,
            source_url=article.url,
            published=article.published,
            source_count=1,
            source_article_ids=[article.article_id],
            extracted_at=utcnow(),
            run_id=run_id,
        )

    def _claims(self, article, reports: list[Sentence], sentences: list[Sentence], text: str) -> list[dict[str, Any]]:
        """Every casualty figure the `reports` give, with its claimer."""
        claims: list[dict[str, Any]] = []
        for s in reports:
            claimer = find_claimer(s.text)
            if claimer is None:
                # "it is claimed that ...": the voice of the sentence before, in the same paragraph
                before = [p for p in sentences if p.paragraph == s.paragraph and p.index < s.index]
                claimer = (
                    find_claimer(before[-1].text) if before and re.search(r"\bclaim|said|according", s.text) else None
                )
            name = canonical_claimer(claimer, self.actors, text) or self.settings.unattributed
            for c in find_casualties(_without_dateline(s.text)):  # "March 7 (Reuters) -" is no count
                same = next(
                    (
                        k
                        for k in claims
                        if (k["fatalities"], k["wounded"], k["vague"]) == (c.fatalities, c.wounded, c.vague)
                    ),
                    None,
                )
                if same is not None:
                    if same["claimed_by"] == self.settings.unattributed:
                        same["claimed_by"] = name  # the same figure, now with its source
                    continue
                claims.append(
                    {
                        "source_article_id": article.article_id,
                        "claimed_by": name,
                        "fatalities": c.fatalities,
                        "wounded": c.wounded,
                        "vague": c.vague,
                        "text": c.text,
                    }
                )
        return claims


_FIGURE = re.compile(r"\b(?:killed|dead|died|wounded|injured|fatally|casualties)\b", re.I)


def _headline(claims: list[dict[str, Any]]) -> dict[str, Any]:
    """The event's own casualty columns: the highest exact figure of any claim (a vague one, counted as ACLED does,
    only where no claim gives an exact one), and the claim it came from."""
    numeric = [c for c in claims if c["fatalities"] is not None or c["wounded"] is not None]

    def figures(field: str) -> list[dict[str, Any]]:
        given = [c for c in claims if c[field] is not None]
        return [c for c in given if not c["vague"]] or given

    killed, wounded = figures("fatalities"), figures("wounded")
    headline = max(killed, key=lambda c: c["fatalities"]) if killed else (numeric[0] if numeric else None)
    headline = headline or (claims[0] if claims else None)
    return {
        "fatalities": max(c["fatalities"] for c in killed) if killed else None,
        "wounded": max(c["wounded"] for c in wounded) if wounded else None,
        "claimed_by": headline["claimed_by"] if headline else None,
        "casualty_text": headline["text"] if headline else None,
        "casualties_vague": bool(headline and headline["vague"]),
    }


# Event types whose sub-types name the weapon: sentences about one attack often disagree on it ("missile",
# "explosion", "drone"), so one attack at one place on one day is one event whatever each sentence suggests.
# Elsewhere the sub-type is what the event is (an armed clash and a territorial gain on the same day are two).
_WEAPON_SUBTYPED = frozenset({"Explosions/Remote violence"})


# One demonstration at one place on one day is one event (ACLED): a protest that turned violent is a violent
# demonstration, one the police broke up a protest with intervention. Most severe first.
_DEMONSTRATION_SEVERITY = (
    "Excessive force against protesters",
    "Violent demonstration",
    "Protest with intervention",
    "Peaceful protest",
)


def _family(event: Any) -> str:
    return "demonstration" if event.sub_event_type in _DEMONSTRATION_SEVERITY else event.event_type


def _same_happening(a: Any, b: Any) -> bool:
    if (_family(a), a.event_date, a.country) != (_family(b), b.event_date, b.country) or a.event_date is None:
        return False
    if _family(a) not in _WEAPON_SUBTYPED | {"demonstration"} and a.sub_event_type != b.sub_event_type:
        return False
    if not a.location or a.location.casefold() != (b.location or "").casefold():
        return False
    # two named quarters of one town are two places ("the astodia area", "the madhavpura area" of Ahmedabad)
    return not different_quarters(a, b)


def _speaks_for(event: Any, leads: frozenset[str], position: int) -> tuple:
    """Which report of a happening speaks for it: a body report before a headline, a demonstration's most severe
    sub-type, then the most confident report, then the first."""
    severity = (
        -_DEMONSTRATION_SEVERITY.index(event.sub_event_type) if event.sub_event_type in _DEMONSTRATION_SEVERITY else 0
    )
    return (event.event_id not in leads, severity, event.confidence or 0.0, -position)


def _without_summaries(events: list[Any]) -> list[Any]:
    """An event placed only at a region or country ("Pakistani-controlled territory", "Punjab province") where the
    article also codes the same kind of event at a town of that country within a day is a summary of those (an
    aggregate toll, a restatement), not an event of its own: its claims join the first such town event, whose own
    figures stay its headline (every claim and claimer is kept)."""
    out = list(events)
    for coarse in events:
        if (coarse.geo_precision or 3) < 3 or coarse.event_date is None:
            continue
        fine = next(
            (
                e
                for e in out
                if (e.geo_precision or 3) < 3
                and e.country == coarse.country
                and e.event_date is not None
                and abs((e.event_date - coarse.event_date).days) <= 1
                and (
                    e.sub_event_type == coarse.sub_event_type
                    or (e.event_type == coarse.event_type and e.event_type in _WEAPON_SUBTYPED)
                )
            ),
            None,
        )
        if fine is None:
            continue
        known = {(c["claimed_by"], c["fatalities"], c["wounded"], c["text"]) for c in fine.claims or []}
        extra = [
            c for c in coarse.claims or [] if (c["claimed_by"], c["fatalities"], c["wounded"], c["text"]) not in known
        ]
        out[out.index(fine)] = fine._replace(claims=[*(fine.claims or []), *extra])
        out.remove(coarse)
    return out


def _same_place_and_day(a: Any, b: Any) -> bool:
    """Whether a headline's event `b` tells of body event `a`: one place, and one day (a headline naming no day,
    dated by its publication, tells of the week before it)."""
    if a.event_date is None or b.event_date is None or a.country != b.country:
        return False
    undated = (b.date_precision or 1) >= 2 and 0 <= (b.event_date - a.event_date).days <= 7
    if a.event_date != b.event_date and not undated:
        return False
    if a.location and (a.location or "").casefold() == (b.location or "").casefold():
        return not different_quarters(a, b)
    return bool(a.admin1) and a.admin1 == b.admin1 and None in (a.location, b.location)


def consolidate(events: list[Any], leads: frozenset[str] = frozenset()) -> list[Any]:
    """One event per happening within an article: reports of one attack at one place and date become one event.

    The most confident report speaks for the event (its id, type, evidence); actors it lacks come from the others;
    every report's casualty claims are kept, so no figure and no claimant is lost. An event of the article's first
    sentence (`leads`: a headline or lead summing up what the body reports) joins the body's event of the same place
    and day whatever its type, and the body's report speaks for it.
    """
    groups: list[list[Any]] = []
    for event in [e for e in events if e.event_id not in leads]:
        group = next((g for g in groups if _same_happening(g[0], event)), None)
        if group is None:
            groups.append([event])
        else:
            group.append(event)
    for event in [e for e in events if e.event_id in leads]:
        matching = [g for g in groups if _same_place_and_day(g[0], event)]
        group = next((g for g in matching if g[0].event_type == event.event_type), matching[0] if matching else None)
        if group is None:
            groups.insert(0, [event])
        else:
            group.append(event)
    out = []
    for group in groups:
        if len(group) == 1:
            out.append(group[0])
            continue
        lead = max(group, key=lambda e: _speaks_for(e, leads, group.index(e)))
        claims: list[dict[str, Any]] = []
        for event in group:
            for claim in event.claims or []:
                key = (claim["claimed_by"], claim["fatalities"], claim["wounded"], claim["text"])
                if key not in {(c["claimed_by"], c["fatalities"], c["wounded"], c["text"]) for c in claims}:
                    claims.append(claim)
        changes: dict[str, Any] = {"claims": claims, **_headline(claims)}
        for side in ("actor1", "actor2"):
            other = getattr(lead, "actor2" if side == "actor1" else "actor1")
            if getattr(lead, side) is None:
                donor = next((e for e in group if getattr(e, side) not in (None, other)), None)
                if donor is not None:
                    for suffix in ("", "_type", "_country"):
                        changes[side + suffix] = getattr(donor, side + suffix)
        out.append(lead._replace(**changes))
    return out


_LIST_JOINT = re.compile(r"\s*(?:,|,?\s+and|,?\s+or|/)\s+|\s*,\s*")
# "BEIRUT/THE HAGUE, March 7 (Reuters) -", "KYIV (AP) —", "Wed 05 Apr 2017", "Oct 04, 2017 BEIRUT": where and when a
# story was filed, not where its events happened.
_DATELINE = re.compile(
    r"^\s*(?:(?:[A-Z][A-Z.'’-]+(?:[ /][A-Z][A-Z.'’-]+)*)(?:,\s*[A-Z][a-z]+\.?)?"
    r"(?:,?\s+(?:\w+\.?\s+\d{1,2}|\d{1,2}\s+\w+\.?)(?:,?\s+\d{4})?)?\s*(?:\([^)]{1,40}\))?\s*[-–—:]+\s*"
    r"|(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\w*\.?\s+\d{1,2}\s+\w{3,9}\s+\d{4}\s+"
    # "Last updated at Oct 04, 2017 BEIRUT: ..." as scraped ("Oct 042017 BEIRUT Air strikes ...")
    r"|(?:(?:Last\s+)?[Uu]pdated\s+(?:at|on)\s+|Published\s+|Posted\s+on\s+)?[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s*\d{4}"
    r"\s+[A-Z]{3,}(?:[ /-][A-Z]{2,})*[\s:,-]+)"
)


def _without_dateline(text: str) -> str:
    return _DATELINE.sub("", text, count=1)


def _has_figures(text: str) -> bool:
    return bool(_FIGURE.search(text)) and bool(find_casualties(text))


def _other_kind(label: str | None, prob: float, text: str, previous: str, settings: EventSettings) -> bool:
    """Whether a sentence is confidently of another ACLED event type than the event it follows."""
    if label is None or label not in acled.SUB_EVENT_TYPES:
        return False
    if acled.event_type(label) == acled.event_type(previous):
        return False
    return prob >= settings.typed_passage_confidence or _triggered(text)


def _triggered(text: str) -> bool:
    return any(pattern.search(text) for pattern, _ in _TRIGGERS)


def passage_inputs(sentences: list[str], year: int | None) -> list[str]:
    """What the passage model reads for each sentence (`transforms.passages.passage_text`), with the markers only
    this stage's rules can tell: a casualty figure, a statement, call or threat, an explicit trigger."""
    return [
        passage_text(
            s,
            figure=_has_figures(s),
            statement=bool(_NOT_EVENT.search(s)),
            year=year,
            trigger=_triggered(s),
        )
        for s in sentences
    ]


def _context_texts(ctx: GeoContext) -> set[str]:
    return {m.text for m in ctx.regions}


def _in_last_town(place: Place, drafts: list[_Draft]) -> Place:
    """A quarter named without its town ("in the ramol area", "the Bab al-Maqam neighbourhood") is in the town the
    article was last at, where that town is in the region (or country) the sentence falls back to."""
    if (place.geo_precision or 3) < 3 or not place.location_text:
        return place
    if place.location is not None and finer_name(place.location_text, place.location) is None:
        return place
    town = next((d.place for d in reversed(drafts) if d.place.geo_source in ("gazetteer", "alias")), None)
    if town is None or (town.geo_precision or 3) > 1:
        return place
    if place.country not in (None, town.country) or place.admin1 not in (None, town.admin1):
        return place
    return town._replace(location_text=place.location_text)


def _specificity(place: Place) -> tuple[int, int]:
    # a named local place ("Girkhgiz and Saribaba heights") is finer than its region at the same precision
    written, resolved = (place.location_text or "").lower(), (place.location or "").lower()
    named = 0 if written and resolved not in written and written not in resolved else 1
    return (place.geo_precision or 9, named)


def _merge(drafts: list[_Draft]) -> list[_Draft]:
    merged: list[_Draft] = []
    for d in drafts:
        target = next(
            (
                m
                for m in reversed(merged)
                if m.sub_event_type == d.sub_event_type
                and d.paragraph - m.paragraph <= 1
                and (
                    d.place.geo_source in ("region_fallback", "country")
                    or m.place.geo_source in ("region_fallback", "country")
                )
            ),
            None,
        )
        if target is None:
            merged.append(d)
            continue
        if _specificity(d.place) < _specificity(target.place):
            target.place = d.place
        target.sentences.extend(d.sentences)
        target.confidence = max(target.confidence, d.confidence)
    return merged


def _anchor(article: Any) -> tuple[dt.date | None, bool]:
    if article.published is not None:
        return article.published.date(), True
    filed = leading_date(article.text or "")
    if filed is not None:
        return filed, True
    if article.fetched_at is not None:
        return article.fetched_at.date(), False
    return None, False


def _event_date(
    draft: _Draft, sentences: list[Sentence], anchor: dt.date | None, anchor_is_publication: bool
) -> DateMention | None:
    if anchor is None:
        return None
    for s in draft.sentences:
        found = find_dates(s.text, anchor, anchor_is_publication=anchor_is_publication)
        if found:
            return found[0]
    # the nearest day named earlier in the article (news gives the day once and goes on); a vaguer phrase there
    # ("last month") is background more often than this event's date
    for s in reversed([p for p in sentences if p.index < draft.sentences[0].index]):
        found = [d for d in find_dates(s.text, anchor, anchor_is_publication=anchor_is_publication) if d.precision == 1]
        if found:
            return found[-1]
    return default_date(anchor, anchor_is_publication=anchor_is_publication)


def extract_events(
    article: Article,
    *,
    classifier=None,
    geocoder: Geocoder | None = None,  # type: ignore[valid-type]
    run_id: str | None = None,
) -> list[Event]:  # type: ignore[valid-type]
    """The events an article reports (empty for a non-English article); `classifier`/`geocoder` are testing seams."""
    return EventExtractor(classifier, geocoder).extract(article, run_id)


# The Beam transform lives in transforms/events_beam.py, imported on first use: `conflictwire analyze` calls this
# module's functions without ever importing Apache Beam (about 2 s of start-up).
__getattr__ = lazy_exports(__name__, frozenset({"_ExtractEventsFn", "ExtractEvents"}), "transforms.events_beam")


__all__ = ["EVENTS_TAG", "SUPPORTED_LANGUAGES", "EventExtractor", "EventSettings", "ExtractEvents", "extract_events"]  # noqa: F822
