"""The same-output floor (issue 28): the rows the product stored, written back as fast as
the database takes them.

After a full import, every `lightspeed_*` row of the product's database is read back (not
timed) in the pages the sync wrote: `page_size` parent records of an entity, with their
line items. What is timed is a freshly migrated schema (our typed columns, line-item
`raw`, our indexes) taking those pages, one transaction per page: on Postgres COPY
(FORMAT binary) of each table's part, read beforehand with COPY TO, so no Python touches a
row while the clock runs; on SQLite one executemany per table. No upsert, no mapping, no
cursor: the floor of the output itself.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass, field
from typing import Any

import psycopg
from sqlalchemy import Engine

from sync.entities import ENTITIES, EntitySpec
from sync.storage.sql.db import sqlite_file_path


@dataclass(frozen=True)
class TableRows:
    """One table's part of a page: its rows (SQLite), or COPY binary data (Postgres)."""

    table: str
    columns: tuple[str, ...] = ()
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    binary: bytes = b""
    count: int = 0


Page = list[TableRows]


def _pg_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _copy_out(conn: psycopg.Connection[Any], query: str) -> tuple[bytes, int]:
    """The rows of `query` as COPY binary data, and how many."""
    data = bytearray()
    with conn.cursor() as cursor:
        with cursor.copy(f"COPY ({query}) TO STDOUT (FORMAT binary)") as copy:
            for chunk in copy:
                data += chunk
        count = cursor.rowcount
    return bytes(data), count


def _pg_pages(engine: Engine, page_size: int) -> list[Page]:
    """The stored rows in the sync's pages, each table's part as COPY binary data."""
    pages: list[Page] = []
    with psycopg.connect(_pg_url(engine)) as conn:
        for spec in ENTITIES:
            total = conn.execute(f"SELECT count(*) FROM {spec.table}").fetchone()
            for offset in range(0, int(total[0] if total else 0), page_size):
                ids = f"SELECT id FROM {spec.table} ORDER BY id LIMIT {page_size} OFFSET {offset}"
                data, count = _copy_out(conn, f"SELECT * FROM {spec.table} WHERE id IN ({ids})")
                page = [TableRows(spec.table, binary=data, count=count)]
                if spec.child is not None:
                    parent = spec.child.parent_column
                    query = f"SELECT * FROM {spec.child.table} WHERE {parent} IN ({ids})"
                    data, count = _copy_out(conn, query)
                    page.append(TableRows(spec.child.table, binary=data, count=count))
                pages.append(page)
    return pages


def _sqlite_tables(engine: Engine) -> dict[str, TableRows]:
    """Every entity table's rows as the driver returns them, ordered by id."""
    path = sqlite_file_path(engine.url.database)
    assert path is not None
    found: dict[str, TableRows] = {}
    with sqlite3.connect(path) as conn:
        for table in (t for spec in ENTITIES for t in spec.tables):
            cursor = conn.execute(f"SELECT * FROM {table} ORDER BY store, id")
            columns = tuple(d[0] for d in cursor.description)
            found[table] = TableRows(table, columns, cursor.fetchall())
    return found


def _sqlite_pages(spec: EntitySpec, tables: dict[str, TableRows], page_size: int) -> list[Page]:
    parents = tables[spec.table]
    child = tables[spec.child.table] if spec.child else None
    # A line item belongs to the parent of its (store, parent id): the first column of a
    # row is its store, not its id.
    store, key = parents.columns.index("store"), parents.columns.index("id")
    by_parent: dict[tuple[Any, Any], list[tuple[Any, ...]]] = {}
    if child is not None and spec.child is not None:
        at = child.columns.index(spec.child.parent_column)
        child_store = child.columns.index("store")
        for row in child.rows:
            by_parent.setdefault((row[child_store], row[at]), []).append(row)
    pages = []
    for start in range(0, len(parents.rows), page_size):
        rows = parents.rows[start : start + page_size]
        page = [TableRows(parents.table, parents.columns, rows)]
        if child is not None:
            children = [c for r in rows for c in by_parent.get((r[store], r[key]), [])]
            page.append(TableRows(child.table, child.columns, children))
        pages.append(page)
    return pages


def stored_pages(engine: Engine, page_size: int) -> list[Page]:
    """The product's stored rows, in the pages the sync wrote them (entity order)."""
    if engine.dialect.name == "postgresql":
        return _pg_pages(engine, page_size)
    tables = _sqlite_tables(engine)
    return [page for spec in ENTITIES for page in _sqlite_pages(spec, tables, page_size)]


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows in each entity table: the floor must hold exactly the product's."""
    tables = [t for spec in ENTITIES for t in spec.tables]
    with engine.connect() as conn:
        return {t: conn.exec_driver_sql(f"SELECT count(*) FROM {t}").scalar_one() for t in tables}


def records(pages: list[Page]) -> int:
    """How many rows the pages hold."""
    return sum(part.count or len(part.rows) for page in pages for part in page)


def write_pages(engine: Engine, pages: list[Page]) -> float:
    """Seconds for a freshly migrated database to take every page, a transaction each."""
    if engine.dialect.name == "postgresql":
        with psycopg.connect(_pg_url(engine)) as conn:
            start = time.perf_counter()
            for page in pages:
                with conn.transaction(), conn.cursor() as cursor:
                    for part in page:
                        if part.count:
                            with cursor.copy(
                                f"COPY {part.table} FROM STDIN (FORMAT binary)"
                            ) as copy:
                                copy.write(part.binary)
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
