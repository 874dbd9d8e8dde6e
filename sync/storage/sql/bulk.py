"""The Postgres bulk path: COPY into a per-connection staging table, then one upsert."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from sqlalchemy import Connection, Table

from sync.storage.jsoncodec import dumps_json


def _copy_values(
    names: list[str], store: str, rows: Iterable[dict[str, Any]]
) -> Iterator[tuple[Any, ...]]:
    for row in rows:
        yield (store, *(dumps_json(row[n]) if n == "raw" else row.get(n) for n in names))


def copy_rows(
    conn: Connection, target: str, table: Table, store: str, rows: list[dict[str, Any]]
) -> None:
    """COPY rows of `store` into `target` (a table shaped like `table`) through psycopg."""
    names = [c.name for c in table.columns if c.name != "store"]
    columns = ", ".join(f'"{n}"' for n in ["store", *names])
    driver = conn.connection.driver_connection
    assert driver is not None
    with driver.cursor() as cursor, cursor.copy(f"COPY {target} ({columns}) FROM STDIN") as copy:
        for values in _copy_values(names, store, rows):
            copy.write_row(values)


def copy_upsert(conn: Connection, table: Table, store: str, rows: list[dict[str, Any]]) -> None:
    """COPY into a per-connection staging table, then one INSERT ... ON CONFLICT."""
    stage = f"_stage_{table.name}"
    conn.exec_driver_sql(
        f"CREATE TEMP TABLE IF NOT EXISTS {stage} (LIKE {table.name} INCLUDING DEFAULTS) "
        "ON COMMIT DELETE ROWS"
    )
    copy_rows(conn, stage, table, store, rows)
    names = [f'"{c.name}"' for c in table.columns]
    keys = ", ".join(f'"{c.name}"' for c in table.primary_key.columns)
    updates = ", ".join(
        f'"{c.name}" = EXCLUDED."{c.name}"' for c in table.columns if not c.primary_key
    )
    column_list = ", ".join(names)
    conn.exec_driver_sql(
        f"INSERT INTO {table.name} ({column_list}) SELECT {column_list} FROM {stage} "
        f"ON CONFLICT ({keys}) DO UPDATE SET {updates}"
    )
