"""The app's OAuth tokens in `lightspeed_app_tokens` (one row), locked across processes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from sync.lightspeed.oauth import TokenSet
from sync.storage.schema import lightspeed_app_tokens as t
from sync.storage.sql.db import database_errors

_ROW = 1


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
    """The token row inside a transaction that holds its lock."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def read(self) -> TokenSet | None:
        """The stored tokens, or None when no app is connected."""
        query = select(t).where(t.c.id == _ROW)
        if self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return _tokens(self.conn.execute(query).first())

    def write(self, tokens: TokenSet) -> None:
        """Replace the stored tokens."""
        self.conn.execute(update(t).where(t.c.id == _ROW).values(**_values(tokens)))


class SqlTokenStore:
    """`TokenStore` on SQLite (BEGIN IMMEDIATE locks the file) and Postgres (FOR UPDATE)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.url = str(engine.url)

    def load(self) -> TokenSet | None:
        """The stored tokens without locking."""
        with database_errors(self.url), self.engine.connect() as conn:
            return _tokens(conn.execute(select(t).where(t.c.id == _ROW)).first())

    @contextmanager
    def locked(self) -> Iterator[LockedRow]:
        """One transaction holding the row lock; committed when the block succeeds."""
        with database_errors(self.url), self.engine.begin() as conn:
            yield LockedRow(conn)

    def connect(self, tokens: TokenSet, now: datetime) -> None:
        """Store the tokens of a newly authorized app (replacing any earlier connection)."""
        with self.locked() as row:
            row.read()  # take the lock first: a refresh in flight finishes before we replace it
            row.conn.execute(
                update(t).where(t.c.id == _ROW).values(**_values(tokens), connected_at=now)
            )

    def connected_at(self) -> datetime | None:
        """When `connect` last stored tokens."""
        with database_errors(self.url), self.engine.connect() as conn:
            return conn.scalar(select(t.c.connected_at).where(t.c.id == _ROW))
