"""Writing the four record kinds to BigQuery tables whose schemas come from `schemas/`.

    --output bq://PROJECT.DATASET   ->   PROJECT:DATASET.articles / events / dead_letters / feed_status

Batch (file loads, idempotent per run):
  1. rows are checked against the table schema (the declaration's own check, then fastavro against the Avro
     schema Beam derives from the BigQuery schema, the one the load files are written with); rows that break
     it become dead letters, as in the Parquet sink;
  2. Beam's `WriteToBigQuery` (FILE_LOADS, Avro files) loads the run's rows into a staging table
     `<table>__run_<run_id>` with WRITE_TRUNCATE, so a retried load replaces, never adds;
  3. one script then creates the main table if needed (day-partitioned, clustered, from `schemas/`),
     replaces that run's rows in it in a single MERGE (delete rows whose run_id is this run, insert the
     staging rows) and drops the staging table. A rerun of the same run id therefore leaves exactly one copy
     of its rows; a rerun that produced no rows for a table deletes the earlier attempt's rows.

Streaming (streaming inserts): rows go straight to the main table, created on first use with the same
layout. Inserts are at-least-once; rows carry stable ids so readers deduplicate (see docs/warehouse.md).
Rows BigQuery refuses become dead letters (stage "sink", reason "bigquery_insert_refused").

Every BigQuery call goes through `apache_beam.io.gcp.bigquery_tools.BigQueryWrapper`, so the `test_client`
seam of `WriteToBigQuery` also receives the staging MERGE and table creation: tests record every request.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

import apache_beam as beam
import fastavro
from apache_beam.io.gcp import bigquery_tools
from apache_beam.io.gcp.bigquery import BigQueryDisposition, WriteToBigQuery
from apache_beam.io.gcp.bigquery_tools import RetryStrategy
from apache_beam.io.gcp.internal.clients import bigquery as bq
from apache_beam.options.pipeline_options import StandardOptions
from fastavro.validation import ValidationError

from schemas import DEAD_LETTERS, SINK_KINDS, RecordKind
from transforms.base import DEAD, dead_letter
from transforms.sinks import ValidateRows

log = logging.getLogger(__name__)

SCHEME = "bq://"
STAGING_SUFFIX = "__run_"
FILE_LOADS = WriteToBigQuery.Method.FILE_LOADS
STREAMING_INSERTS = WriteToBigQuery.Method.STREAMING_INSERTS
# Seconds between polls of a running load or MERGE job; BigQuery jobs take seconds, not milliseconds.
JOB_POLL_SECONDS = 5
# Run ids become part of a table name and a job id: BigQuery allows letters, digits and underscores in both.
_RUN_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_PROJECT = re.compile(r"^[a-z][a-z0-9.:-]{4,61}[a-z0-9]$")
_DATASET = re.compile(r"^[A-Za-z0-9_]{1,1024}$")


def parse_output(output: str) -> tuple[str, str]:
    """`bq://PROJECT.DATASET` -> (project, dataset); ValueError with the expected form otherwise."""
    if not output.startswith(SCHEME):
        raise ValueError(f"not a BigQuery output (expected bq://PROJECT.DATASET): {output!r}")
    project, sep, dataset = output[len(SCHEME) :].rstrip("/").rpartition(".")
    if not sep or not _PROJECT.match(project) or not _DATASET.match(dataset):
        raise ValueError(f"expected bq://PROJECT.DATASET with a GCP project id and a dataset name, got {output!r}")
    return project, dataset


def table_safe(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", run_id)


def staging_table(kind: RecordKind, run_id: str) -> str:
    return f"{kind.name}{STAGING_SUFFIX}{table_safe(run_id)}"


def table_parameters(kind: RecordKind) -> dict[str, Any]:
    """Partitioning and clustering of the kind's main table, in the REST `Table` resource's names."""
    params: dict[str, Any] = {}
    if kind.partition_field:
        params["timePartitioning"] = {"type": "DAY", "field": kind.partition_field}
    if kind.cluster_fields:
        params["clustering"] = {"fields": list(kind.cluster_fields)}
    return params


def _has_json_field(fields: list[dict[str, Any]]) -> bool:
    return any(f["type"] == "JSON" or _has_json_field(f.get("fields", [])) for f in fields)


def avro_schema(kind: RecordKind) -> Any:
    """The parsed Avro schema Beam writes the kind's load files with (JSON columns travel as strings)."""
    fields = kind.bigquery_schema()["fields"]
    if _has_json_field(fields):
        fields = _json_as_string(fields)
    return fastavro.parse_schema(bigquery_tools.get_avro_schema_from_table_schema({"fields": fields}))


def _json_as_string(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for f in fields:
        f = dict(f, type="STRING" if f["type"] == "JSON" else f["type"])
        if "fields" in f:
            f["fields"] = _json_as_string(f["fields"])
        out.append(f)
    return out


def schema_problems(kind: RecordKind, row: Any, parsed_avro: Any = None) -> list[str]:
    """Every way `row` breaks the kind's BigQuery table schema; empty when it would load.

    The declaration's own check names the field and catches what Avro would silently accept (a naive
    timestamp, an unknown field); fastavro then checks the exact record the load file would hold.
    """
    problems = kind.validate(row)
    if problems:
        return problems
    try:
        fastavro.validation.validate(kind.to_dict(row), parsed_avro or avro_schema(kind), raise_errors=True)
    except ValidationError as exc:
        return [f"avro: {error}" for error in exc.errors] or [f"avro: {exc}"]
    except (TypeError, ValueError, AttributeError) as exc:
        return [f"avro: {exc}"]
    return []


def merge_statement(project: str, dataset: str, kind: RecordKind, run_id: str) -> str:
    """Replace the run's rows in the main table by the staging table's rows, then drop the staging table.

    `ON FALSE` makes every target row "not matched by source" and every staging row "not matched by target":
    the MERGE deletes the run's earlier rows and inserts the new ones in one atomic statement.
    """
    main = f"`{project}.{dataset}.{kind.name}`"
    staging = f"`{project}.{dataset}.{staging_table(kind, run_id)}`"
    return (
        f"MERGE {main} AS target\n"
        f"USING {staging} AS source\n"
        "ON FALSE\n"
        "WHEN NOT MATCHED BY SOURCE AND target.run_id = @run_id THEN DELETE\n"
        "WHEN NOT MATCHED BY TARGET THEN INSERT ROW;\n"
        f"DROP TABLE {staging};"
    )


def delete_statement(project: str, dataset: str, kind: RecordKind) -> str:
    """What a run with no rows for a table leaves of an earlier attempt: nothing."""
    return f"DELETE FROM `{project}.{dataset}.{kind.name}` WHERE run_id = @run_id;"


def query_job_request(project: str, job_id: str, statement: str, run_id: str) -> bq.BigqueryJobsInsertRequest:
    """A standard-SQL script job with the run id as a named parameter (never spliced into the SQL)."""
    parameter = bq.QueryParameter(
        name="run_id",
        parameterType=bq.QueryParameterType(type="STRING"),
        parameterValue=bq.QueryParameterValue(value=run_id),
    )
    query = bq.JobConfigurationQuery(
        query=statement, useLegacySql=False, parameterMode="NAMED", queryParameters=[parameter]
    )
    return bq.BigqueryJobsInsertRequest(
        projectId=project,
        job=bq.Job(
            configuration=bq.JobConfiguration(query=query, labels=_labels({"conflictwire_step": "replace_run"})),
            jobReference=bq.JobReference(projectId=project, jobId=job_id),
        ),
    )


def _labels(values: dict[str, str]) -> bq.JobConfiguration.LabelsValue:
    entries = [bq.JobConfiguration.LabelsValue.AdditionalProperty(key=k, value=v) for k, v in values.items()]
    return bq.JobConfiguration.LabelsValue(additionalProperties=entries)


class _CheckRows(ValidateRows):
    """Stamp the run id, refuse rows the table would refuse (Avro included), and shape the rest for the write."""

    counter_prefix = "bq_"

    def __init__(self, kind: RecordKind, run_id: str, as_json: bool):
        super().__init__(kind, run_id)
        self.as_json = as_json
        self._avro = None

    def setup(self):
        self._avro = avro_schema(self.kind)

    def problems(self, row: Any) -> list[str]:
        return schema_problems(self.kind, row, self._avro)

    def shaped(self, row: Any) -> Any:
        return self.kind.to_json_row(row) if self.as_json else self.kind.to_dict(row)

    def dead_letter_ids(self, row: Any) -> dict[str, str | None]:
        return {
            **super().dead_letter_ids(row),
            "item_id": getattr(row, "article_id", None) or getattr(row, "item_id", None),
        }


class _ReplaceRunRows(beam.DoFn):
    """After the staging loads finish: create the main table if needed and swap in this run's rows."""

    def __init__(self, project: str, dataset: str, kind: RecordKind, run_id: str, test_client=None):
        self.project = project
        self.dataset = dataset
        self.kind = kind
        self.run_id = run_id
        self.test_client = test_client
        self.merges = beam.metrics.Metrics.counter("sink", f"bq_{kind.name}_merges")
        self.deletes = beam.metrics.Metrics.counter("sink", f"bq_{kind.name}_empty_run_deletes")
        self._bigquery = None

    def setup(self):
        self._bigquery = bigquery_tools.BigQueryWrapper(client=self.test_client)

    def process(self, job_references, attempt: str):
        for reference in job_references:
            self._bigquery.wait_for_bq_job(reference, sleep_duration_sec=JOB_POLL_SECONDS)
        layout = dict(table_parameters(self.kind), description=self.kind.description)
        self._bigquery.get_or_create_table(
            self.project,
            self.dataset,
            self.kind.name,
            bigquery_tools.get_bq_tableschema(self.kind.bigquery_schema()),
            BigQueryDisposition.CREATE_IF_NEEDED,
            BigQueryDisposition.WRITE_APPEND,
            additional_create_parameters=layout,
        )
        if job_references:
            statement = merge_statement(self.project, self.dataset, self.kind, self.run_id)
            self.merges.inc()
        else:
            statement = delete_statement(self.project, self.dataset, self.kind)
            self.deletes.inc()
        # One id per pipeline attempt: a retried bundle finds its job already there (409) instead of
        # running the script twice; a new attempt of the run gets a new job.
        job_id = f"conflictwire_{self.kind.name}_{table_safe(self.run_id)}_{attempt}"
        response = self._bigquery._start_job(query_job_request(self.project, job_id, statement, self.run_id))
        self._bigquery.wait_for_bq_job(response.jobReference, sleep_duration_sec=JOB_POLL_SECONDS)
        yield f"{self.project}.{self.dataset}.{self.kind.name}"


class _RefusedInserts(beam.DoFn):
    """Rows BigQuery refused on insert become dead letters (the dead-letter table's own are counted, logged)."""

    def __init__(self, kind: RecordKind):
        self.kind = kind
        self.refused = beam.metrics.Metrics.counter("sink", f"bq_{kind.name}_inserts_refused")

    def process(self, failure):
        _destination, row, errors = failure
        self.refused.inc()
        detail = f"{self.kind.name}: {errors}"
        if self.kind is DEAD_LETTERS:
            log.error("dead letter refused by BigQuery: %s (%s)", row, detail)
            return
        yield dead_letter(
            "sink",
            "bigquery_insert_refused",
            url=row.get("url") or row.get("source_url"),
            feed_url=row.get("feed_url"),
            item_id=row.get("article_id") or row.get("item_id"),
            detail=detail,
        )


class WriteBigQueryTable(beam.PTransform):
    """Rows of one record kind to `PROJECT:DATASET.<kind>`.

    Returns a dict: "tables" (the table written, once it holds the run's rows) and DEAD (dead letters for
    rows that break the schema or, streaming, that BigQuery refused).
    """

    def __init__(
        self,
        project: str,
        dataset: str,
        kind: RecordKind,
        run_id: str,
        *,
        method: str | None = None,
        temp_location: str | None = None,
        test_client=None,
    ):
        super().__init__()
        if not run_id or not _RUN_ID.match(run_id):
            raise ValueError(f"run_id must be 1-64 letters, digits or _.:- for BigQuery, got {run_id!r}")
        if method not in (None, FILE_LOADS, STREAMING_INSERTS):
            raise ValueError(f"method must be {FILE_LOADS} or {STREAMING_INSERTS}, got {method!r}")
        self.project = project
        self.dataset = dataset
        self.kind = kind
        self.run_id = run_id
        self.method = method
        self.temp_location = temp_location
        self.test_client = test_client

    def _method(self, pipeline) -> str:
        if self.method:
            return self.method
        return STREAMING_INSERTS if pipeline.options.view_as(StandardOptions).streaming else FILE_LOADS

    def expand(self, rows):
        method = self._method(rows.pipeline)
        streaming = method == STREAMING_INSERTS
        checked = rows | "Check" >> beam.ParDo(_CheckRows(self.kind, self.run_id, as_json=streaming)).with_outputs(
            DEAD, main="rows"
        )
        if streaming:
            return self._insert(checked)
        return self._load(checked)

    def _insert(self, checked):
        result = checked.rows | "Insert" >> WriteToBigQuery(
            table=f"{self.project}:{self.dataset}.{self.kind.name}",
            schema=self.kind.bigquery_schema(),
            method=STREAMING_INSERTS,
            create_disposition=BigQueryDisposition.CREATE_IF_NEEDED,
            write_disposition=BigQueryDisposition.WRITE_APPEND,
            additional_bq_parameters=table_parameters(self.kind),
            # Beam's default retries every refused row for ever; a row BigQuery calls invalid will not improve.
            insert_retry_strategy=RetryStrategy.RETRY_ON_TRANSIENT_ERROR,
            test_client=self.test_client,
        )
        refused = result.failed_rows_with_errors | "Refused" >> beam.ParDo(_RefusedInserts(self.kind))
        dead = (checked[DEAD], refused) | "Dead" >> beam.Flatten()
        tables = checked.rows.pipeline | "Table" >> beam.Create([f"{self.project}.{self.dataset}.{self.kind.name}"])
        return {"tables": tables, DEAD: dead}

    def _load(self, checked):
        schema = self.kind.bigquery_schema()
        file_format = (
            bigquery_tools.FileFormat.JSON if _has_json_field(schema["fields"]) else bigquery_tools.FileFormat.AVRO
        )
        # A local temp folder only makes sense with a test client; Beam insists on gs:// otherwise.
        local_temp = bool(self.temp_location) and not self.temp_location.startswith("gs://")
        result = checked.rows | "LoadStaging" >> WriteToBigQuery(
            table=f"{self.project}:{self.dataset}.{staging_table(self.kind, self.run_id)}",
            schema=schema,
            method=FILE_LOADS,
            create_disposition=BigQueryDisposition.CREATE_IF_NEEDED,
            write_disposition=BigQueryDisposition.WRITE_TRUNCATE,
            temp_file_format=file_format,
            custom_gcs_temp_location=self.temp_location,
            validate=not local_temp,
            test_client=self.test_client,
        )
        jobs = (
            (result.destination_load_jobid_pairs, result.destination_copy_jobid_pairs)
            | "LoadJobs" >> beam.Flatten()
            | "JobRefs" >> beam.Map(lambda pair: pair[1])
            | "AllJobs" >> beam.combiners.ToList()
        )
        attempt = (
            checked.rows.pipeline
            | "AttemptSeed" >> beam.Create([None])
            | "AttemptId" >> beam.Map(lambda _: uuid.uuid4().hex[:12])
        )
        tables = jobs | "ReplaceRun" >> beam.ParDo(
            _ReplaceRunRows(self.project, self.dataset, self.kind, self.run_id, self.test_client),
            beam.pvalue.AsSingleton(attempt),
        )
        return {"tables": tables, DEAD: checked[DEAD]}


class WriteBigQueryRecords(beam.PTransform):
    """The four record kinds to BigQuery tables under bq://PROJECT.DATASET, like the Parquet `WriteRecords`.

    Input: {"articles", "events", "dead_letters", "feed_status"} -> PCollections of row NamedTuples.
    Output: {kind: PCollection of the table written}. Rows a table refuses join the dead letters.
    """

    def __init__(
        self,
        output: str,
        run_id: str,
        *,
        method: str | None = None,
        temp_location: str | None = None,
        test_client=None,
    ):
        super().__init__()
        self.project, self.dataset = parse_output(output)
        self.run_id = run_id
        self.options = {"method": method, "temp_location": temp_location, "test_client": test_client}
        # Constructing one table's transform validates run_id and method now, not at graph expansion.
        WriteBigQueryTable(self.project, self.dataset, DEAD_LETTERS, run_id, **self.options)

    def _table(self, kind: RecordKind) -> WriteBigQueryTable:
        return WriteBigQueryTable(self.project, self.dataset, kind, self.run_id, **self.options)

    def expand(self, records):
        written = {}
        refused = []
        for name in ("articles", "events", "feed_status"):
            result = records[name] | f"BigQuery{name}" >> self._table(SINK_KINDS[name])
            written[name] = result["tables"]
            refused.append(result[DEAD])
        dead = (records["dead_letters"], *refused) | "DeadWithRefused" >> beam.Flatten()
        result = dead | "BigQuerydead_letters" >> self._table(DEAD_LETTERS)
        written["dead_letters"] = result["tables"]
        return written
