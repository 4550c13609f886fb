"""Near-duplicate articles (syndicated wire copy, lightly edited reposts) share a `cluster_id`.

MinHash over word shingles estimates the Jaccard similarity of two texts; locality-sensitive hashing (bands of
the signature) finds candidate pairs without comparing every pair, and a candidate becomes a duplicate when its
estimated similarity reaches `threshold`. benchmarks/event_merging.py compares this with SimHash on real
articles and edited copies of them (figures in docs/incremental-and-streaming.md).

A cluster's id is the `cluster_id` an earlier run gave one of its members (so a repost arriving tomorrow joins
yesterday's story), else the article_id of its earliest member: stable across reruns of the same input.
A singleton's cluster_id is its own article_id, so `count(DISTINCT cluster_id)` counts stories.
"""

from __future__ import annotations

import datetime as dt
import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import apache_beam as beam
import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
_PRIME = np.uint64((1 << 31) - 1)
_FAR_FUTURE = dt.datetime.max.replace(tzinfo=dt.timezone.utc)


@dataclass(frozen=True)
class ClusterSettings:
    """MinHash/LSH parameters (defaults measured in benchmarks/event_merging.py)."""

    shingle_words: int = 3  # an edited copy keeps most 3-word runs; another story on the same subject shares few
    num_perm: int = 128
    bands: int = 64  # 64 bands of 2 rows: a pair at Jaccard 0.35 becomes a candidate with probability > 0.999
    threshold: float = 0.35  # estimated Jaccard from which two texts are copies (recall 0.88, precision 0.94)
    min_words: int = 30  # texts shorter than this are compared on title + description + text together
    seed: int = 20240501


class Signed(NamedTuple):
    """An article reduced to what clustering needs."""

    article_id: str
    published: dt.datetime | None
    signature: tuple[int, ...]
    cluster_id: str | None = None  # set for articles of earlier runs


def words(text: str | None) -> list[str]:
    return _WORD.findall((text or "").casefold())


def shingles(tokens: Sequence[str], size: int) -> set[str]:
    if len(tokens) <= size:
        return {" ".join(tokens)} if tokens else set()
    return {" ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def article_text(title: str | None, description: str | None, text: str | None, min_words: int) -> list[str]:
    body = words(text)
    if len(body) >= min_words:
        return body
    return words(" ".join(part for part in (title, description, text) if part))


class MinHasher:
    """MinHash signatures with fixed permutations (the same seed gives the same signatures on every worker)."""

    def __init__(self, settings: ClusterSettings = ClusterSettings()):
        self.settings = settings
        rng = np.random.default_rng(settings.seed)
        self._a = rng.integers(1, int(_PRIME), size=settings.num_perm, dtype=np.uint64)
        self._b = rng.integers(0, int(_PRIME), size=settings.num_perm, dtype=np.uint64)

    def signature(self, tokens: Sequence[str]) -> tuple[int, ...]:
        grams = shingles(tokens, self.settings.shingle_words)
        if not grams:
            return ()
        hashes = np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint64, count=len(grams))
        hashes %= _PRIME
        permuted = (self._a[:, None] * hashes[None, :] + self._b[:, None]) % _PRIME
        return tuple(int(v) for v in permuted.min(axis=1))

    def sign(self, article: Any, cluster_id: str | None = None) -> Signed:
        title, description = getattr(article, "title", None), getattr(article, "description", None)
        tokens = article_text(title, description, article.text, self.settings.min_words)
        return Signed(article.article_id, article.published, self.signature(tokens), cluster_id)


def similarity(a: Sequence[int], b: Sequence[int]) -> float:
    """Estimated Jaccard similarity of the texts behind two MinHash signatures."""
    if not a or not b:
        return 0.0
    return sum(x == y for x, y in zip(a, b, strict=True)) / len(a)


def _order(signed: Signed) -> tuple:
    # Earlier runs' members first, so their cluster ids win; then by publication.
    return (signed.cluster_id is None, signed.published or _FAR_FUTURE, signed.article_id)


def assign_clusters(signed: Iterable[Signed], settings: ClusterSettings = ClusterSettings()) -> dict[str, str]:
    """article_id -> cluster_id for every article given without a cluster_id (the new ones)."""
    members = sorted(signed, key=_order)
    parent = list(range(len(members)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    rows = settings.num_perm // settings.bands
    buckets: dict[tuple, list[int]] = {}
    for index, member in enumerate(members):
        if not member.signature:
            continue
        for band in range(settings.bands):
            key = (band, member.signature[band * rows : (band + 1) * rows])
            buckets.setdefault(key, []).append(index)
    checked: set[tuple[int, int]] = set()
    for bucket in buckets.values():
        for pos, i in enumerate(bucket):
            for j in bucket[pos + 1 :]:
                if (i, j) in checked:
                    continue
                checked.add((i, j))
                if similarity(members[i].signature, members[j].signature) >= settings.threshold:
                    ri, rj = root(i), root(j)
                    if ri != rj:
                        parent[max(ri, rj)] = min(ri, rj)  # the lower index (earlier member) stays the root
    result = {}
    for index, member in enumerate(members):
        if member.cluster_id is not None:
            continue
        head = members[root(index)]
        result[member.article_id] = head.cluster_id or head.article_id
    return result


class _Sign(beam.DoFn):
    def __init__(self, settings: ClusterSettings, earlier: bool):
        self.settings = settings
        self.earlier = earlier
        self.hasher: MinHasher | None = None

    def setup(self):
        self.hasher = MinHasher(self.settings)

    def process(self, article):
        cluster_id = (article.cluster_id or article.article_id) if self.earlier else None
        yield self.hasher.sign(article, cluster_id)


class _Assign(beam.DoFn):
    def __init__(self, settings: ClusterSettings):
        self.settings = settings
        self.copies = beam.metrics.Metrics.counter("cluster", "near_duplicate_articles")
        self.of_earlier = beam.metrics.Metrics.counter("cluster", "copies_of_earlier_runs_articles")

    def process(self, signed: list[Signed]):
        earlier_clusters = {s.cluster_id for s in signed if s.cluster_id is not None}
        clusters = assign_clusters(signed, self.settings)
        for article_id, cluster_id in sorted(clusters.items()):
            if cluster_id != article_id:
                self.copies.inc()
            if cluster_id in earlier_clusters:
                self.of_earlier.inc()
            yield article_id, cluster_id


def _with_cluster(keyed):
    _, grouped = keyed
    ids = list(grouped["cluster"])
    for article in grouped["article"]:
        yield article._replace(cluster_id=ids[0] if ids else article.article_id)


class ClusterArticles(beam.PTransform):
    """Set `cluster_id` on each article; `earlier` (optional) holds articles of earlier runs to join.

    The whole run's signatures meet in one place: a run's new articles number in the thousands at most, and
    connected components need them together.
    """

    def __init__(self, earlier: beam.PCollection | None = None, settings: ClusterSettings = ClusterSettings()):
        super().__init__()
        self.earlier = earlier
        self.settings = settings

    def expand(self, articles):
        signed = articles | "Sign" >> beam.ParDo(_Sign(self.settings, earlier=False))
        if self.earlier is not None:
            earlier = self.earlier | "SignEarlier" >> beam.ParDo(_Sign(self.settings, earlier=True))
            signed = (signed, earlier) | "WithEarlier" >> beam.Flatten()
        assigned = (
            signed
            | "OneKey" >> beam.Map(lambda s: ("all", s))
            | "All" >> beam.GroupByKey()  # per window when streaming (a global combine would refuse windows)
            | "Values" >> beam.Map(lambda keyed: list(keyed[1]))
            | "Assign" >> beam.ParDo(_Assign(self.settings))
        )
        return (
            {"article": articles | "ById" >> beam.Map(lambda a: (a.article_id, a)), "cluster": assigned}
            | "Join" >> beam.CoGroupByKey()
            | "SetCluster" >> beam.FlatMap(_with_cluster)
        )
