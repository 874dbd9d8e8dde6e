"""Postgres maps a page itself: the source JSON goes over once, typed columns come from SQL.

The page's body is sent as one jsonb parameter into a per-connection staging table; the
rows, their line items and the upsert are derived from it in SQL. Only for pages whose
records are all plain (`sync.entities.plain.plain_records`, checked by the caller): then
these casts give exactly what `map_page` gives. A value Postgres still refuses (a NUL in
some string, a number beyond numeric) raises a data error; the caller then rolls back
and maps the page in Python, which finds and rejects the record.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Connection

from sync.entities import ChildSpec, EntitySpec, Field, Kind
from sync.storage.schema import ENTITY_TABLES

STAGE = "_lsync_source_page"

_CASTS = {
    Kind.NUMBER: "numeric",
    Kind.BOOL: "boolean",
    Kind.INT: "bigint",
    Kind.TIMESTAMP: "timestamptz",
    Kind.DATE: "date",
}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _value(alias: str, f: Field) -> str:
    text = f"{alias}.{_quote(f.key)}"
    if f.kind is Kind.TEXT:
        return text
    return f"NULLIF({text}, '')::{_CASTS[f.kind]}"


def _record_type(keys: dict[str, str]) -> str:
    """The column list of jsonb_to_record: every key read, each once, as text by default."""
    return ", ".join(f"{_quote(key)} {kind}" for key, kind in keys.items())


@functools.cache
def _statements(spec: EntitySpec) -> dict[str, str]:
    table = ENTITY_TABLES[spec.name]
    names = [c.name for c in table.columns]
    keys = {"id": "text", "version": "bigint", "deleted_at": "text"}
    keys.update({f.key: "text" for f in spec.fields})
    if spec.child is not None:
        keys[spec.child.source_key] = "jsonb"
    mapped = {
        "id": "x.id",
        "version": "x.version",
        "deleted_at": "NULLIF(x.deleted_at, '')::timestamptz",
        "raw": "x.r",
        "synced_at": "%(now)s",
        **{f.name: _value("x", f) for f in spec.fields},
    }
    # jsonb_to_record reads every key in one pass over the record (each `->` would
    # fetch the whole stored record again). Repeats of an id in one page: the highest
    # version wins, the later one on a tie.
    latest = (
        f"SELECT DISTINCT ON (x.id) s.ord, s.r, x.* FROM {STAGE} AS s, "
        f"jsonb_to_record(s.r) AS x({_record_type(keys)}) "
        "ORDER BY x.id, x.version DESC, s.ord DESC"
    )
    updates = ", ".join(f"{_quote(n)} = EXCLUDED.{_quote(n)}" for n in names if n != "id")
    statements = {
        "upsert": (
            f"INSERT INTO {table.name} ({', '.join(map(_quote, names))}) "
            f"SELECT {', '.join(mapped[n] for n in names)} FROM ({latest}) AS x "
            f"ON CONFLICT (id) DO UPDATE SET {updates} "
            # A backfill must never undo a newer sync: older rows are left as they are.
            f"WHERE {table.name}.version <= EXCLUDED.version "
            "RETURNING id, deleted_at IS NOT NULL"
        ),
    }
    if spec.child is not None:
        statements.update(_child_statements(spec.child, latest))
    return statements


def _child_statements(child: ChildSpec, latest: str) -> dict[str, str]:
    table = ENTITY_TABLES[child.name]
    names = [c.name for c in table.columns]
    keys = {"id": "text", **{f.key: "text" for f in child.fields}}
    mapped = {
        "id": "y.id",
        child.parent_column: "x.id",
        "version": "x.version",
        "deleted_at": "NULLIF(x.deleted_at, '')::timestamptz",
        "raw": "i.item",
        "synced_at": "%(now)s",
        **{f.name: _value("y", f) for f in child.fields},
    }
    items = f"x.{_quote(child.source_key)}"
    return {
        "delete_children": (
            f"DELETE FROM {table.name} WHERE {_quote(child.parent_column)} = ANY(%(ids)s::text[])"
        ),
        "insert_children": (
            f"INSERT INTO {table.name} ({', '.join(map(_quote, names))}) "
            f"SELECT {', '.join(mapped[n] for n in names)} FROM ({latest}) AS x "
            "JOIN unnest(%(ids)s::text[]) AS written(id) ON written.id = x.id "
            f"CROSS JOIN LATERAL jsonb_array_elements(coalesce({items}, '[]')) AS i(item) "
            f"CROSS JOIN LATERAL jsonb_to_record(i.item) AS y({_record_type(keys)})"
        ),
    }


def write_source_page(
    conn: Connection, spec: EntitySpec, body: str, now: Any
) -> tuple[int, int, int]:
    """Stage and write one page body of plain records.

    Returns (rows written, of them deleted, child rows written).
    """
    sql = _statements(spec)
    run = conn.exec_driver_sql
    # Naive source timestamps are UTC, as the Python mapping takes them.
    run("SET LOCAL TimeZone = 'UTC'")
    run(f"CREATE TEMP TABLE IF NOT EXISTS {STAGE} (ord bigint, r jsonb) ON COMMIT DELETE ROWS")
    info = conn.connection.info
    if not info.get(STAGE):
        # Uncompressed: each record is read twice and dropped at COMMIT, compressing it
        # would cost for nothing. (A rollback may undo this: then it is only slower.)
        run(f"ALTER TABLE {STAGE} ALTER COLUMN r SET STORAGE EXTERNAL")
        info[STAGE] = True
    run(
        f"INSERT INTO {STAGE} (ord, r) SELECT ord, r FROM jsonb_array_elements("
        "(SELECT CASE jsonb_typeof(b) WHEN 'array' THEN b ELSE b->'data' END "
        "FROM (SELECT %(body)s::jsonb AS b) AS body)) WITH ORDINALITY AS page(r, ord)",
        {"body": body},
    )
    written = run(sql["upsert"], {"now": now}).all()
    ids = [source_id for source_id, _ in written]
    deleted = sum(1 for _, is_deleted in written if is_deleted)
    children = 0
    if spec.child is not None and ids:
        run(sql["delete_children"], {"ids": ids})
        children = run(sql["insert_children"], {"ids": ids, "now": now}).rowcount
    return len(ids), deleted, children
