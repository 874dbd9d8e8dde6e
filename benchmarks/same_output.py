"""The same-output floor (issue 28): the rows the product stored, written back as fast as
the database takes them.

After a full import, every `lightspeed_*` row of the product's database is read back (not
timed) and grouped into the pages the sync wrote: `page_size` parent records of an entity,
with their line items. What is timed is a freshly migrated schema (our typed columns,
line-item `raw`, our indexes) taking those pages, one transaction per page: COPY (FORMAT
binary) per table on Postgres, one executemany per table on SQLite. No upsert, no
mapping, no cursor: the floor of the output itself.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Any

import psycopg
from sqlalchemy import Engine

from sync.entities import ENTITIES, EntitySpec
from sync.storage.sql.db import sqlite_file_path


@dataclass(frozen=True)
class TableRows:
    """One table's part of a page: its columns, their Postgres type oids, the rows."""

    table: str
    columns: tuple[str, ...]
    oids: tuple[int, ...]
    rows: list[tuple[Any, ...]]


Page = list[TableRows]


def _pg_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_columns(
    conn: psycopg.Connection[Any], table: str
) -> tuple[tuple[str, ...], tuple[int, ...]]:
    rows = conn.execute(
        "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass "
        "AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
        (table,),
    ).fetchall()
    return tuple(r[0] for r in rows), tuple(int(r[1]) for r in rows)


def _read_tables(engine: Engine) -> dict[str, TableRows]:
    """Every entity table's rows as the driver returns them, ordered by id."""
    tables = [t for spec in ENTITIES for t in spec.tables]
    found: dict[str, TableRows] = {}
    if engine.dialect.name == "postgresql":
        with psycopg.connect(_pg_url(engine)) as conn:
            for table in tables:
                columns, oids = _pg_columns(conn, table)
                rows = conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                found[table] = TableRows(table, columns, oids, rows)
        return found
    path = sqlite_file_path(engine.url.database)
    assert path is not None
    with sqlite3.connect(path) as conn:
        for table in tables:
            cursor = conn.execute(f"SELECT * FROM {table} ORDER BY 1")
            columns = tuple(d[0] for d in cursor.description)
            found[table] = TableRows(table, columns, (), cursor.fetchall())
    return found


def _entity_pages(spec: EntitySpec, tables: dict[str, TableRows], page_size: int) -> list[Page]:
    parents = tables[spec.table]
    child = tables[spec.child.table] if spec.child else None
    by_parent: dict[Any, list[tuple[Any, ...]]] = {}
    if child is not None and spec.child is not None:
        at = child.columns.index(spec.child.parent_column)
        for row in child.rows:
            by_parent.setdefault(row[at], []).append(row)
    pages = []
    for start in range(0, len(parents.rows), page_size):
        rows = parents.rows[start : start + page_size]
        page = [TableRows(parents.table, parents.columns, parents.oids, rows)]
        if child is not None:
            children = [c for r in rows for c in by_parent.get(r[0], [])]
            page.append(TableRows(child.table, child.columns, child.oids, children))
        pages.append(page)
    return pages


def stored_pages(engine: Engine, page_size: int) -> list[Page]:
    """The product's stored rows, in the pages the sync wrote them (entity order)."""
    tables = _read_tables(engine)
    return [page for spec in ENTITIES for page in _entity_pages(spec, tables, page_size)]


def write_pages(engine: Engine, pages: list[Page]) -> float:
    """Seconds for a freshly migrated database to take every page, a transaction each."""
    if engine.dialect.name == "postgresql":
        with psycopg.connect(_pg_url(engine)) as conn:
            start = time.perf_counter()
            for page in pages:
                with conn.transaction(), conn.cursor() as cursor:
                    for part in page:
                        _copy_binary(cursor, part)
            return time.perf_counter() - start
    # The product's own connection settings (WAL, cache, checkpoints: sql/db.py).
    raw = engine.raw_connection()
    try:
        conn: Any = raw.driver_connection
        start = time.perf_counter()
        for page in pages:
            conn.execute("BEGIN IMMEDIATE")
            for part in page:
                marks = ", ".join("?" for _ in part.columns)
                names = ", ".join(part.columns)
                conn.executemany(f"INSERT INTO {part.table} ({names}) VALUES ({marks})", part.rows)
            conn.execute("COMMIT")
        return time.perf_counter() - start
    finally:
        raw.close()


def _copy_binary(cursor: psycopg.Cursor[Any], part: TableRows) -> None:
    if not part.rows:
        return
    names = ", ".join(part.columns)
    with cursor.copy(f"COPY {part.table} ({names}) FROM STDIN (FORMAT binary)") as copy:
        copy.set_types(list(part.oids))
        for row in part.rows:
            copy.write_row(row)
