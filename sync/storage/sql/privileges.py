"""What a database login may do to the copy, for `check`: it reads, never writes."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import text

from sync.storage.sql.db import create_db_engine, database_errors

_WRITABLE_TABLES = text(
    "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
    "AND (c.relname LIKE 'lightspeed\\_%' OR c.relname IN ('sync_state', 'sync_log')) "
    "AND (has_table_privilege(c.oid, 'INSERT') OR has_table_privilege(c.oid, 'UPDATE') "
    "OR has_table_privilege(c.oid, 'DELETE') OR has_table_privilege(c.oid, 'TRUNCATE')) "
    "ORDER BY c.relname"
)


def copy_writers(url: str) -> tuple[str, list[str]]:
    """(the login of a Postgres URL, the copy's tables it may change). DATABASE SyncError."""
    engine = create_db_engine(url)
    try:
        with database_errors(url), engine.connect() as conn:
            user = str(conn.execute(text("SELECT current_user")).scalar_one())
            return user, [str(name) for name in conn.execute(_WRITABLE_TABLES).scalars()]
    finally:
        engine.dispose()


def read_only_problem(path: Path) -> str | None:
    """Why a SQLite file cannot be opened read-only, or None when it can."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        return str(exc)
    return None
