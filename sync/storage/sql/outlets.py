"""The outlets' time zones, read from the copy: the store's days are built from them."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, select

from sync.days import StoreDays, store_days
from sync.storage.schema import ENTITY_TABLES
from sync.storage.sql.db import database_errors


def outlet_zones(conn: Connection, store: str) -> list[tuple[str, str | None, bool]]:
    """Every outlet of `store` in the copy as (id, time_zone, deleted), deleted ones included."""
    table = ENTITY_TABLES["outlets"]
    query = select(table.c.id, table.c.time_zone, table.c.deleted_at.is_not(None)).where(
        table.c.store == store
    )
    return [(oid, zone, bool(deleted)) for oid, zone, deleted in conn.execute(query)]


def outlet_time_zones(engine: Engine, store: str) -> list[tuple[str, str | None, bool]]:
    """`outlet_zones` on a connection of its own."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        return outlet_zones(conn, store)


def load_store_days(engine: Engine, store: str, store_time_zone: str | None) -> StoreDays:
    """The store's days: STORE_TIME_ZONE, else the zone most outlets of `store` share."""
    return store_days(store_time_zone, outlet_time_zones(engine, store))
