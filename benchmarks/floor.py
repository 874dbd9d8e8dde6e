"""The raw floor: (id, version, raw JSON) of the same records into a plain table.

Used by passes.py (`floor`, `profile`). The rows are prepared before the clock starts;
what is timed is the database taking them, one transaction per page as the sync does:
COPY on Postgres, executemany on SQLite. The table has no index and no constraint.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import Engine

from sync.engine.decode import Page
from sync.storage.jsoncodec import dumps_json

TABLE = "bench_raw_floor"


def raw_rows(page: Page) -> list[tuple[str, int, str]]:
    """(id, version, raw JSON text) of each record, numbers exact."""
    return [(r["id"], int(r["version"]), dumps_json(r)) for r in page.rows if isinstance(r, dict)]


def prepare(engine: Engine, compression: str | None = None) -> None:
    """A fresh, empty plain table (Postgres: `raw` compressed with `compression` if given,
    else the server's default, pglz)."""
    raw = "jsonb" if engine.dialect.name == "postgresql" else "text"
    if compression and engine.dialect.name == "postgresql":
        raw += f" COMPRESSION {compression}"
    with engine.begin() as conn:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {TABLE}")
        conn.exec_driver_sql(f"CREATE TABLE {TABLE} (id text, version bigint, raw {raw})")


def write(engine: Engine, pages: list[list[tuple[str, int, str]]]) -> float:
    """Seconds to write every page, one transaction each."""
    start = time.perf_counter()
    for rows in pages:
        write_one(engine, rows)
    return time.perf_counter() - start


def write_one(engine: Engine, rows: list[tuple[str, int, str]]) -> None:
    """One page in one transaction."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            driver: Any = conn.connection.driver_connection
            with (
                driver.cursor() as cursor,
                cursor.copy(f"COPY {TABLE} (id, version, raw) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            conn.exec_driver_sql(f"INSERT INTO {TABLE} (id, version, raw) VALUES (?, ?, ?)", rows)
