"""The app's OAuth tokens in `lightspeed_app_tokens` (one row per store), locked across
processes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select

from sync.lightspeed.oauth import TokenSet
from sync.storage.schema import lightspeed_app_tokens as t
from sync.storage.sql.db import database_errors, dialect_insert


def _tokens(row: Any) -> TokenSet | None:
    if row is None or not row.refresh_token:
        return None
    return TokenSet(
        access_token=row.access_token or "",
        refresh_token=row.refresh_token,
        expires_at=int(row.expires_at or 0),
        refreshed_at=int(row.refreshed_at or 0),
        domain_prefix=row.domain_prefix,
        scope=row.scope,
    )


def _values(tokens: TokenSet) -> dict[str, Any]:
    return {
        "access_token": tokens.access_token,
        "refresh_token": tokens.refresh_token,
        "expires_at": tokens.expires_at,
        "refreshed_at": tokens.refreshed_at,
        "domain_prefix": tokens.domain_prefix,
        "scope": tokens.scope,
    }


class LockedRow:
    """The store's token row inside a transaction that holds its lock."""

    def __init__(self, conn: Connection, store: str) -> None:
        self.conn = conn
        self.store = store

    def read(self) -> TokenSet | None:
        """The stored tokens, or None when the store is not connected as an app."""
        query = select(t).where(t.c.store == self.store)
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return _tokens(self.conn.execute(query).first())

    def write(self, tokens: TokenSet, **extra: Any) -> None:
        """Replace the stored tokens (the row appears when the store first connects)."""
        values = {**_values(tokens), **extra}
        statement = dialect_insert(self.conn.dialect.name == "postgresql")(t).values(
            store=self.store, **values
        )
        self.conn.execute(statement.on_conflict_do_update(index_elements=[t.c.store], set_=values))


class SqlTokenStore:
    """`TokenStore` of one store (`store`, its domain prefix) on SQLite (BEGIN IMMEDIATE
    locks the file) and Postgres (FOR UPDATE on its row)."""

    def __init__(self, engine: Engine, *, store: str) -> None:
        self.engine = engine
        self.url = str(engine.url)
        self.store = store

    def load(self) -> TokenSet | None:
        """The stored tokens without locking."""
        with database_errors(self.url), self.engine.connect() as conn:
            return _tokens(conn.execute(select(t).where(t.c.store == self.store)).first())

    @contextmanager
    def locked(self) -> Iterator[LockedRow]:
        """One transaction holding the row lock; committed when the block succeeds."""
        with database_errors(self.url), self.engine.begin() as conn:
            yield LockedRow(conn, self.store)

    def connect(self, tokens: TokenSet, now: datetime) -> None:
        """Store the tokens of a newly authorized app (replacing any earlier connection)."""
        with self.locked() as row:
            row.read()  # take the lock first: a refresh in flight finishes before we replace it
            row.write(tokens, connected_at=now)

    def connected_at(self) -> datetime | None:
        """When `connect` last stored tokens."""
        with database_errors(self.url), self.engine.connect() as conn:
            return conn.scalar(select(t.c.connected_at).where(t.c.store == self.store))
