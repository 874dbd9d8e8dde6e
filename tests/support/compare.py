"""Exact comparison of the database copy with the simulator's ground truth."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, select

from sync.entities import ENTITIES, EntitySpec, Kind
from sync.storage.column_types import ExactNumber
from sync.storage.schema import ENTITY_TABLES

# Where the copy is read from: a SQLAlchemy engine, or a function giving a table's rows
# (the live Supabase test reads through the REST API).
RowSource = Engine | Callable[[str], list[dict[str, Any]]]


def _db_rows(engine: RowSource, name: str, store: str | None = None) -> list[dict[str, Any]]:
    """The rows of a table: every store's, or only `store`'s."""
    if not isinstance(engine, Engine):
        return engine(name)
    table = ENTITY_TABLES[name]
    query = select(table) if store is None else select(table).where(table.c.store == store)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(query)]


def rest_rows(store: Any, page: int = 1000) -> Callable[[str], list[dict[str, Any]]]:
    """A row source over a RestStore (its store's rows): money read as text (exact), paged
    like PostgREST."""

    def rows_of(name: str) -> list[dict[str, Any]]:
        table = ENTITY_TABLES[name]
        money = {c.name for c in table.columns if isinstance(c.type, ExactNumber)}
        names = [c.name for c in table.columns]
        columns = ",".join(f"{c}::text" if c in money else c for c in names)
        keys = [c.name for c in table.primary_key.columns]
        found: list[dict[str, Any]] = []
        while True:
            query = store.table(name).select(columns).eq("store", store.prefix)
            for key in keys:
                query = query.order(key)
            batch = store.execute(query.range(len(found), len(found) + page - 1)).data
            for row in batch:
                for column in money:
                    if row[column] is not None:
                        row[column] = Decimal(row[column])
            found += batch
            if len(batch) < page:
                return found

    return rows_of


_SURROGATE = re.compile("[\ud800-\udfff]")
# In JSON with every non-ASCII character escaped: a NUL or a surrogate (lone, or half of an
# astral character's pair). A record without one is stored as it is.
_NEEDS_WORK = re.compile(r"\\u(0000|[dD][89a-fA-F])")


def sanitised(value: Any) -> Any:
    """The source value as the README says it is stored: NUL removed, lone surrogate → U+FFFD."""
    if isinstance(value, dict | list):
        try:
            if not _NEEDS_WORK.search(json.dumps(value, default=str)):
                return value
        except ValueError:  # a circular value: walk it
            pass
    return _sanitised(value)


def _sanitised(value: Any) -> Any:
    if isinstance(value, str):
        value = value.replace("\x00", "")
        return value if value.isascii() else _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_sanitised(k): _sanitised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_sanitised(v) for v in value]
    return value


def _expected_value(kind: Kind, value: Any) -> Any:
    if value is None or (value == "" and kind is not Kind.TEXT):
        return None
    if kind is Kind.NUMBER:
        return Decimal(str(value))
    return value


def diff_entity(
    engine: RowSource, spec: EntitySpec, truth: list[dict[str, Any]], store: str | None = None
) -> list[str]:
    """Every difference between the table of `spec` (`store`'s rows: the only store's when
    None) and the source records."""
    problems: list[str] = []
    rows = {r["id"]: r for r in _db_rows(engine, spec.name, store)}
    source = {r["id"]: sanitised(r) for r in truth}
    # A row the source no longer lists is right only when the copy marks it deleted.
    unlisted = {i for i in set(rows) - set(source) if rows[i]["deleted_at"] is not None}
    if set(rows) - unlisted != set(source):
        missing = sorted(set(source) - set(rows))[:5]
        extra = sorted(set(rows) - set(source) - unlisted)[:5]
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
        problems.extend(_diff_children(engine, spec, truth, store))
    return problems


def _diff_children(
    engine: RowSource, spec: EntitySpec, truth: list[dict[str, Any]], store: str | None
) -> list[str]:
    child = spec.child
    assert child is not None
    rows = {(r[child.parent_column], r["id"]): r for r in _db_rows(engine, child.name, store)}
    source = {
        (record["id"], item["id"]): sanitised(item)
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


def diff_all(engine: RowSource, simulator: Any, store: str | None = None) -> list[str]:
    """Differences over every entity (`store`'s rows; None: the database holds one store);
    [] means the copy is exact."""
    problems: list[str] = []
    for spec in ENTITIES:
        problems.extend(diff_entity(engine, spec, simulator.dump(spec.name), store))
    return problems
