"""A read-only engine whose every query is bounded in time, so a stuck database cannot hang
the health API (a scrape, a probe)."""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import Connection, Engine, event

from sync.storage.sql.db import create_db_engine

QUERY_TIMEOUT_SECONDS = 5.0
# SQLite calls the progress handler every this many virtual-machine steps.
_PROGRESS_STEPS = 10_000


def api_engine(url: str, timeout: float = QUERY_TIMEOUT_SECONDS) -> Engine:
    """An engine for `url` whose statements are cancelled after `timeout` seconds.

    Postgres: SET LOCAL statement_timeout at the start of every transaction. SQLite: a
    shorter busy timeout and a progress handler that interrupts a statement past its time.
    """
    engine = create_db_engine(url, readonly=True)
    if engine.dialect.name == "postgresql":
        millis = int(timeout * 1000)

        @event.listens_for(engine, "begin")
        def _bounded(conn: Connection) -> None:
            # (Custom plans per execution come with every engine: see create_db_engine.)
            conn.exec_driver_sql(f"SET LOCAL statement_timeout = {millis}")

        return engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, record: Any) -> None:
        dbapi_connection.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        record.info["deadline"] = float("inf")

        def _past_deadline() -> int:
            return 1 if time.monotonic() > record.info["deadline"] else 0

        dbapi_connection.set_progress_handler(_past_deadline, _PROGRESS_STEPS)

    @event.listens_for(engine, "before_cursor_execute")
    def _start_clock(conn: Connection, *_args: Any) -> None:
        conn.info["deadline"] = time.monotonic() + timeout

    return engine
