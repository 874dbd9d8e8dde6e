"""Exact comparison of the database copy with the simulator's ground truth."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from sync.entities import ENTITIES, EntitySpec, Kind
from sync.schema import ENTITY_TABLES


def _db_rows(engine: Engine, name: str) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(ENTITY_TABLES[name]))]


def _expected_value(kind: Kind, value: Any) -> Any:
    if value is None or (value == "" and kind is not Kind.TEXT):
        return None
    if kind is Kind.NUMBER:
        return Decimal(str(value))
    return value


def diff_entity(engine: Engine, spec: EntitySpec, truth: list[dict[str, Any]]) -> list[str]:
    """Every difference between the table of `spec` and the source records."""
    problems: list[str] = []
    rows = {r["id"]: r for r in _db_rows(engine, spec.name)}
    source = {r["id"]: r for r in truth}
    if set(rows) != set(source):
        missing = sorted(set(source) - set(rows))[:5]
        extra = sorted(set(rows) - set(source))[:5]
        problems.append(f"{spec.name}: missing {missing} extra {extra}")
    for source_id, record in source.items():
        row = rows.get(source_id)
        if row is None:
            continue
        if row["version"] != record["version"]:
            problems.append(
                f"{spec.name} {source_id}: version {row['version']} != {record['version']}"
            )
        if (row["deleted_at"] is None) != (record.get("deleted_at") in (None, "")):
            problems.append(f"{spec.name} {source_id}: deleted_at mismatch")
        if row["raw"] != record:
            problems.append(f"{spec.name} {source_id}: raw differs")
        for f in spec.fields:
            if f.kind in (Kind.NUMBER, Kind.TEXT):
                expected = _expected_value(f.kind, record.get(f.key))
                if row[f.name] != expected:
                    problems.append(
                        f"{spec.name} {source_id}.{f.name}: {row[f.name]!r} != {expected!r}"
                    )
    if spec.child is not None:
        problems.extend(_diff_children(engine, spec, truth))
    return problems


def _diff_children(engine: Engine, spec: EntitySpec, truth: list[dict[str, Any]]) -> list[str]:
    child = spec.child
    assert child is not None
    rows = {(r[child.parent_column], r["id"]): r for r in _db_rows(engine, child.name)}
    source = {
        (record["id"], item["id"]): item
        for record in truth
        for item in record.get(child.source_key) or []
    }
    problems = []
    if set(rows) != set(source):
        problems.append(
            f"{child.name}: missing {sorted(set(source) - set(rows))[:5]} "
            f"extra {sorted(set(rows) - set(source))[:5]}"
        )
    for key, item in source.items():
        row = rows.get(key)
        if row is None:
            continue
        for f in child.fields:
            if f.kind is Kind.NUMBER:
                expected = _expected_value(f.kind, item.get(f.key))
                if row[f.name] != expected:
                    problems.append(f"{child.name} {key}.{f.name}: {row[f.name]!r} != {expected!r}")
    if len(rows) != len(source):
        problems.append(f"{child.name}: {len(rows)} rows, source has {len(source)}")
    return problems


def diff_all(engine: Engine, simulator: Any) -> list[str]:
    """Differences over every entity; [] means the copy is exact."""
    problems: list[str] = []
    for spec in ENTITIES:
        problems.extend(diff_entity(engine, spec, simulator.dump(spec.name)))
    return problems
