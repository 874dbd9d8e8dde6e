"""What the database plans to do for the statements a call runs: for tests that prove a
read uses an index instead of timing it (a timing bound fails on a busy machine)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Collect (SQL, parameters) of every SELECT run on `engine` inside the block."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def plan_of(engine: Engine, statement: str, parameters: Any) -> str:
    """The plan of one statement, as text (SQLite's EXPLAIN QUERY PLAN, Postgres's EXPLAIN)."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("EXPLAIN QUERY PLAN " + statement, parameters)
            return "\n".join(str(row[-1]) for row in cursor.fetchall())
        cursor.execute("EXPLAIN " + statement, parameters)
        return "\n".join(str(row[0]) for row in cursor.fetchall())
    finally:
        raw.close()


def full_scans(engine: Engine, table: str, call: Callable[[], Any]) -> list[str]:
    """Run `call`; return the statements it ran whose plan reads all of `table`."""
    with statements_run(engine) as seen:
        call()
    scanned = []
    for statement, parameters in seen:
        plan = plan_of(engine, statement, parameters)
        if engine.dialect.name == "sqlite":
            whole = re.search(rf"\bSCAN {table}\b(?! USING (COVERING )?INDEX)", plan)
        else:
            whole = re.search(rf"\bSeq Scan on {table}\b", plan)
        if whole:
            scanned.append(statement)
    return scanned
