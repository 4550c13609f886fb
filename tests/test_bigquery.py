"""BigQuery output: committed schemas match `schemas/`, bad rows are caught offline, and the sink sends the
expected load jobs, MERGE scripts and streaming inserts through `WriteToBigQuery`'s test-client seam.

No BigQuery emulator exists for this: `RecordingBigQuery` below answers the handful of BigQuery API calls
Beam's `BigQueryWrapper` makes (jobs.Insert/Get, tables.Get/Insert/Delete, insert_rows_json) as the real
service would on success, and writes every request to a JSON-lines log the test then reads.
"""

from __future__ import annotations

import datetime as dt
import json
import typing
from pathlib import Path

import apache_beam as beam
import fastavro
import pytest
from apache_beam.io.gcp.internal.clients import bigquery as bq
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that
from apitools.base.py import encoding
from apitools.base.py.exceptions import HttpError

from schemas import EVENTS, SINK_KINDS, Article, DeadLetter, Event, FeedStatus
from schemas.generate import LAYOUT_FILE, SCHEMA_DIR, expected_files, stale_files, write
from schemas.records import CLAIM
from transforms.base import DEAD
from transforms.bigquery import (
    WriteBigQueryRecords,
    WriteBigQueryTable,
    avro_schema,
    parse_output,
    schema_problems,
    staging_table,
)

UTC = dt.timezone.utc
PROJECT, DATASET = "conflictwire-test", "warehouse"


class RecordingBigQuery:
    """A BigQuery API client for the `test_client` seam: every call is appended to `log` (JSON lines).

    Picklable (Beam ships it to each DoFn): its state is the log file, so copies agree on which tables exist.
    `refuse_rows_with` makes insert_rows_json refuse rows whose JSON contains that text, as BigQuery does.
    """

    def __init__(self, log: Path, refuse_rows_with: str | None = None):
        self.log = str(log)
        self.refuse_rows_with = refuse_rows_with
        self.jobs = _Jobs(self)
        self.tables = _Tables(self)

    def record(self, call: str, **payload) -> None:
        with open(self.log, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"call": call, **payload}, default=str) + "\n")

    def calls(self, name: str | None = None) -> list[dict]:
        path = Path(self.log)
        entries = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
        return [e for e in entries if name is None or e["call"] == name]

    def insert_rows_json(self, table, json_rows, row_ids=None, skip_invalid_rows=False, **_kwargs):
        self.record("insert_rows_json", table=table, rows=json_rows, row_ids=row_ids)
        refused = [
            i for i, row in enumerate(json_rows) if self.refuse_rows_with and self.refuse_rows_with in json.dumps(row)
        ]
        return [{"index": i, "errors": [{"reason": "invalid", "message": "refused by test"}]} for i in refused]


class _Jobs:
    def __init__(self, client: RecordingBigQuery):
        self.client = client

    def Insert(self, request, upload=None):  # noqa: N802 - the apitools method name
        job = request.job
        self.client.record("jobs.Insert", job=json.loads(encoding.MessageToJson(job)))
        return bq.Job(jobReference=job.jobReference, status=bq.JobStatus(state="RUNNING"))

    def Get(self, request):  # noqa: N802
        reference = bq.JobReference(projectId=request.projectId, jobId=request.jobId, location=request.location)
        return bq.Job(jobReference=reference, status=bq.JobStatus(state="DONE"))


class _Tables:
    def __init__(self, client: RecordingBigQuery):
        self.client = client

    def _exists(self, table_id: str) -> bool:
        return any(c["table"]["tableReference"]["tableId"] == table_id for c in self.client.calls("tables.Insert"))

    def Get(self, request):  # noqa: N802
        if not self._exists(request.tableId):
            raise HttpError({"status": 404}, b"Not found: Table", "https://bigquery.test/tables")
        return bq.Table(
            tableReference=bq.TableReference(
                projectId=request.projectId, datasetId=request.datasetId, tableId=request.tableId
            )
        )

    def Insert(self, request):  # noqa: N802
        self.client.record("tables.Insert", table=json.loads(encoding.MessageToJson(request.table)))
        return request.table

    def Delete(self, request):  # noqa: N802
        self.client.record("tables.Delete", table=request.tableId)


def _event(event_id: str, **changes) -> Event:
    base = dict(
        event_id=event_id,
        article_id="a1",
        event_type="Battles",
        sub_event_type="Armed clash",
        event_date=dt.date(2024, 5, 1),
        country="UA",
        fatalities=3,
        claims=[
            {
                "source_article_id": "a1",
                "claimed_by": "ministry",
                "fatalities": 3,
                "wounded": None,
                "vague": False,
                "text": "three soldiers were killed",
            }
        ],
        published=dt.datetime(2024, 5, 1, 9, tzinfo=UTC),
        source_article_ids=["a1"],
    )
    base.update(changes)
    return Event(**base)


def _create(p, label, rows):
    # As the stages emit them: untyped. Beam cannot infer a row schema for Event (`claims` is list[dict]).
    return p | label >> beam.Create(rows).with_output_types(typing.Any)


def _records(p, events):
    fetched = dt.datetime(2024, 5, 1, 12, tzinfo=UTC)
    return {
        "articles": _create(p, "A", [Article(article_id="a1", url="https://example.org/1", fetched_at=fetched)]),
        "events": _create(p, "E", events),
        "dead_letters": _create(p, "D", [DeadLetter(stage="fetch", reason="http_404", at=fetched)]),
        "feed_status": _create(
            p, "S", [FeedStatus(feed_url="https://example.org/rss", status="ok", fetched_at=fetched)]
        ),
    }


# --- committed schema files -------------------------------------------------------------------------


def test_committed_schema_files_match_the_record_declarations():
    assert stale_files() == [], "run: python -m schemas.generate"
    for name, kind in SINK_KINDS.items():
        assert json.loads((SCHEMA_DIR / f"{name}.json").read_text()) == kind.bigquery_schema()["fields"]


def test_schema_check_reports_a_file_that_drifted_from_the_declarations(tmp_path):
    write(tmp_path)
    assert stale_files(tmp_path) == []
    events = json.loads((tmp_path / "events.json").read_text())
    (tmp_path / "events.json").write_text(json.dumps(events[:-1]))  # a field dropped by hand
    (tmp_path / "old_table.json").write_text("[]")
    assert stale_files(tmp_path) == ["events.json", "old_table.json"]


def test_events_table_is_partitioned_by_event_date_and_clustered_by_country_and_event_type():
    layout = json.loads(expected_files()[LAYOUT_FILE])["events"]
    assert layout["timePartitioning"] == {"type": "DAY", "field": "event_date"}
    assert layout["clustering"] == {"fields": ["country", "event_type"]}


# --- offline row validation -------------------------------------------------------------------------


def test_a_complete_event_fits_the_avro_schema_the_load_files_use():
    assert schema_problems(EVENTS, _event("e1")) == []
    claim_fields = [f.name for f in CLAIM.fields]
    record = avro_schema(EVENTS)
    claims = next(f for f in record["fields"] if f["name"] == "claims")
    assert [f["name"] for f in claims["type"]["items"]["fields"]] == claim_fields


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"article_id": None}, "article_id"),  # REQUIRED
        ({"fatalities": "3"}, "fatalities"),  # INT64 as a string
        ({"event_date": dt.datetime(2024, 5, 1, tzinfo=UTC)}, "event_date"),  # DATE column given a timestamp
        ({"published": dt.datetime(2024, 5, 1)}, "published"),  # TIMESTAMP without a zone
        ({"claims": [{"fatalities": 3, "killer": "x"}]}, "claims"),  # sub-field not in the schema
        ({"source_article_ids": "a1"}, "source_article_ids"),  # REPEATED given a scalar
    ],
)
def test_rows_that_break_the_table_schema_are_caught_with_the_field_named(changes, field):
    problems = schema_problems(EVENTS, _event("e1", **changes))
    assert problems and any(field in p for p in problems), problems


def test_avro_check_catches_what_the_declaration_check_lets_through():
    # An INT64 beyond 64 bits passes isinstance(int) but cannot be written to the load file.
    problems = schema_problems(EVENTS, _event("e1", fatalities=2**70))
    assert problems and problems[0].startswith("avro:"), problems


def test_output_must_name_a_project_and_a_dataset():
    assert parse_output("bq://my-project.news_events") == ("my-project", "news_events")
    for bad in ("bq://justdataset", "bq://My_Project.ds", "gs://bucket/x", "bq://my-project.bad-dataset"):
        with pytest.raises(ValueError):
            parse_output(bad)
    with pytest.raises(ValueError):
        WriteBigQueryRecords("bq://my-project.ds", "run/with/slashes")


# --- the sink through the test-client seam ----------------------------------------------------------


def _run_batch(tmp_path, events, run_id="20240501T1200Z", expect_dead=()):
    client = RecordingBigQuery(tmp_path / "calls.jsonl")

    def check_dead(letters):
        got = sorted((d.stage, d.reason, d.item_id) for d in letters)
        assert got == sorted(expect_dead), got

    with beam.Pipeline(runner="FnApiRunner") as p:
        records = _records(p, events)
        written = records | WriteBigQueryRecords(
            f"bq://{PROJECT}.{DATASET}", run_id, temp_location=str(tmp_path / "tmp"), test_client=client
        )
        assert_that(written["events"], lambda tables: tables == [f"{PROJECT}.{DATASET}.events"], label="EventsTable")
        # The dead letters the sink adds are themselves loaded: read them back from the dead_letters load file.
    letters_loaded = _loaded_rows(client, "dead_letters", run_id)
    check_dead(
        [
            DeadLetter(**{k: v for k, v in row.items() if k in DeadLetter._fields})
            for row in letters_loaded
            if row["stage"] == "sink"
        ]
    )
    return client


def _load_jobs(client):
    return [
        c["job"]["configuration"]["load"] for c in client.calls("jobs.Insert") if "load" in c["job"]["configuration"]
    ]


def _loaded_rows(client, kind_name, run_id):
    """The rows in the Avro files the load job for `kind_name` points BigQuery at."""
    kind = SINK_KINDS[kind_name]
    load = next(job for job in _load_jobs(client) if job["destinationTable"]["tableId"] == staging_table(kind, run_id))
    rows = []
    for uri in load["sourceUris"]:
        with open(uri, "rb") as handle:
            rows.extend(fastavro.reader(handle))
    return rows


def test_batch_loads_each_table_into_a_per_run_staging_table_with_truncate(tmp_path):
    client = _run_batch(tmp_path, [_event("e1"), _event("e2", country="SY")])
    loads = {job["destinationTable"]["tableId"]: job for job in _load_jobs(client)}
    assert set(loads) == {f"{name}__run_20240501T1200Z" for name in SINK_KINDS}
    events = loads["events__run_20240501T1200Z"]
    assert events["destinationTable"]["projectId"] == PROJECT and events["destinationTable"]["datasetId"] == DATASET
    assert events["writeDisposition"] == "WRITE_TRUNCATE"
    assert events["sourceFormat"] == "AVRO"
    assert [f["name"] for f in events["schema"]["fields"]] == list(EVENTS.field_names)
    rows = _loaded_rows(client, "events", "20240501T1200Z")
    assert sorted(r["event_id"] for r in rows) == ["e1", "e2"]
    assert {r["run_id"] for r in rows} == {"20240501T1200Z"}
    assert rows[0]["claims"][0]["claimed_by"] == "ministry"
    assert rows[0]["event_date"] == dt.date(2024, 5, 1)


def test_batch_creates_main_tables_partitioned_and_clustered_then_merges_the_run_in(tmp_path):
    client = _run_batch(tmp_path, [_event("e1")])
    created = {c["table"]["tableReference"]["tableId"]: c["table"] for c in client.calls("tables.Insert")}
    assert created["events"]["timePartitioning"] == {"type": "DAY", "field": "event_date"}
    assert created["events"]["clustering"] == {"fields": ["country", "event_type"]}
    assert created["feed_status"]["timePartitioning"]["field"] == "fetched_at"
    queries = [c["job"] for c in client.calls("jobs.Insert") if "query" in c["job"]["configuration"]]
    assert len(queries) == 4
    events_query = next(
        q for q in queries if "`conflictwire-test.warehouse.events`" in q["configuration"]["query"]["query"]
    )
    config = events_query["configuration"]["query"]
    sql = config["query"]
    assert sql.startswith("MERGE `conflictwire-test.warehouse.events` AS target")
    assert "USING `conflictwire-test.warehouse.events__run_20240501T1200Z` AS source" in sql
    assert "WHEN NOT MATCHED BY SOURCE AND target.run_id = @run_id THEN DELETE" in sql
    assert "DROP TABLE `conflictwire-test.warehouse.events__run_20240501T1200Z`" in sql
    assert config["useLegacySql"] is False
    assert config["queryParameters"][0]["parameterValue"]["value"] == "20240501T1200Z"


def test_rerunning_a_run_sends_the_same_staging_table_and_replace_script_under_a_new_job(tmp_path):
    first = _run_batch(tmp_path / "first", [_event("e1")])
    second = _run_batch(tmp_path / "second", [_event("e1")])

    def scripts(client):
        jobs = [c["job"] for c in client.calls("jobs.Insert") if "query" in c["job"]["configuration"]]
        return {j["configuration"]["query"]["query"]: j["jobReference"]["jobId"] for j in jobs}

    assert set(scripts(first)) == set(scripts(second))
    assert set(scripts(first).values()).isdisjoint(scripts(second).values())
    assert all(job["writeDisposition"] == "WRITE_TRUNCATE" for job in _load_jobs(second))


def test_a_run_with_no_events_deletes_an_earlier_attempts_events(tmp_path):
    client = _run_batch(tmp_path, [])
    assert "events__run_20240501T1200Z" not in {j["destinationTable"]["tableId"] for j in _load_jobs(client)}
    sqls = [
        c["job"]["configuration"]["query"]["query"]
        for c in client.calls("jobs.Insert")
        if "query" in c["job"]["configuration"]
    ]
    assert "DELETE FROM `conflictwire-test.warehouse.events` WHERE run_id = @run_id;" in sqls


def test_rows_that_break_the_schema_become_sink_dead_letters_and_are_not_loaded(tmp_path):
    bad = _event("bad", article_id="a-bad", fatalities="many")
    client = _run_batch(tmp_path, [_event("e1"), bad], expect_dead=[("sink", "schema_violation", "a-bad")])
    assert [r["event_id"] for r in _loaded_rows(client, "events", "20240501T1200Z")] == ["e1"]


def test_streaming_inserts_json_rows_into_main_tables_created_with_partitioning(tmp_path):
    client = RecordingBigQuery(tmp_path / "calls.jsonl", refuse_rows_with='"event_id": "refused"')
    options = PipelineOptions(runner="FnApiRunner", streaming=False)

    def check_dead(letters):
        assert [(d.reason, d.item_id) for d in letters] == [("bigquery_insert_refused", "a-refused")]

    with beam.Pipeline(options=options) as p:
        events = p | beam.Create([_event("e1"), _event("refused", article_id="a-refused")])
        result = events | WriteBigQueryTable(
            PROJECT, DATASET, EVENTS, "r1", method="STREAMING_INSERTS", test_client=client
        )
        assert_that(result[DEAD], check_dead)
    inserts = client.calls("insert_rows_json")
    assert {c["table"] for c in inserts} == {f"{PROJECT}.{DATASET}.events"}
    rows = [row for c in inserts for row in c["rows"]]
    assert sorted(r["event_id"] for r in rows) == ["e1", "refused"]
    assert rows[0]["event_date"] == "2024-05-01" and rows[0]["published"] == "2024-05-01T09:00:00+00:00"
    assert not _load_jobs(client)
    created = client.calls("tables.Insert")[0]["table"]
    assert created["tableReference"]["tableId"] == "events"
    assert created["timePartitioning"] == {"type": "DAY", "field": "event_date"}
