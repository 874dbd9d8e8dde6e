"""Which store the sync writes to: a SQL database, or a Supabase project over REST.

`open_store` picks one from the settings and checks that its schema is current; what
either offers is `sync.storage.protocols.SyncStore`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sync.config import Settings
from sync.errors import ErrorKind, SyncError
from sync.storage.protocols import SyncStore

if TYPE_CHECKING:
    from sqlalchemy import Engine


def uses_supabase_rest(settings: Settings) -> bool:
    """True when the Supabase REST backend is configured and DATABASE_URL is not."""
    return bool(
        settings.supabase_url
        and settings.supabase_service_role_key
        and not settings.database_url_set
    )


def open_store(settings: Settings, *, check_schema: bool = True) -> SyncStore:
    """The configured store, its schema checked (one clear sentence when behind)."""
    missing_key = not settings.supabase_service_role_key
    if settings.supabase_url and missing_key and not settings.database_url_set:
        raise SyncError(
            ErrorKind.CONFIG,
            "SUPABASE_URL is set but SUPABASE_SERVICE_ROLE_KEY is not, and there is no "
            "DATABASE_URL: the sync has no database to write to.",
            recovery="Put the project's service_role (secret) key in "
            "SUPABASE_SERVICE_ROLE_KEY, or set DATABASE_URL.",
        )
    if uses_supabase_rest(settings):
        from sync.storage.rest.store import RestStore

        assert settings.supabase_url and settings.supabase_service_role_key
        store: SyncStore = RestStore(
            settings.supabase_url,
            settings.supabase_service_role_key,
            timeout_seconds=settings.http_timeout_seconds,
            prefix=settings.store_prefix,
        )
        where = f"The Supabase project {settings.supabase_url}"
        how = (
            "Run `python -m sync migrate` with DATABASE_URL set to the project's Postgres "
            "connection string, or paste sql/supabase/setup.sql into the Supabase SQL editor."
        )
    else:
        from sync.storage.sql.db import create_db_engine, safe_url
        from sync.storage.sql.store import Store

        store = Store(create_db_engine(settings.database_url), prefix=settings.store_prefix)
        where = f"The database {safe_url(settings.database_url)}"
        how = "Run `python -m sync migrate` first."
    if check_schema and store.pending_migrations():
        raise SyncError(
            ErrorKind.CONFIG,
            f"{where} has not been migrated to this version.",
            recovery=how,
        )
    return store


class SharedEngineStores:
    """Handles of several stores of one SQL database over one engine, whose pool is sized
    by the caller (made on the first `open`, disposed by `close`)."""

    def __init__(self, database_url: str, *, pool_size: int, max_overflow: int) -> None:
        self.database_url = database_url
        self.pool_size = pool_size
        self.max_overflow = max_overflow
        self.engine: Engine | None = None

    def open(self, settings: Settings) -> SyncStore:
        """The handle of `settings`' store on the shared engine (its schema is not checked
        here: the caller opened the database's configured store with `open_store` first)."""
        from sync.storage.sql.db import create_db_engine
        from sync.storage.sql.store import Store

        if self.engine is None:
            self.engine = create_db_engine(
                self.database_url, pool_size=self.pool_size, max_overflow=self.max_overflow
            )
        return Store(self.engine, prefix=settings.store_prefix)

    def close(self) -> None:
        """Dispose the shared engine (its pooled connections close)."""
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
