"""The memory-mapped town index (transforms/towns.py) holds exactly what the gazetteer's TSV holds."""

from __future__ import annotations

import gzip

import pytest

from transforms.geo import TOWN_DATASETS, TOWNS_INDEX, TOWNS_TABLE, Town, fold
from transforms.towns import TownIndex, read_index, source_hash, write_index


def towns_from_tsv(min_population: int) -> dict[str, list[Town]]:
    """The index as the gazetteer used to build it: a dict of every row, straight from the TSV."""
    towns: dict[str, list[Town]] = {}
    with gzip.open(TOWNS_TABLE, "rt", encoding="utf-8", newline="\n") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            name, country, admin1, lat, lon, population, dataset, alternate_keys = line[:-1].split("\t")
            if int(dataset) < min_population:
                continue
            fields = (name, country, admin1, float(lat), float(lon), int(population))
            towns.setdefault(fold(name), []).append(Town(*fields))
            for key in alternate_keys.split("|") if alternate_keys else ():
                towns.setdefault(key, []).append(Town(*fields, alternate=True))
    return towns


def test_the_shipped_index_was_built_from_the_shipped_tsv():
    _, header = read_index(TOWNS_INDEX)
    assert header["source_sha256"] == source_hash(TOWNS_TABLE), "run: python -m transforms.towns"


@pytest.mark.parametrize("min_population", [TOWN_DATASETS[0], TOWN_DATASETS[-1]])
def test_the_index_gives_every_key_the_towns_the_tsv_gives_in_the_same_order(min_population):
    expected = towns_from_tsv(min_population)
    index = TownIndex.open(TOWNS_INDEX, TOWNS_TABLE, min_population, Town, fold)
    assert dict(index.items()) == expected
    for key in ("aleppo", "kaduna", "lachin", "goma"):
        assert index.get(key) == expected.get(key) and (key in index) == (key in expected)
    assert index.get("no such town anywhere") is None and "no such town anywhere" not in index
    with pytest.raises(KeyError):
        index["no such town anywhere"]


def test_a_stale_index_is_noticed_and_the_tsv_read_instead(tmp_path, caplog):
    stale = tmp_path / "towns.idx"
    write_index(TOWNS_TABLE, stale, fold)
    copy = tmp_path / "towns.tsv.gz"
    copy.write_bytes(TOWNS_TABLE.read_bytes())  # same rows...
    with gzip.open(copy, "at", encoding="utf-8") as handle:  # ...and one more
        handle.write("Zzqtown\tZZ\t01\t1.5\t2.25\t123456\t15000\tzzq town alias\n")
    index = TownIndex.open(stale, copy, 1000, Town, fold)
    assert "stale" in caplog.text
    assert index.get("zzqtown") == [Town("Zzqtown", "ZZ", "01", 1.5, 2.25, 123456)]
    assert index.get("zzq town alias") == [Town("Zzqtown", "ZZ", "01", 1.5, 2.25, 123456, alternate=True)]


@pytest.mark.parametrize("min_population", [15_000, 100_000])
def test_keys_of_big_towns_come_from_the_arrays_as_from_a_walk_of_the_tsv(min_population):
    index = TownIndex.open(TOWNS_INDEX, TOWNS_TABLE, 1000, Town, fold)
    walked = sorted(
        k
        for k, towns in towns_from_tsv(1000).items()
        if any(t.population >= min_population and not t.alternate for t in towns)
    )
    assert index.keys_with(min_population, main_names=True) == walked
