"""The data model: one declaration per kind, and every derived form agreeing with it."""

from __future__ import annotations

import datetime as dt
import pickle

import pyarrow as pa
import pytest

from schemas import ARTICLES, DEAD_LETTERS, EVENTS, FEED_STATUS, SCHEMA_VERSION, SINK_KINDS, Article, Event, Field
from schemas.model import RecordKind

UTC = dt.timezone.utc


def test_every_sink_kind_derives_matching_arrow_bigquery_and_row_forms():
    for kind in SINK_KINDS.values():
        arrow = kind.arrow_schema()
        bq = kind.bigquery_schema()["fields"]
        assert arrow.names == list(kind.field_names)
        assert [f["name"] for f in bq] == list(kind.field_names)
        required = {f.name for f in kind.fields if f.mode == "REQUIRED"}
        assert {f.name for f in arrow if not f.nullable} == required
        assert {f["name"] for f in bq if f["mode"] == "REQUIRED"} == required


def test_row_types_default_optional_fields_and_carry_the_schema_version():
    article = Article(article_id="a1", url="https://example.org/a")
    assert article.schema_version == SCHEMA_VERSION
    assert article.title is None
    assert EVENTS.to_dict(Event(event_id="e", article_id="a"))["claims"] == []
    assert pickle.loads(pickle.dumps(article)) == article  # rows travel between Beam workers


def test_validate_names_each_way_a_row_breaks_the_schema():
    problems = EVENTS.validate(
        {"event_id": "e", "article_id": None, "fatalities": "2", "claims": [{"wounded": 1.5}], "bogus": 1}
    )
    assert "article_id: required" in problems
    assert "fatalities: expected INT64, got str" in problems
    assert "claims[0].wounded: expected INT64, got float" in problems
    assert "bogus: not in the events schema" in problems


def test_validate_refuses_naive_timestamps_and_datetimes_for_dates():
    assert ARTICLES.validate(Article(article_id="a", url="u", fetched_at=dt.datetime(2024, 1, 1)))
    assert EVENTS.validate(Event(event_id="e", article_id="a", event_date=dt.datetime(2024, 1, 1, tzinfo=UTC)))
    assert not EVENTS.validate(Event(event_id="e", article_id="a", event_date=dt.date(2024, 1, 1)))


def test_valid_rows_convert_to_arrow_and_json():
    row = Event(
        event_id="e1",
        article_id="a1",
        event_date=dt.date(2022, 8, 3),
        fatalities=1,
        claims=[
            {
                "claimed_by": "Ministry",
                "fatalities": 1,
                "wounded": None,
                "vague": False,
                "text": "1 killed",
                "source_article_id": "a1",
            }
        ],
        extracted_at=dt.datetime(2022, 8, 4, 12, tzinfo=UTC),
    )
    assert EVENTS.validate(row) == []
    table = pa.Table.from_pylist([EVENTS.to_dict(row)], schema=EVENTS.arrow_schema())
    assert table.column("claims").to_pylist()[0][0]["claimed_by"] == "Ministry"
    as_json = EVENTS.to_json_row(row)
    assert as_json["event_date"] == "2022-08-03"
    assert as_json["extracted_at"] == "2022-08-04T12:00:00+00:00"


def test_warehouse_layout_names_real_fields():
    assert EVENTS.partition_field == "event_date"
    assert EVENTS.cluster_fields == ("country", "event_type")
    assert DEAD_LETTERS.partition_field == "at"
    assert FEED_STATUS.partition_field == "fetched_at"


def test_declaring_a_broken_kind_fails_loudly():
    with pytest.raises(ValueError):
        Field("x", "NUMBER")
    with pytest.raises(ValueError):
        RecordKind("k", "", (Field("a", "STRING"), Field("a", "INT64")))
    with pytest.raises(ValueError):
        RecordKind("k", "", (Field("a", "STRING"),), partition_field="missing")
