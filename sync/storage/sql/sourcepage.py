"""Postgres maps a page itself: the source JSON goes over once, typed columns come from SQL.

The page's body is sent once, as one jsonb parameter of one statement; the rows, their
line items and the upsert are derived from it in SQL. Only for pages whose
records are all plain (`sync.entities.plain.plain_records`, checked by the caller): then
these casts give exactly what `map_page` gives. A value Postgres still refuses (a NUL in
some string, a number beyond numeric) raises a data error; the caller then rolls back
and maps the page in Python, which finds and rejects the record.
"""

from __future__ import annotations

import functools

from sqlalchemy import Connection

from sync.entities import ChildSpec, EntitySpec, Field, Kind
from sync.storage.position import PagePosition
from sync.storage.schema import ENTITY_TABLES

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
def statement(spec: EntitySpec) -> str:
    """The one statement that writes a page: parse, map, upsert, replace line items."""
    table = ENTITY_TABLES[spec.name]
    names = [c.name for c in table.columns]
    keys = {"id": "text", "version": "bigint", "deleted_at": "text"}
    keys.update({f.key: "text" for f in spec.fields})
    if spec.child is not None:
        keys[spec.child.source_key] = "jsonb"
    mapped = {
        "store": "%(store)s",
        "id": "x.id",
        "version": "x.version",
        "deleted_at": "NULLIF(x.deleted_at, '')::timestamptz",
        "raw": "x.r",
        "synced_at": "%(now)s",
        **{f.name: _value("x", f) for f in spec.fields},
    }
    updates = ", ".join(
        f"{_quote(n)} = EXCLUDED.{_quote(n)}" for n in names if n not in ("store", "id")
    )
    parts = [
        # jsonb_to_record reads every key in one pass over the record. Repeats of an id
        # in one page: the highest version wins, the later one on a tie.
        "page AS MATERIALIZED (SELECT DISTINCT ON (x.id) p.ord, p.r, x.* "
        "FROM jsonb_array_elements((SELECT CASE jsonb_typeof(b) WHEN 'array' THEN b "
        "ELSE b->'data' END FROM (SELECT %(body)s::jsonb AS b) AS body)) "
        "WITH ORDINALITY AS p(r, ord), "
        f"jsonb_to_record(p.r) AS x({_record_type(keys)}) "
        "ORDER BY x.id, x.version DESC, p.ord DESC)",
        # A backfill must never undo a newer sync: rows older than the stored ones stay out.
        "fresh AS MATERIALIZED (SELECT * FROM page AS x WHERE NOT EXISTS (SELECT FROM "
        f"{table.name} AS t WHERE t.store = %(store)s AND t.id = x.id "
        "AND t.version > x.version))",
        f"up AS (INSERT INTO {table.name} ({', '.join(map(_quote, names))}) "
        f"SELECT {', '.join(mapped[n] for n in names)} FROM fresh AS x "
        f"ON CONFLICT (store, id) DO UPDATE SET {updates} "
        "RETURNING deleted_at IS NOT NULL AS gone)",
    ]
    children = "0"
    if spec.child is not None:
        parts.extend(_child_parts(spec.child))
        children = "(SELECT count(*) FROM items_written)"
    return (
        f"WITH {', '.join(parts)} SELECT (SELECT count(*) FROM up), "
        f"(SELECT count(*) FROM up WHERE gone), {children}"
    )


def _child_parts(child: ChildSpec) -> list[str]:
    """The line items of the rows written replace their old ones.

    The insert waits for the delete (it reads the delete's count first): the parts of
    one statement run in no fixed order otherwise.
    """
    table = ENTITY_TABLES[child.name]
    names = [c.name for c in table.columns]
    keys = {"id": "text", **{f.key: "text" for f in child.fields}}
    mapped = {
        "store": "%(store)s",
        "id": "y.id",
        child.parent_column: "x.id",
        "version": "x.version",
        "deleted_at": "NULLIF(x.deleted_at, '')::timestamptz",
        "raw": "i.item",
        "synced_at": "%(now)s",
        **{f.name: _value("y", f) for f in child.fields},
    }
    source = f"x.{_quote(child.source_key)}"
    return [
        f"items_gone AS (DELETE FROM {child.table} WHERE store = %(store)s "
        f"AND {_quote(child.parent_column)} = ANY(ARRAY(SELECT id FROM fresh)) RETURNING 1)",
        f"items_written AS (INSERT INTO {child.table} ({', '.join(map(_quote, names))}) "
        f"SELECT {', '.join(mapped[n] for n in names)} FROM fresh AS x "
        f"CROSS JOIN LATERAL jsonb_array_elements(coalesce({source}, '[]')) AS i(item) "
        f"CROSS JOIN LATERAL jsonb_to_record(i.item) AS y({_record_type(keys)}) "
        "WHERE (SELECT count(*) FROM items_gone) >= 0 RETURNING 1)",
    ]


def rpc_statement(spec: EntitySpec) -> str:
    """`statement` with positional parameters ($1 body, $2 now, $3 store), as migration
    0016 holds it for the REST backend's sync_apply_source_page."""
    return (
        statement(spec)
        .replace("%(body)s", "$1")
        .replace("%(now)s", "$2")
        .replace("%(store)s", "$3")
    )


def write_source_page(
    conn: Connection, spec: EntitySpec, body: str, at: PagePosition
) -> tuple[int, int, int]:
    """Write one page body of plain records in one statement.

    Returns (rows written, of them deleted, child rows written).
    """
    # Naive source timestamps are UTC, as the Python mapping takes them. A page's sort
    # by id (repeats) holds whole records: in memory, not on disk.
    conn.exec_driver_sql("SET LOCAL TimeZone = 'UTC'; SET LOCAL work_mem = '64MB'")
    written, deleted, children = conn.exec_driver_sql(
        statement(spec), {"body": body, "now": at.now, "store": at.store}
    ).one()
    return int(written), int(deleted), int(children)
