"""Regenerate the committed BigQuery table schemas from the record declarations.

    python -m schemas.generate            # rewrite schemas/bigquery/*.json
    python -m schemas.generate --check    # exit 1 when a committed file differs (CI)

`<table>.json` is the field list in the form `bq mk --table --schema` and `bq load --schema` take;
`tables.json` holds each table's description, day partitioning and clustering (REST `Table` resource
names). The pipeline derives the same from `schemas/records.py` at run time; a test keeps the files equal.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from schemas.model import RecordKind
from schemas.records import SINK_KINDS

SCHEMA_DIR = Path(__file__).resolve().parent / "bigquery"
LAYOUT_FILE = "tables.json"


def table_layout(kind: RecordKind) -> dict[str, Any]:
    """The table's description, partitioning and clustering, as BigQuery's REST `Table` resource names them."""
    table: dict[str, Any] = {"description": kind.description}
    if kind.partition_field:
        table["timePartitioning"] = {"type": "DAY", "field": kind.partition_field}
    if kind.cluster_fields:
        table["clustering"] = {"fields": list(kind.cluster_fields)}
    return table


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def expected_files() -> dict[str, str]:
    """File name -> content: one field list per table a run writes, and the tables' layout."""
    files = {f"{name}.json": _dump(kind.bigquery_schema()["fields"]) for name, kind in sorted(SINK_KINDS.items())}
    files[LAYOUT_FILE] = _dump({name: table_layout(kind) for name, kind in sorted(SINK_KINDS.items())})
    return files


def stale_files(directory: Path = SCHEMA_DIR) -> list[str]:
    """Names of committed files that are missing, differ from the declarations, or name no table."""
    expected = expected_files()
    stale = [
        name
        for name, text in expected.items()
        if not (directory / name).is_file() or (directory / name).read_text(encoding="utf-8") != text
    ]
    extra = [p.name for p in directory.glob("*.json") if p.name not in expected] if directory.is_dir() else []
    return sorted(stale + extra)


def write(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in expected_files().items():
        path = directory / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m schemas.generate", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="Only compare; exit 1 when a file is out of date.")
    parser.add_argument("--dir", type=Path, default=SCHEMA_DIR, help=f"Output folder (default {SCHEMA_DIR}).")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files(args.dir)
        if stale:
            print("out of date (run python -m schemas.generate): " + ", ".join(stale), file=sys.stderr)
            return 1
        print(f"{len(expected_files())} schema files up to date in {args.dir}")
        return 0
    for path in write(args.dir):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
