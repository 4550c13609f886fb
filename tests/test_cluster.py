"""Near-duplicate articles share a cluster_id; different stories, even on the same subject, do not."""

from __future__ import annotations

import datetime as dt
import gzip
import json

import apache_beam as beam
from apache_beam.testing.util import assert_that

from schemas import Article
from tests.conftest import shared_path
from transforms.cluster import ClusterArticles, MinHasher, assign_clusters, similarity, words

UTC = dt.timezone.utc


def _docs() -> dict[int, str]:
    path = shared_path("india-police-events", "docs.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        return {row["doc_id"]: row["doc_text"] for row in map(json.loads, handle)}


def _article(article_id: str, text: str, day: int = 1, cluster_id: str | None = None) -> Article:
    return Article(
        article_id=article_id,
        url=f"https://example.org/{article_id}",
        text=text,
        published=dt.datetime(2002, 3, day, tzinfo=UTC),
        cluster_id=cluster_id,
    )


def test_two_editions_of_one_times_of_india_story_are_near_duplicates():
    docs = _docs()
    hasher = MinHasher()
    # 707 and 1133: the same report printed in two editions (upstream corpus, 2002-03-29).
    assert similarity(hasher.signature(words(docs[707])), hasher.signature(words(docs[1133]))) >= 0.8
    # 707 and 882: both about the Gujarat violence, different stories.
    assert similarity(hasher.signature(words(docs[707])), hasher.signature(words(docs[882]))) < 0.2


def test_lightly_edited_repost_joins_the_original_and_other_stories_stay_apart():
    docs = _docs()
    original = docs[87]
    paragraphs = original.split("\n")
    sentences = original.split(". ")
    repost = "AHMEDABAD: " + ". ".join(sentences[1:]) + " (With inputs from agencies)"  # new lede, credit line
    assert len(paragraphs) >= 1 and len(sentences) > 5
    hasher = MinHasher()
    signed = [
        hasher.sign(_article("orig", original, day=5)),
        hasher.sign(_article("repost", repost, day=6)),
        hasher.sign(_article("other", docs[882], day=5)),
        hasher.sign(_article("another", docs[707], day=5)),
    ]
    clusters = assign_clusters(signed)
    assert clusters["repost"] == clusters["orig"] == "orig"  # the earliest member names the cluster
    assert clusters["other"] == "other" and clusters["another"] == "another"


def test_a_copy_arriving_in_a_later_run_takes_the_earlier_cluster_id():
    docs = _docs()
    hasher = MinHasher()
    earlier = hasher.sign(_article("ed1", docs[707], day=29), cluster_id="cluster-from-run-1")
    later = hasher.sign(_article("ed2", docs[1133], day=28))  # even when it claims an earlier publication
    assert assign_clusters([later, earlier]) == {"ed2": "cluster-from-run-1"}


def test_cluster_transform_sets_cluster_id_on_every_article():
    docs = _docs()
    articles = [_article("a", docs[962], 24), _article("b", docs[882], 23), _article("c", docs[33], 8)]
    earlier = [_article("old", docs[529], 8, cluster_id="old")]

    def check(rows):
        got = sorted((r.article_id, r.cluster_id) for r in rows)
        assert got == [("a", "b"), ("b", "b"), ("c", "old")], got

    with beam.Pipeline(runner="FnApiRunner") as p:
        earlier_pc = p | "Earlier" >> beam.Create(earlier)
        clustered = p | beam.Create(articles) | ClusterArticles(earlier=earlier_pc)
        assert_that(clustered, check)
