"""Stores as data (issue 27): add, list, enable, disable and remove the rows of
lightspeed_stores, and each store's personal token in lightspeed_store_tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, func, select, update

from sync.runs import SUCCEEDED
from sync.storage.schema import (
    lightspeed_app_tokens,
    lightspeed_store_tokens,
    lightspeed_stores,
    metadata,
    sync_log,
)
from sync.storage.sql.db import database_errors, dialect_insert, register_store
from sync.storage.stores import StoreInfo, StoreRow


def _row(row: Any, last_success: datetime | None = None) -> StoreRow:
    return StoreRow(
        prefix=row.prefix,
        name=row.name,
        time_zone=row.time_zone,
        connection=row.connection,
        added_at=row.added_at,
        enabled=bool(row.enabled),
        last_success=last_success,
    )


def list_stores(engine: Engine, *, enabled_only: bool = False) -> list[StoreRow]:
    """Every store in the order they were added, with its last successful run."""
    last = (
        select(sync_log.c.store, func.max(sync_log.c.finished_at).label("last_success"))
        .where(sync_log.c.status.in_(sorted(SUCCEEDED)))
        .group_by(sync_log.c.store)
        .subquery()
    )
    query = (
        select(lightspeed_stores, last.c.last_success)
        .outerjoin(last, last.c.store == lightspeed_stores.c.prefix)
        .order_by(lightspeed_stores.c.added_at, lightspeed_stores.c.prefix)
    )
    if enabled_only:
        query = query.where(lightspeed_stores.c.enabled.is_(True))
    with database_errors(str(engine.url)), engine.connect() as conn:
        return [_row(r, r.last_success) for r in conn.execute(query)]


def find_store(engine: Engine, prefix: str) -> StoreRow | None:
    """The store `prefix`, or None when this database does not hold it."""
    query = select(lightspeed_stores).where(lightspeed_stores.c.prefix == prefix)
    with database_errors(str(engine.url)), engine.connect() as conn:
        row = conn.execute(query).first()
    return None if row is None else _row(row)


def add_store(engine: Engine, store: StoreInfo, token: str | None, *, now: datetime) -> bool:
    """Add `store` (or update its name, connection and zone) and keep its personal token, in
    one transaction. True when the store is new; an existing one keeps its enabled flag."""
    with database_errors(str(engine.url)), engine.begin() as conn:
        existed = conn.scalar(
            select(lightspeed_stores.c.prefix).where(lightspeed_stores.c.prefix == store.prefix)
        )
        register_store(conn, store, now=now)
        if token is not None:
            values = {"token": token, "saved_at": now}
            insert = dialect_insert(conn.dialect.name == "postgresql")(lightspeed_store_tokens)
            statement = insert.values(store=store.prefix, **values)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=[lightspeed_store_tokens.c.store], set_=values
                )
            )
    return existed is None


def store_token(engine: Engine, prefix: str) -> str | None:
    """The personal token `store add` kept for `prefix`, or None."""
    query = select(lightspeed_store_tokens.c.token).where(lightspeed_store_tokens.c.store == prefix)
    with database_errors(str(engine.url)), engine.connect() as conn:
        token: str | None = conn.scalar(query)
    return token


def set_enabled(engine: Engine, prefix: str, enabled: bool) -> bool:
    """Enable or disable the store `prefix`; False when there is no such store."""
    statement = (
        update(lightspeed_stores)
        .where(lightspeed_stores.c.prefix == prefix)
        .values(enabled=enabled)
    )
    with database_errors(str(engine.url)), engine.begin() as conn:
        return conn.execute(statement).rowcount > 0


def store_tables() -> list[Any]:
    """Every table holding rows of one store (its `store` column), children first."""
    return [t for t in reversed(metadata.sorted_tables) if "store" in t.c]


def remove_store(engine: Engine, prefix: str, *, purge: bool) -> dict[str, int]:
    """Remove the store `prefix` and its tokens; with `purge`, every row of its data too, in
    the same transaction. Returns the rows deleted per table (none when it did not exist)."""
    deleted: dict[str, int] = {}
    with database_errors(str(engine.url)), engine.begin() as conn:
        tables = store_tables() if purge else [lightspeed_store_tokens, lightspeed_app_tokens]
        for table in tables:
            count = conn.execute(delete(table).where(table.c.store == prefix)).rowcount
            if count:
                deleted[table.name] = count
        gone = conn.execute(
            delete(lightspeed_stores).where(lightspeed_stores.c.prefix == prefix)
        ).rowcount
        if gone:
            deleted[lightspeed_stores.name] = gone
    return deleted
