"""Parquet output: hive-partitioned, schema-checked, and a rerun of a run replaces its own files."""

from __future__ import annotations

import datetime as dt

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.testing.util import assert_that

from schemas import ARTICLES, Article
from transforms.base import DEAD
from transforms.sinks import WriteParquet, files_of_run, read_rows

UTC = dt.timezone.utc


def _articles(n: int, day: int = 1) -> list[Article]:
    return [
        Article(
            article_id=f"a{i:03d}",
            url=f"https://example.org/{i}",
            title=f"story {i}",
            fetched_at=dt.datetime(2024, 5, day, 12, tzinfo=UTC),
        )
        for i in range(n)
    ]


def _write(tmp_path, rows, run_id="r1", expect_dead=()):
    """Run the sink; assert the dead letters' (reason, detail keyword) pairs inside the pipeline."""

    def check(letters):
        got = sorted((d.reason, d.item_id) for d in letters)
        assert got == sorted(expect_dead), got
        assert all("fetched_at" in d.detail for d in letters)

    with beam.Pipeline(runner="FnApiRunner") as p:
        result = p | beam.Create(rows) | WriteParquet(str(tmp_path), ARTICLES, run_id)
        assert_that(result[DEAD], check)


def test_rows_land_in_date_partitions_readable_as_one_dataset(tmp_path):
    _write(tmp_path, _articles(3, day=1) + _articles(2, day=2)[:1])
    assert sorted(p.name for p in (tmp_path / "articles").iterdir()) == ["dt=2024-05-01", "dt=2024-05-02"]
    table = read_rows(str(tmp_path), "articles")
    assert table.num_rows == 4
    assert set(table.column("run_id").to_pylist()) == {"r1"}
    one = next((tmp_path / "articles" / "dt=2024-05-01").glob("*.parquet"))
    assert pq.read_schema(one).field("fetched_at").type.tz == "UTC"


def test_rows_that_break_the_schema_become_dead_letters_not_file_rows(tmp_path):
    bad = Article(article_id="bad", url="https://example.org/bad", fetched_at=dt.datetime(2024, 5, 1))  # naive
    _write(tmp_path, _articles(2) + [bad], expect_dead=[("schema_violation", "bad")])
    assert read_rows(str(tmp_path), "articles").num_rows == 2


def test_rerunning_a_run_replaces_its_output_instead_of_adding_to_it(tmp_path):
    _write(tmp_path, _articles(5, day=1))
    _write(tmp_path, _articles(3, day=2))  # the same run id, retried with different results
    table = read_rows(str(tmp_path), "articles")
    assert table.num_rows == 3
    assert len(files_of_run(str(tmp_path), "articles", "r1")) == 1
    _write(tmp_path, _articles(2, day=2), run_id="r2")  # another run adds
    assert read_rows(str(tmp_path), "articles").num_rows == 5
    assert not list((tmp_path / "_staging" / "r1").glob("*"))


def test_reading_state_honours_the_lookback_window(tmp_path):
    _write(tmp_path, _articles(2, day=1) + [a._replace(article_id="new") for a in _articles(1, day=9)])
    recent = read_rows(str(tmp_path), "articles", ["article_id"], partitions_since="2024-05-05")
    assert recent.column("article_id").to_pylist() == ["new"]


def test_committing_a_run_leaves_no_staging_folder_behind(tmp_path):
    from pipelines.state import commit_run

    _write(tmp_path, _articles(2))
    commit_run(str(tmp_path), "r1")
    assert not (tmp_path / "_staging" / "r1").exists()
    assert (tmp_path / "_runs" / "r1.json").exists()
