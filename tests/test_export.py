"""`conflictwire export`: ACLED-style CSV (ACLED's columns, order and types), GeoJSON and PLOVER-style JSON lines."""

from __future__ import annotations

import csv
import datetime as dt
import json

import duckdb
import pytest

from pipelines.cli import main
from pipelines.export import PLOVER_TYPES, interaction
from tests.report_data import T0, synthetic_rows, write_output

# ACLED's export columns in ACLED's order, written out here by hand from the ACLED Codebook (not imported from
# the module under test), so a renamed or moved column fails.
ACLED_NAMES = [
    "event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type", "sub_event_type",
    "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2", "inter2", "interaction", "civilian_targeting",
    "iso", "region", "country", "admin1", "admin2", "admin3", "location", "latitude", "longitude", "geo_precision",
    "source", "source_scale", "notes", "fatalities", "tags", "timestamp",
]  # fmt: skip
# What each column reads back as (DuckDB's CSV sniffer), as in ACLED's own files.
ACLED_TYPES = {
    "event_date": "DATE",
    "year": "BIGINT",
    "time_precision": "BIGINT",
    "inter1": "BIGINT",
    "inter2": "BIGINT",
    "interaction": "BIGINT",
    "iso": "BIGINT",
    "latitude": "DOUBLE",
    "longitude": "DOUBLE",
    "geo_precision": "BIGINT",
    "fatalities": "BIGINT",
    "timestamp": "BIGINT",
}
PLOVER_CATEGORIES = set(
    "AGREE CONSULT SUPPORT CONCEDE COOPERATE AID RETREAT INVESTIGATE DEMAND DISAPPROVE REJECT THREATEN PROTEST "
    "MOBILIZE SANCTION COERCE ASSAULT FIGHT CRIME".split()
)
N_EVENTS = 120


@pytest.fixture(scope="module")
def output(tmp_path_factory):
    root = tmp_path_factory.mktemp("export-output")
    rows = synthetic_rows(N_EVENTS, seed=3)
    write_output(root, rows, "r1")
    stale = dict(rows["events"][1], run_id="r0", extracted_at=T0 - dt.timedelta(days=2), fatalities=777)
    write_output(root, {"events": [stale]}, "r0")
    write_output(root, {"events": [dict(rows["events"][2], event_id="half-done", run_id="r9")]}, "r9", commit=False)
    return root, {e["event_id"]: e for e in rows["events"]}


def export(output, fmt, path, *extra) -> None:
    assert main(["export", "--input", str(output), "--format", fmt, "--output", str(path), *extra]) == 0


def test_acled_csv_has_acleds_columns_in_acleds_order_and_round_trips_with_its_types(output, tmp_path):
    root, events = output
    path = tmp_path / "events.csv"
    export(root, "acled-csv", path)
    with open(path, newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert header == ACLED_NAMES
    con = duckdb.connect()
    table = con.execute(f"SELECT * FROM read_csv_auto('{path}', header = true)")
    described = {column[0]: column[1] for column in table.description}
    assert list(described) == ACLED_NAMES
    rows = [dict(zip(described, row, strict=True)) for row in table.fetchall()]
    assert len(rows) == N_EVENTS  # the stale r0 row and the uncommitted r9 row are not exported
    types = {
        r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM read_csv_auto('{path}', header = true)").fetchall()
    }
    for column in ACLED_NAMES:
        assert types[column] == ACLED_TYPES.get(column, "VARCHAR"), column
    for row in rows:
        event = events[row["event_id_cnty"][3:]]
        assert row["event_date"] == event["event_date"] and row["year"] == event["event_date"].year
        assert row["fatalities"] == (event["fatalities"] or 0)  # ACLED writes 0, never blank
        assert row["sub_event_type"] == event["sub_event_type"] and row["notes"] == event["evidence"]
        assert row["time_precision"] == event["date_precision"] and row["geo_precision"] == event["geo_precision"]
        assert row["inter1"] in range(1, 9) and row["inter2"] in range(0, 9)
        assert row["interaction"] == interaction(row["inter1"], row["inter2"])
        assert (row["inter2"] == 0) == (event["actor2"] is None)
        assert row["timestamp"] == int(T0.timestamp())
        if event["latitude"] is None:
            assert row["latitude"] is None and row["longitude"] is None
        else:
            assert abs(row["latitude"] - event["latitude"]) < 1e-4
    by_country = {(r["event_id_cnty"][:3], r["iso"], r["country"]) for r in rows}
    assert ("UKR", 804, "Ukraine") in by_country and ("SDN", 729, "Sudan") in by_country
    assert ("COD", 180, "Democratic Republic of Congo") in by_country  # ACLED's spelling, not GeoNames'
    first = next(r for r in rows if r["event_id_cnty"].endswith("e0000001"))
    assert first["fatalities"] == (events["e0000001"]["fatalities"] or 0) != 777
    multi = next(r for r in rows if events[r["event_id_cnty"][3:]]["source_count"] == 3)
    assert len(multi["source"].split("; ")) == 3
    assert all(
        r["civilian_targeting"] == "Civilian targeting" for r in rows if r["event_type"] == "Violence against civilians"
    )


def test_acled_interaction_codes():
    assert interaction(1, 2) == 12 and interaction(2, 1) == 12 and interaction(1, 7) == 17
    assert interaction(6, 0) == 60 and interaction(1, 1) == 11


def test_geojson_is_a_feature_collection_with_every_event_and_its_sources(output, tmp_path):
    root, events = output
    path = tmp_path / "events.geojson"
    export(root, "geojson", path)
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection" and len(collection["features"]) == N_EVENTS
    for feature in collection["features"]:
        event = events[feature["id"]]
        if event["latitude"] is None:
            assert feature["geometry"] is None
        else:
            assert feature["geometry"] == {"type": "Point", "coordinates": [event["longitude"], event["latitude"]]}
        props = feature["properties"]
        assert props["event_date"] == event["event_date"].isoformat() and len(props["claims"]) == len(event["claims"])
        assert [s["article_id"] for s in props["sources"]] == event["source_article_ids"]
        assert all(s["url"].startswith("https://news.example/") for s in props["sources"])


def test_plover_records_one_per_line_with_plover_categories(output, tmp_path):
    root, events = output
    path = tmp_path / "events.jsonl"
    export(root, "plover", path, "--country", "UA", "--since", "2024-12-01")
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    want = {k for k, e in events.items() if e["country"] == "UA" and e["event_date"] >= dt.date(2024, 12, 1)}
    assert {r["id"] for r in records} == want and want
    assert set(PLOVER_TYPES.values()) - {None} <= PLOVER_CATEGORIES
    for record in records:
        event = events[record["id"]]
        assert record["event"] == PLOVER_TYPES[event["sub_event_type"]]
        assert record["dead"] == event["fatalities"] and record["injured"] == event["wounded"]
        assert record["location"]["country"] == "UA" and record["text"] == event["evidence"]
        assert [c["claimed_by"] for c in record["claims"]] == [c["claimed_by"] for c in event["claims"]]


def test_export_errors_are_one_line(tmp_path, capsys):
    assert main(["export", "--input", str(tmp_path), "--format", "geojson", "--output", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "no committed run" in err
