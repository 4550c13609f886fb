"""How well event extraction reads real text: whole articles against the hand-coded development gold, FA-KES,
GVDB crime news, actors (MUC-4), places and killed counts (SATP), event types (CASE 2021).

Prints figures; passes or fails nothing. Run: .venv/bin/python benchmarks/evaluate_events.py [--only NAME,...]
[--limit N]

- Development gold (benchmarks/gold/dev-gold.jsonl, whole real articles coded by hand per
  ../shared/examples/coding-guide.md before the models it scores were trained; never trained on): each article
  goes through `conflictwire analyze`'s own stages (extraction for pages, language, relevance, events) and is
  scored by ../shared/tools/score_events.py, the project's shared matching rule. Also per corpus.
- FA-KES (shared/data/fakes-syria), the half never trained on (`training.corpora.fakes_split`): is the article's
  gold event found (an event in SY, in the gold governorate by admin1 or place, with a sub-type the cause allows),
  and is its death toll (civilians + non-civilians) the event's fatalities. Scored as the corpus README says.
- GVDB (shared/data/gvdb-gun-violence), the `test` split: ordinary US gun crime, none of it ACLED's scope. The
  share of articles flagged as conflict and the events coded from them.

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
from training.corpora import sentence_case  # noqa: E402
from training.datasets import SHARED_DATA as SHARED  # noqa: E402
from transforms import acled  # noqa: E402
from transforms.actors import AGENT, CIVILIANS, STATE_FORCES  # noqa: E402
from transforms.events import EventExtractor  # noqa: E402
from transforms.geo import fold  # noqa: E402

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
            names = {a.name for mention in entity for a in lexicon.find(sentence_case(mention))}
            unnameable += not names
            gold.append(names)
        gold_total += len(gold)
        text = sentence_case(doc["doc"])
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


# --- whole articles ------------------------------------------------------------------------------------------------

OUT = REPO / "out" / "bench"
SCORER = SHARED.parent / "tools" / "score_events.py"

# FA-KES cause of death -> the sub-event types its README allows; None: any.
FAKES_CAUSES: dict[str, frozenset[str] | None] = {
    "shelling": frozenset({"Shelling/artillery/missile attack", "Air/drone strike"}),
    "explosion": frozenset(
        {
            "Remote explosive/landmine/IED",
            "Suicide bomb",
            "Air/drone strike",
            "Shelling/artillery/missile attack",
            "Grenade",
        }
    ),
    "chemical and toxic gases": frozenset({"Chemical weapon"}),
    "shooting": frozenset({"Armed clash", "Attack"}),
    "execution": frozenset({"Attack"}),
    "unknown": None,
}


def analyze_corpus_documents(doc_ids: list[str], analyzer) -> list[dict]:
    """`conflictwire analyze`'s result for each corpus document (training.corpora ids), in order."""
    from pipelines.analyze import analyze_lines
    from training.corpora import analyze_record

    lines = (json.dumps(analyze_record(doc_id)) for doc_id in doc_ids)
    return list(analyze_lines(lines, analyzer))


def _scorer():
    import importlib.util

    spec = importlib.util.spec_from_file_location("score_events", SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _score_rows(scorer, gold: dict, predicted: dict, by: str | None = None) -> list[dict]:
    return scorer.report(scorer.score(gold, predicted, by))


def dev_gold(analyzer) -> None:
    from training.corpora import DEV_GOLD, load_jsonl

    if not DEV_GOLD.exists() or not SCORER.exists():
        print("development gold: benchmarks/gold/dev-gold.jsonl or ../shared/tools/score_events.py not available")
        return
    gold_rows = load_jsonl(DEV_GOLD)
    results = analyze_corpus_documents([r["id"] for r in gold_rows], analyzer)
    OUT.mkdir(parents=True, exist_ok=True)
    predicted_path = OUT / "dev-gold-predicted.jsonl"
    with predicted_path.open("w", encoding="utf-8") as handle:
        for r in results:
            handle.write(json.dumps({k: v for k, v in r.items() if k != "text"}, ensure_ascii=False) + "\n")
    scorer = _scorer()
    gold = {r["id"]: {**r, "corpus": r["id"].split(":", 1)[0]} for r in gold_rows}
    predicted = {str(r["id"]): r for r in results}
    conflict = sum(bool(r["is_conflict"]) for r in gold_rows)
    print(
        f"Development gold: {len(gold_rows)} whole articles ({conflict} conflict, {len(gold_rows) - conflict} "
        f"negatives), scored by ../shared/tools/score_events.py; predictions in {predicted_path.relative_to(REPO)}"
    )
    columns = (
        "relevance_f1 event_precision event_recall event_f1 sub_type country place date actor1 killed_exact "
        "wounded_exact"
    ).split()
    rows = _score_rows(scorer, gold, predicted) + _score_rows(scorer, gold, predicted, by="corpus")
    print("  " + f"{'group':>8} {'gold':>5} {'pred':>5} " + " ".join(f"{c[:12]:>12}" for c in columns))
    for row in rows:
        cells = " ".join(f"{row[c]:>12.3f}" for c in columns)
        print(f"  {row['group']:>8} {row['events_gold']:>5} {row['events_predicted']:>5} {cells}")
    spurious = rows[0]
    print(
        f"  killed figures where the gold has none: {spurious['killed_spurious']}, "
        f"wounded: {spurious['wounded_spurious']}"
    )


# The spellings of FA-KES's twelve governorates (its README: "damascus" includes Rif Dimashq) that GeoNames,
# the outlets and ACLED use.
GOVERNORATE_NAMES = {
    "aleppo": ("aleppo", "halab"),
    "damascus": ("damascus", "dimashq", "rif dimashq", "rif-dimashq", "damascus countryside", "rural damascus"),
    "idlib": ("idlib", "idleb"),
    "deir ezzor": ("deir ezzor", "deir ez-zor", "deir ez zor", "deir al-zor", "dayr az zawr", "deir az-zour"),
    "raqqa": ("raqqa", "raqqah", "ar-raqqah", "ar raqqah", "rakka"),
    "homs": ("homs", "hims"),
    "hasakeh": ("hasakeh", "hasaka", "hasakah", "al-hasakah", "al hasakah", "hassakeh"),
    "hama": ("hama", "hamah"),
    "daraa": ("daraa", "deraa", "dar'a", "dara"),
    "lattakia": ("lattakia", "latakia", "al-ladhiqiyah", "ladhiqiyah"),
    "quneitra": ("quneitra", "qunaytirah", "al qunaytirah"),
    "tartous": ("tartous", "tartus"),
}


def _in_governorate(event: dict, governorate: str) -> bool:
    """The event lies in the governorate by its admin1, or by a place named after the governorate."""
    wanted = {fold(w) for w in GOVERNORATE_NAMES.get(governorate, (governorate,))}
    names = {fold(v) for v in (event.get("admin1"), event.get("location"), event.get("admin2")) if v}
    return any(n == w or n.startswith(w + " ") for w in wanted for n in names)


def fakes_eval(analyzer, limit: int | None) -> None:
    from training.corpora import fakes, fakes_split

    if not (SHARED / "fakes-syria").exists():
        print("fakes-syria: corpus not available")
        return
    rows = [r for i, r in sorted(fakes().items()) if fakes_split(i) == "eval"][:limit]
    results = analyze_corpus_documents([f"fakes:{r['id']}" for r in rows], analyzer)
    found = toll_exact = flagged = events = 0
    for row, result in zip(rows, results, strict=True):
        gold = row["gold"]
        allowed = FAKES_CAUSES.get(gold["cause_of_death"])
        flagged += bool(result.get("is_conflict"))
        candidates = [
            e
            for e in result.get("events") or []
            if e.get("country") == "SY"
            and _in_governorate(e, gold["location"])
            and (allowed is None or e.get("sub_event_type") in allowed)
        ]
        events += len(result.get("events") or [])
        found += bool(candidates)
        toll = (gold.get("killed_civilians") or 0) + (gold.get("killed_noncivilians") or 0)
        toll_exact += any(e.get("fatalities") == toll for e in candidates)
    n = len(rows)
    print(f"FA-KES, the {n} articles never trained on (one gold event each, crowd-coded)")
    print(f"  flagged as conflict            : {flagged}/{n} = {flagged / n:.3f}")
    print(f"  gold event found               : {found}/{n} = {found / n:.3f}")
    print(f"  its death toll exact           : {toll_exact}/{n} = {toll_exact / n:.3f}")
    print(f"  events coded                   : {events} ({events / n:.2f} per article)")


def gvdb_test(analyzer, limit: int | None) -> None:
    from training.corpora import gvdb

    if not (SHARED / "gvdb-gun-violence").exists():
        print("gvdb: corpus not available")
        return
    ids = [i for i, r in sorted(gvdb().items()) if r["split"] == "test"][:limit]
    results = analyze_corpus_documents([f"gvdb:{i}" for i in ids], analyzer)
    flagged = sum(bool(r.get("is_conflict")) for r in results)
    events = sum(len(r.get("events") or []) for r in results)
    n = len(ids)
    print(f"GVDB gun-crime news, test split, {n} articles (none in ACLED's scope)")
    print(f"  flagged as conflict            : {flagged}/{n} = {flagged / n:.3f}")
    print(f"  events coded from them         : {events}")


DEMO_GOLD = REPO / "benchmarks" / "gold" / "demo-gold.jsonl"


def demo(output: str | None) -> None:
    """The demo's own conflict articles (coded blind by an analyst, docs/demo-judgement.md), scored as the gold is:
    reads what `conflictwire demo --output OUTPUT` wrote (runs it into out/bench/demo when no OUTPUT is given)."""
    from urllib.parse import urlsplit

    from training.corpora import load_jsonl
    from transforms.sinks import read_rows

    if not SCORER.exists():
        print("demo: ../shared/tools/score_events.py not available")
        return
    if output is None:
        import shutil
        import subprocess

        output = str(OUT / "demo")
        shutil.rmtree(output, ignore_errors=True)
        # its own process: a Beam run beside this one's loaded models and threads
        subprocess.run([sys.executable, "-m", "pipelines.cli", "demo", "--output", output], cwd=REPO, check=True)
    tables = {kind: read_rows(output, kind) for kind in ("articles", "events")}
    articles, events = ((t.to_pylist() if t is not None else []) for t in tables.values())
    gold_rows = load_jsonl(DEMO_GOLD)
    # the demo serves its sample on a port of the day, so its articles are known by their URL's path
    predicted = {
        "demo:" + urlsplit(a["url"]).path: {
            "id": "demo:" + urlsplit(a["url"]).path,
            "is_conflict": a["is_conflict"],
            "events": [
                {k: str(v) if k == "event_date" and v else v for k, v in e.items()}
                for e in events
                if e["article_id"] == a["article_id"]
            ],
        }
        for a in articles
    }
    scorer = _scorer()
    gold = {r["id"]: r for r in gold_rows}
    row = _score_rows(scorer, gold, predicted)[0]
    print(f"Demo conflict articles ({len(gold_rows)}, coded blind, benchmarks/gold/demo-gold.jsonl), from {output}")
    print(
        f"  events gold {row['events_gold']}, predicted {row['events_predicted']}: precision "
        f"{row['event_precision']:.3f}, recall {row['event_recall']:.3f}; of matched: sub-type {row['sub_type']:.3f}, "
        f"country {row['country']:.3f}, place {row['place']:.3f}, actor1 {row['actor1']:.3f}, "
        f"killed {row['killed_exact']:.3f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="documents per corpus to read")
    parser.add_argument("--only", default=None, help="comma-separated: gold,fakes,gvdb,demo,satp,muc4,case2021")
    parser.add_argument("--demo-output", default=None, help="score this demo output instead of running the demo")
    args = parser.parse_args()
    started = time.perf_counter()
    extractor = EventExtractor()
    from pipelines.analyze import Analyzer

    analyzer = Analyzer()
    print(f"models loaded in {time.perf_counter() - started:.1f} s")
    runs = (
        ("gold", lambda: dev_gold(analyzer)),
        ("fakes", lambda: fakes_eval(analyzer, args.limit)),
        ("gvdb", lambda: gvdb_test(analyzer, args.limit)),
        ("demo", lambda: demo(args.demo_output)),
        ("satp", lambda: satp(extractor, "satp-gold.tsv", "development set (patterns tuned on it)")),
        ("satp", lambda: satp(extractor, "satp-heldout.tsv", "held-out set")),
        ("muc4", lambda: muc4(extractor, args.limit)),
        ("case2021", lambda: case2021(extractor, args.limit)),
    )
    wanted = set(args.only.split(",")) if args.only else None
    for name, run in runs:
        if wanted and name not in wanted:
            continue
        t = time.perf_counter()
        run()
        print(f"  ({name}: {time.perf_counter() - t:.1f} s)")


if __name__ == "__main__":
    main()
