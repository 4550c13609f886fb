"""The machinery behind the record kinds: a field list from which every other form is derived.

A record kind is declared once, as a tuple of `Field`s (see `schemas/records.py`). From that one
declaration come the Python row type (a `typing.NamedTuple`, what flows through the pipeline), the
Arrow schema (Parquet), the BigQuery table schema (JSON) and a validator. Adding a field in the
declaration adds it everywhere.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pyarrow as pa

# BigQuery's type names are the vocabulary; each maps to one Python type and one Arrow type.
_PY_TYPES: dict[str, type] = {
    "STRING": str,
    "INT64": int,
    "FLOAT64": float,
    "BOOL": bool,
    "TIMESTAMP": dt.datetime,
    "DATE": dt.date,
    "JSON": str,
}
_ARROW_TYPES: dict[str, pa.DataType] = {
    "STRING": pa.string(),
    "INT64": pa.int64(),
    "FLOAT64": pa.float64(),
    "BOOL": pa.bool_(),
    "TIMESTAMP": pa.timestamp("us", tz="UTC"),
    "DATE": pa.date32(),
    "JSON": pa.string(),
}
MODES = ("NULLABLE", "REQUIRED", "REPEATED")


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    mode: str = "NULLABLE"
    description: str = ""
    fields: tuple[Field, ...] = ()  # sub-fields of a RECORD
    default: Any = None  # the row type's default for an optional field (immutable values only)

    def __post_init__(self) -> None:
        if self.type != "RECORD" and self.type not in _PY_TYPES:
            raise ValueError(f"field {self.name!r}: unknown type {self.type!r}")
        if self.mode not in MODES:
            raise ValueError(f"field {self.name!r}: unknown mode {self.mode!r}")
        if (self.type == "RECORD") != bool(self.fields):
            raise ValueError(f"field {self.name!r}: RECORD fields need sub-fields, others none")

    def arrow_type(self) -> pa.DataType:
        if self.type == "RECORD":
            base = pa.struct([pa.field(f.name, f.arrow_type(), f.mode != "REQUIRED") for f in self.fields])
        else:
            base = _ARROW_TYPES[self.type]
        return pa.list_(base) if self.mode == "REPEATED" else base

    def bigquery(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type, "mode": self.mode}
        if self.description:
            out["description"] = self.description
        if self.fields:
            out["fields"] = [f.bigquery() for f in self.fields]
        return out

    def check(self, value: Any, path: str) -> list[str]:
        """Problems with `value` for this field, as readable strings (empty when it fits)."""
        if value is None:
            return [f"{path}: required"] if self.mode == "REQUIRED" else []
        if self.mode == "REPEATED":
            if not isinstance(value, (list, tuple)):
                return [f"{path}: expected a list, got {type(value).__name__}"]
            problems: list[str] = []
            for i, item in enumerate(value):
                if item is None:
                    problems.append(f"{path}[{i}]: null inside a repeated field")
                else:
                    problems.extend(self._check_one(item, f"{path}[{i}]"))
            return problems
        return self._check_one(value, path)

    def _check_one(self, value: Any, path: str) -> list[str]:
        if self.type == "RECORD":
            if not isinstance(value, dict):
                value = value._asdict() if hasattr(value, "_asdict") else value
            if not isinstance(value, dict):
                return [f"{path}: expected a record, got {type(value).__name__}"]
            problems = [f"{path}.{k}: not in the schema" for k in value if k not in {f.name for f in self.fields}]
            for sub in self.fields:
                problems.extend(sub.check(value.get(sub.name), f"{path}.{sub.name}"))
            return problems
        expected = _PY_TYPES[self.type]
        if self.type == "FLOAT64" and isinstance(value, int) and not isinstance(value, bool):
            return []
        if self.type == "DATE" and isinstance(value, dt.datetime):
            return [f"{path}: expected a date, got a datetime"]
        if expected is int and isinstance(value, bool):
            return [f"{path}: expected INT64, got bool"]
        if not isinstance(value, expected):
            return [f"{path}: expected {self.type}, got {type(value).__name__}"]
        if self.type == "TIMESTAMP" and value.tzinfo is None:
            return [f"{path}: timestamp without a time zone"]
        return []


def _py_annotation(f: Field) -> Any:
    base: Any = dict if f.type == "RECORD" else _PY_TYPES[f.type]
    if f.mode == "REPEATED":
        return list[base]
    if f.mode == "NULLABLE":
        return base | None
    return base


@dataclass(frozen=True)
class RecordKind:
    """One kind of record: its name, its fields and how its warehouse table is laid out."""

    name: str
    description: str
    fields: tuple[Field, ...]
    partition_field: str | None = None
    cluster_fields: tuple[str, ...] = ()
    _row_type: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: duplicate field names")
        for name in (self.partition_field, *self.cluster_fields):
            if name is not None and name not in names:
                raise ValueError(f"{self.name}: {name!r} is not a field")

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def arrow_schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(f.name, f.arrow_type(), f.mode != "REQUIRED") for f in self.fields],
            metadata={"conflictwire.kind": self.name},
        )

    def bigquery_schema(self) -> dict[str, Any]:
        return {"fields": [f.bigquery() for f in self.fields]}

    def make_row_type(self, class_name: str, module: str) -> type:
        """A NamedTuple whose optional and repeated fields default to None and []."""
        annotations = [(f.name, _py_annotation(f)) for f in self.fields]
        cls = NamedTuple(class_name, annotations)  # type: ignore[misc]
        defaults = []
        seen_required_after_default = False
        for f in self.fields:
            if f.mode == "REQUIRED":
                if defaults:
                    seen_required_after_default = True
                continue
            defaults.append(f.name)
        if seen_required_after_default:
            raise ValueError(f"{self.name}: REQUIRED fields must come before optional ones")
        by_name = {f.name: f for f in self.fields}
        cls.__new__.__defaults__ = tuple(by_name[name].default for name in defaults)
        cls.__module__ = module
        cls.__doc__ = self.description
        object.__setattr__(self, "_row_type", cls)
        return cls

    def validate(self, row: Any) -> list[str]:
        """Every way `row` (a row type instance or a dict) breaks this schema; empty when it fits."""
        values = row._asdict() if hasattr(row, "_asdict") else dict(row)
        problems = [f"{k}: not in the {self.name} schema" for k in values if k not in self.field_names]
        for f in self.fields:
            value = values.get(f.name)
            if f.mode == "REPEATED" and value is None:
                continue  # an unset repeated field is written as an empty list
            problems.extend(f.check(value, f.name))
        return problems

    def to_dict(self, row: Any) -> dict[str, Any]:
        """A plain dict in schema order, nested rows as dicts, unset lists as []."""
        values = row._asdict() if hasattr(row, "_asdict") else dict(row)
        out = {}
        for f in self.fields:
            value = values.get(f.name)
            if f.mode == "REPEATED" and value is None:
                value = []
            if f.type == "RECORD" and value is not None:
                value = [_record_dict(v) for v in value] if f.mode == "REPEATED" else _record_dict(value)
            out[f.name] = value
        return out

    def to_json_row(self, row: Any) -> dict[str, Any]:
        """JSON-ready dict (timestamps and dates as ISO 8601 strings), the form BigQuery inserts take."""
        return _jsonable(self.to_dict(row))


def _record_dict(value: Any) -> dict[str, Any]:
    return value._asdict() if hasattr(value, "_asdict") else dict(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
