"""What every new database connection is set up with: Postgres plans each statement for
its parameters; SQLite runs in WAL mode with the writer's cache and checkpoints."""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Connection, Engine, event

#: The SQLite writer checkpoints the WAL itself past 160 MiB.
WRITER_AUTOCHECKPOINT_BYTES = 160 * 1024 * 1024
#: A new SQLite file gets 16 KiB pages: a sale's JSON (about 3.4 KB) then shares its page
#: with others instead of filling one alone. Writing 30k sales took 4.5-4.6 s against
#: 5.3-5.4 s with SQLite's default 4 KiB, in a 6 % smaller file. A file that already holds
#: data keeps its page size.
NEW_FILE_PAGE_SIZE = 16_384


def custom_plans(dbapi_connection: Any, _record: Any) -> None:
    """Every new Postgres connection plans each statement for its own parameters."""
    # psycopg prepares a statement after 5 runs and Postgres may then pick a generic plan,
    # which for "latest run of entity X with status Y" walks the whole started_at index
    # when Y never occurs (300 ms at 1M sync_log rows instead of < 1 ms). Planning each
    # execution costs far less. Set per session (not a startup option: poolers refuse those).
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.execute("SET plan_cache_mode = force_custom_plan")
    finally:
        dbapi_connection.autocommit = autocommit


def configure_sqlite(engine: Engine, *, readonly: bool) -> None:
    """WAL, a busy timeout and the writer's cache and checkpoints on every new connection;
    transactions that take the write lock when they begin (`readonly`: plain BEGIN)."""
    # pysqlite's own transaction handling defers BEGIN and cannot take the write lock up
    # front; SQLAlchemy's documented recipe: autocommit at the driver, BEGIN ourselves.
    begin = "BEGIN" if readonly else "BEGIN IMMEDIATE"

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # Before WAL mode: only an empty file takes a page size, and none once in WAL mode.
        cursor.execute(f"PRAGMA page_size={NEW_FILE_PAGE_SIZE}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        if not readonly:
            # A page of 1,000 sales dirties many MB (rows, line items, six indexes): with
            # the default 2 MB cache SQLite spills to the WAL mid-transaction and re-reads
            # index pages, and the default checkpoint (1,000 pages) ran at every commit.
            # Neither changes durability: each commit is in the WAL, kill -9 safe.
            cursor.execute("PRAGMA cache_size=-32768")
            # A sync's checkpoints run in the background (checkpointer.py); the writer's
            # own is the fallback. Once started over, the WAL file is cut back to 64 MiB.
            page_size = cursor.execute("PRAGMA page_size").fetchone()[0]
            cursor.execute(f"PRAGMA wal_autocheckpoint={WRITER_AUTOCHECKPOINT_BYTES // page_size}")
            cursor.execute("PRAGMA journal_size_limit=67108864")
            cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql(begin)
