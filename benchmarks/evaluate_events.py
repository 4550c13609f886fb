"""How well event extraction reads real text: actors (MUC-4), places and killed counts (SATP), event types (CASE 2021).

Prints figures; passes or fails nothing. Run: .venv/bin/python benchmarks/evaluate_events.py [--limit N]

- MUC-4 (shared/data/muc4-grit): perpetrator organisations and individuals. Gold mentions are canonicalised with
  the same actor lexicon; a gold entity is found when a predicted actor has one of its canonical names. Two readings:
  the actor finder over the whole document (mentions acting, or armed non-state), and actor1 of the extracted events.
  The documents are upper case and read sentence-cased, so capitalisation cues are lost.
- SATP (shared/data/satp-relevant + tests/fixtures/events/satp-gold.tsv, 52 rows labelled by hand and used while
  writing the patterns, and satp-heldout.tsv, 24 rows labelled afterwards and never tuned on): country, district or
  city, and killed count of the first event; also the geocoder alone on the whole text.
- CASE 2021 task 2 (shared/data/case2021-task2-event-types): does an ACLED-labelled snippet give an event, does a
  non-ACLED one (diplomacy, disasters, crime) give none, and is the first event's sub-event type the gold one. The
  shipped sub-event classifier is trained on these very snippets (training/datasets.py), so this is a training-set
  figure: it checks the plumbing, not generalisation.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import gzip
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from schemas import Article  # noqa: E402
from transforms import acled  # noqa: E402
from transforms.actors import AGENT, CIVILIANS, STATE_FORCES  # noqa: E402
from transforms.events import EventExtractor  # noqa: E402
from transforms.geo import fold  # noqa: E402

SHARED = REPO.parent / "shared" / "data"
FETCHED = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)


def _article(doc_id: str, text: str) -> Article:
    return Article(
        article_id=doc_id, url=f"benchmark://{doc_id}", text=text, language="en", is_conflict=True, fetched_at=FETCHED
    )


def _prf(tp: int, n_pred: int, n_gold: int) -> str:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return f"P={p:.3f} R={r:.3f} F1={f:.3f} (tp={tp}, predicted={n_pred}, gold={n_gold})"


def _sentence_case(text: str) -> str:
    """MUC-4 is upper case; names are told from words by capitals here, so it is read lower-cased with capitals
    only at sentence starts (acronyms are lost, which the figures then honestly reflect)."""
    lowered = text.lower()
    out, start = [], True
    for ch in lowered:
        out.append(ch.upper() if start and ch.isalpha() else ch)
        if ch.isalpha():
            start = False
        elif ch in ".!?\n":
            start = True
    return "".join(out)


def muc4(extractor: EventExtractor, limit: int | None) -> None:
    path = SHARED / "muc4-grit" / "train.json.gz"
    if not path.exists():
        print("muc4: corpus not available")
        return
    docs = json.load(gzip.open(path))
    items = list(docs.items())[:limit] if limit else list(docs.items())
    lexicon = extractor.actors
    finder_tp = finder_pred = event_tp = event_pred = gold_total = unnameable = 0
    for doc_id, doc in items:
        # a gold entity is the set of canonical actor names its mentions give ("TERRORISTS OF THE FMLN" -> FMLN);
        # an entity none of whose mentions the lexicon can name cannot be found and counts against recall
        gold: list[set[str]] = []
        for entity in doc["roles"]["perp_individual_id"] + doc["roles"]["perp_organization_id"]:
            names = {a.name for mention in entity for a in lexicon.find(_sentence_case(mention))}
            unnameable += not names
            gold.append(names)
        gold_total += len(gold)
        text = _sentence_case(doc["doc"])
        mentions = lexicon.find(text, article_text=text)
        predicted = {m.name for m in mentions if m.type != CIVILIANS and (m.role == AGENT or m.type != STATE_FORCES)}
        finder_pred += len(predicted)
        finder_tp += sum(1 for names in gold if names & predicted)
        actors1 = {e.actor1 for e in extractor.extract(_article(doc_id, text)) if e.actor1}
        event_pred += len(actors1)
        event_tp += sum(1 for names in gold if names & actors1)
    print(
        f"MUC-4 perpetrators (individual + organisation entities), {len(items)} documents, "
        f"{unnameable}/{gold_total} gold entities the lexicon cannot name at all"
    )
    print(f"  actor finder, whole document : {_prf(min(finder_tp, finder_pred), finder_pred, gold_total)}")
    print(f"  actor1 of extracted events   : {_prf(min(event_tp, event_pred), event_pred, gold_total)}")


def satp(extractor: EventExtractor, gold_name: str, title: str) -> None:
    gold_path = REPO / "tests" / "fixtures" / "events" / gold_name
    data_path = SHARED / "satp-relevant" / "train.tsv"
    if not data_path.exists():
        print("satp: corpus not available")
        return
    rows = data_path.read_text(encoding="utf-8").splitlines()
    lines = [line for line in gold_path.read_text(encoding="utf-8").splitlines() if not line.startswith("#")]
    gold = list(csv.DictReader(lines, delimiter="\t"))
    n = len(gold)
    country_ok = place_ok = place_gold = killed_ok = killed_gold = no_event = 0
    geo_country_ok = geo_place_ok = 0
    killed_pred_nonzero = killed_tp_nonzero = killed_gold_nonzero = 0
    for g in gold:
        text = rows[int(g["row"])].split("\t")[0]
        assert text.startswith(g["text_start"]), f"row {g['row']} does not match the gold file"
        events = extractor.extract(_article(f"satp-{g['row']}", text))
        first = events[0] if events else None
        no_event += first is None
        alternatives = [fold(p) for p in g["place"].split("|") if p]
        if first is not None:
            country_ok += first.country == g["country"]
            fields = [fold(v) for v in (first.location, first.location_text, first.admin1, first.admin2) if v]
            if alternatives:
                place_ok += any(a in f or f in a for a in alternatives for f in fields)
        place_gold += bool(alternatives)
        ctx = extractor.geocoder.context(text)
        place = extractor.geocoder.resolve(text, ctx)
        geo_country_ok += place.country == g["country"]
        geo_fields = [fold(v) for v in (place.location, place.location_text, place.admin1, place.admin2) if v]
        if alternatives:
            geo_place_ok += any(a in f or f in a for a in alternatives for f in geo_fields)
        if g["killed"] != "?":
            killed_gold += 1
            gold_killed = int(g["killed"])
            predicted = next((e.fatalities for e in events if e.fatalities is not None), 0)
            killed_ok += predicted == gold_killed
            killed_gold_nonzero += gold_killed > 0
            killed_pred_nonzero += predicted > 0
            killed_tp_nonzero += predicted == gold_killed and gold_killed > 0
    print(f"SATP {title}, {n} hand-labelled rows ({no_event} gave no event)")
    print(f"  country of first event       : {country_ok}/{n} = {country_ok / n:.3f}")
    print(f"  district/city of first event : {place_ok}/{place_gold} = {place_ok / max(place_gold, 1):.3f}")
    print(f"  geocoder alone, country      : {geo_country_ok}/{n} = {geo_country_ok / n:.3f}")
    print(f"  geocoder alone, district/city: {geo_place_ok}/{place_gold} = {geo_place_ok / max(place_gold, 1):.3f}")
    print(f"  killed count exact           : {killed_ok}/{killed_gold} = {killed_ok / max(killed_gold, 1):.3f}")
    print(f"  killed > 0, exact count      : {_prf(killed_tp_nonzero, killed_pred_nonzero, killed_gold_nonzero)}")


def case2021(extractor: EventExtractor, limit: int | None) -> None:
    path = SHARED / "case2021-task2-event-types" / "test_set_final_release_with_labels.tsv"
    if not path.exists():
        print("case2021: corpus not available")
        return
    with open(path, encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    rows = rows[:limit] if limit else rows
    acled_rows = with_event = type_ok = non_acled = false_events = 0
    for row in rows:
        gold = acled.CASE2021_TO_ACLED.get(row["SubType"])
        events = extractor.extract(_article(f"case-{row['id']}", row["EventSnippet"]))
        if gold is None:
            non_acled += 1
            false_events += bool(events)
            continue
        acled_rows += 1
        with_event += bool(events)
        type_ok += bool(events) and events[0].sub_event_type == gold
    print(f"CASE 2021, {len(rows)} snippets (the shipped sub-event model was trained on these: optimistic)")
    print(f"  ACLED snippets giving an event     : {with_event}/{acled_rows} = {with_event / max(acled_rows, 1):.3f}")
    print(f"  first event's sub-event type right : {type_ok}/{acled_rows} = {type_ok / max(acled_rows, 1):.3f}")
    print(f"  non-ACLED snippets giving an event : {false_events}/{non_acled} = {false_events / max(non_acled, 1):.3f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="documents per corpus (MUC-4, CASE) to read")
    args = parser.parse_args()
    started = time.perf_counter()
    extractor = EventExtractor()
    print(f"models loaded in {time.perf_counter() - started:.1f} s")
    for name, run in (
        ("satp", lambda: satp(extractor, "satp-gold.tsv", "development set (patterns tuned on it)")),
        ("satp", lambda: satp(extractor, "satp-heldout.tsv", "held-out set")),
        ("muc4", lambda: muc4(extractor, args.limit)),
        ("case2021", lambda: case2021(extractor, args.limit)),
    ):
        t = time.perf_counter()
        run()
        print(f"  ({name}: {time.perf_counter() - t:.1f} s)")


if __name__ == "__main__":
    main()
