"""Synthetic run outputs for the report and export tests and the report benchmark, written as a run writes them.

`write_output` lays out `<root>/<kind>/dt=<day>/part-<run>-00000.parquet` and the `_runs/<run>.json` commit
markers, with the schemas of schemas/records.py, without running the pipeline (so 100,000 events take seconds).
"""

from __future__ import annotations

import collections
import datetime as dt
import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from schemas.records import SINK_KINDS
from transforms import acled

T0 = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.timezone.utc)

PLACES = [  # (country, location, admin1, lat, lon)
    ("UA", "Kharkiv", "Kharkivska", 49.9935, 36.2304),
    ("UA", "Kherson", "Khersonska", 46.6354, 32.6169),
    ("SD", "El Fasher", "North Darfur", 13.6279, 25.3494),
    ("CD", "Goma", "North Kivu", -1.6792, 29.2228),
    ("MM", "Sittwe", "Rakhine", 20.1528, 92.8677),
    ("PK", "Peshawar", "Khyber Pakhtunkhwa", 34.0151, 71.5249),
    ("BR", "Rio de Janeiro", "Rio de Janeiro", -22.9068, -43.1729),
    ("MX", "Culiacan", "Sinaloa", 24.8091, -107.394),
]
ACTORS = [
    ("Military Forces of Ukraine", "State forces"),
    ("Military Forces of Russia", "State forces"),
    ("Rapid Support Forces", "Rebel group"),
    ("M23: March 23 Movement", "Rebel group"),
    ("Arakan Army", "Rebel group"),
    ("Protesters (Pakistan)", "Protesters"),
    ("Civilians (Sudan)", "Civilians"),
    ("Unidentified Armed Group (Mexico)", "Political militia"),
]
CLAIMERS = ["the health ministry", "the army", "a rebel spokesman", "reported", "local officials", "the UN"]
OUTLETS = ["Reuters", "AP", "AFP", "Al Jazeera", "BBC", "Kyiv Independent", "Dawn", "Radio Okapi"]
WORDS = (
    "shelling killed residents wounded village district forces attack strike drone clash police protest crowd "
    "market border town officials said people were in near the on Monday Tuesday after overnight"
).split()


def _sentence(rng: random.Random, place: str, n: int) -> str:
    return f"{' '.join(rng.choice(WORDS) for _ in range(n)).capitalize()} in {place}."


# As transforms/sinks.py partitions each kind (without importing Beam here).
PARTITION_FIELD = {"articles": "fetched_at", "events": "event_date", "dead_letters": "at", "feed_status": "fetched_at"}


def _partition(value) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).date().isoformat()
    return value.isoformat() if isinstance(value, dt.date) else "__HIVE_DEFAULT_PARTITION__"


def synthetic_rows(n_events: int, seed: int = 7, days: int = 365) -> dict[str, list[dict]]:
    """Rows of the four kinds for one committed run "r1": events with 1-3 claims from 1-3 articles each."""
    rng = random.Random(seed)
    subs = list(acled.SUB_EVENT_TYPES)
    events, articles = [], []
    for i in range(n_events):
        country, location, admin1, lat, lon = PLACES[i % len(PLACES)]
        sub = subs[rng.randrange(len(subs))]
        etype = acled.event_type(sub)
        precision = (1, 1, 1, 2, 3)[i % 5]
        day = (T0 - dt.timedelta(days=rng.randrange(days))).date()
        sources = []
        for k in range(1 + i % 3):
            article_id = f"a{i:07d}{k}"
            outlet = OUTLETS[(i + k) % len(OUTLETS)]
            sources.append(article_id)
            articles.append(
                {
                    "article_id": article_id,
                    "url": f"https://news.example/{outlet.lower().replace(' ', '-')}/{i}/{k}",
                    "title": f"{etype} in {location}: report {i}.{k}",
                    "sitename": outlet,
                    "published": T0 - dt.timedelta(days=rng.randrange(days)),
                    "fetched_at": T0,
                    "language": "en",
                    "is_conflict": True,
                    "run_id": "r1",
                }
            )
        claims = []
        for k in range(len(sources)):
            killed = rng.choice([None, 0, 1, 2, 3, 5, 8, 12, 30])
            wounded = rng.choice([None, 1, 4, 10])
            claims.append(
                {
                    "source_article_id": sources[k],
                    "claimed_by": CLAIMERS[(i + k) % len(CLAIMERS)],
                    "fatalities": killed,
                    "wounded": wounded,
                    "vague": killed is None and k == 2,
                    "text": f"{killed if killed is not None else 'several'} killed, {wounded or 'no'} wounded",
                }
            )
        first = next((c for c in claims if c["fatalities"] is not None), None)
        actor1, type1 = ACTORS[i % len(ACTORS)]
        actor2, type2 = ACTORS[(i * 3 + 1) % len(ACTORS)] if i % 4 else (None, None)
        jitter = (rng.random() - 0.5) * (0.3 if precision == 1 else 2.0)
        events.append(
            {
                "event_id": f"e{i:07d}",
                "article_id": sources[0],
                "disorder_type": acled.disorder_type(etype, sub),
                "event_type": etype,
                "sub_event_type": sub,
                "event_date": day,
                "date_precision": 1 if i % 7 else 2,
                "date_text": "on Monday",
                "actor1": actor1,
                "actor1_type": type1,
                "actor1_country": country,
                "actor2": actor2,
                "actor2_type": type2,
                "actor2_country": country if actor2 else None,
                "location": location if precision == 1 else f"{admin1} region",
                "location_text": location,
                "admin1": admin1,
                "admin2": None,
                "country": country,
                # Every 11th event has no coordinates (a country that could not be placed).
                "latitude": None if i % 11 == 10 else round(lat + jitter, 4),
                "longitude": None if i % 11 == 10 else round(lon + jitter, 4),
                "geo_precision": precision,
                "geo_source": {1: "gazetteer", 2: "alias", 3: "region_fallback"}[precision],
                "fatalities": first["fatalities"] if first else None,
                "wounded": first["wounded"] if first else None,
                "claimed_by": first["claimed_by"] if first else None,
                "casualty_text": first["text"] if first else None,
                "casualties_vague": first is None,
                "claims": claims,
                "evidence": _sentence(rng, location, 18 + i % 12),
                "confidence": round(0.5 + rng.random() / 2, 3),
                "language": "en",
                "source_url": articles[-len(sources)]["url"],
                "published": T0,
                "source_count": len(sources),
                "source_article_ids": sources,
                "extracted_at": T0,
                "run_id": "r1",
            }
        )
    feed_status = [
        {"feed_url": "https://news.example/ok.xml", "status": "ok", "http_status": 200, "items": 40, "new_items": 12},
        {"feed_url": "https://news.example/same.xml", "status": "not_modified", "http_status": 304, "items": 0},
        {
            "feed_url": "https://news.example/gone.xml",
            "status": "error",
            "http_status": 404,
            "error": "http_404: answered 404 Not Found",
        },
    ]
    for row in feed_status:
        row.update(fetched_at=T0, run_id="r1")
    dead = [
        {"stage": "fetch", "reason": "http_404", "url": "https://news.example/x", "at": T0, "run_id": "r1"},
        {"stage": "fetch", "reason": "http_404", "url": "https://news.example/y", "at": T0, "run_id": "r1"},
        {"stage": "feeds", "reason": "http_404", "url": "https://news.example/gone.xml", "at": T0, "run_id": "r1"},
        {"stage": "fetch", "reason": "robots_disallowed", "url": "https://news.example/z", "at": T0, "run_id": "r1"},
    ]
    return {"events": events, "articles": articles, "feed_status": feed_status, "dead_letters": dead}


def write_output(root: Path, rows: dict[str, list[dict]], run_id: str = "r1", commit: bool = True) -> Path:
    """Write rows as run `run_id` wrote them (hive partitions, one file each), and its marker when `commit`."""
    root = Path(root)
    for kind_name, kind_rows in rows.items():
        kind = SINK_KINDS[kind_name]
        by_partition: dict[str, list[dict]] = collections.defaultdict(list)
        for row in kind_rows:
            full = {name: row.get(name) for name in kind.field_names}
            full["schema_version"] = full["schema_version"] or "1.0"
            by_partition[_partition(full.get(PARTITION_FIELD[kind_name]))].append(full)
        for partition, part_rows in by_partition.items():
            folder = root / kind_name / f"dt={partition}"
            folder.mkdir(parents=True, exist_ok=True)
            table = pa.Table.from_pylist(part_rows, schema=kind.arrow_schema())
            pq.write_table(table, folder / f"part-{run_id}-00000.parquet", compression="zstd")
    if commit:
        (root / "_runs").mkdir(parents=True, exist_ok=True)
        (root / "_runs" / f"{run_id}.json").write_text(json.dumps({"run_id": run_id}))
    return root
