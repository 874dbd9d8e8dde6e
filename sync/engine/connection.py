"""How this install reaches Lightspeed: a personal token, or an app whose tokens live in the DB."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sync.config import Settings
from sync.errors import ErrorKind, SyncError
from sync.lightspeed.transport import LightspeedClient
from sync.storage.protocols import SyncStore
from sync.storage.stores import StoreRow, zone_setting

if TYPE_CHECKING:
    from sync.storage.sql.tokens import SqlTokenStore

REST_UNSUPPORTED = (
    "Connecting as a Lightspeed app needs a direct database connection (DATABASE_URL); "
    "over the Supabase REST backend it is not supported yet."
)


def app_token_store(settings: Settings, store: SyncStore) -> SqlTokenStore:
    """Where the app's tokens live; a CONFIG error on the Supabase REST backend."""
    if store.sql is None:
        raise SyncError(
            ErrorKind.CONFIG,
            REST_UNSUPPORTED,
            recovery="Use a personal token (LIGHTSPEED_TOKEN), or set DATABASE_URL to the "
            "project's Postgres connection string.",
        )
    from sync.storage.sql.tokens import SqlTokenStore

    return SqlTokenStore(store.sql, store=store.prefix)


def store_settings(settings: Settings, row: StoreRow, token: str | None) -> Settings:
    """The settings that reach one store of the database: the configured store keeps today's
    settings (its LIGHTSPEED_TOKEN or app, else the token `store add` kept); another store
    gets its prefix, name and zone, and its kept personal token or, connected as an app,
    none (the app's tokens are read per store)."""
    configured = row.prefix == settings.store_prefix
    if configured and (settings.lightspeed_token or settings.uses_app):
        return settings
    return dataclasses.replace(
        settings,
        lightspeed_domain_prefix=row.prefix,
        lightspeed_token=None if row.connection == "app" else token,
        added_store=True,
        store_name=settings.store_name if configured else row.name,
        store_time_zone=zone_setting(
            settings, row.prefix, row.time_zone, mine=settings.store_prefix
        ),
    )


def open_client(settings: Settings, store: SyncStore) -> LightspeedClient:
    """A client with the personal token, or with the app's tokens from `store`."""
    if not settings.uses_app:
        return LightspeedClient(settings)
    # Only an app needs the token refresh machinery; a personal token skips its imports.
    from sync.lightspeed.tokens import AppTokens

    return LightspeedClient(settings, tokens=AppTokens(settings, app_token_store(settings, store)))


def require_credentials(settings: Settings) -> None:
    """Fail early (CONFIG) when neither a personal token nor an app is configured."""
    settings.api_base_url  # noqa: B018 - names a missing store prefix
    if not settings.uses_app:
        settings.token  # noqa: B018 - names LIGHTSPEED_TOKEN and the app alternative


def describe(settings: Settings, store: SyncStore) -> dict[str, Any]:
    """How the store is connected, without secrets: for `status`."""
    if not settings.uses_app:
        kind = "personal token" if settings.lightspeed_token else "not configured"
        return {"method": kind}
    if store.sql is None:
        return {"method": "app", "connected": False, "note": REST_UNSUPPORTED}
    tokens = app_token_store(settings, store).load()
    if tokens is None:
        return {"method": "app", "connected": False}
    return {
        "method": "app",
        "connected": True,
        "store": tokens.domain_prefix,
        "access_token_expires_at": datetime.fromtimestamp(tokens.expires_at, UTC).isoformat(),
    }
