"""The store a reader shows when its settings name none: the database's first store."""

from __future__ import annotations

from sqlalchemy import Engine, func, select

from sync.config.settings import DEFAULT_STORE
from sync.storage.schema import lightspeed_stores
from sync.storage.sql.db import database_errors
from sync.storage.stores import StoreRow


def reading_store(engine: Engine, configured: str | None) -> str:
    """`configured` (LIGHTSPEED_DOMAIN_PREFIX) when set; else the store added first to this
    database (a dashboard or API host needs no Lightspeed settings), else DEFAULT_STORE."""
    if configured:
        return configured
    query = (
        select(lightspeed_stores.c.prefix)
        .order_by(lightspeed_stores.c.added_at, lightspeed_stores.c.prefix)
        .limit(1)
    )
    with database_errors(str(engine.url)), engine.connect() as conn:
        return conn.scalar(query) or DEFAULT_STORE


def store_count(engine: Engine) -> int:
    """How many stores this database holds (enabled or not)."""
    query = select(func.count()).select_from(lightspeed_stores)
    with database_errors(str(engine.url)), engine.connect() as conn:
        return int(conn.scalar(query) or 0)


def list_stores(engine: Engine) -> list[StoreRow]:
    """Every store of this database, in the order they were added."""
    c = lightspeed_stores.c
    query = select(c.prefix, c.name, c.time_zone, c.connection, c.added_at, c.enabled).order_by(
        c.added_at, c.prefix
    )
    with database_errors(str(engine.url)), engine.connect() as conn:
        return [StoreRow(*row) for row in conn.execute(query)]


def recorded_zone(engine: Engine, prefix: str) -> str | None:
    """The time zone recorded with store `prefix` (None: none recorded, or no such store)."""
    c = lightspeed_stores.c
    with database_errors(str(engine.url)), engine.connect() as conn:
        return conn.scalar(select(c.time_zone).where(c.prefix == prefix))
