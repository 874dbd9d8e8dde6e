"""The Lightspeed stores a database holds (lightspeed_stores): the first one comes from the
settings, and every row of store data carries its store's domain prefix."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sync.config import Settings


@dataclass(frozen=True)
class StoreInfo:
    """One row of lightspeed_stores as the settings describe it."""

    prefix: str
    name: str
    connection: str  # 'token' (a personal token) or 'app' (OAuth)
    time_zone: str | None


def configured_store(settings: Settings) -> StoreInfo:
    """The store today's single-store settings describe: the first row of lightspeed_stores."""
    return StoreInfo(
        prefix=settings.store_prefix,
        name=settings.display_name,
        connection="app" if settings.uses_app else "token",
        time_zone=settings.store_time_zone,
    )


def zone_setting(settings: Settings, prefix: str, recorded: str | None, *, mine: str) -> str | None:
    """The time zone setting of store `prefix`'s days: STORE_TIME_ZONE belongs to the reader's
    own store (`mine`); another store has the zone recorded with it (`recorded`). None: the
    zone most of the store's outlets share."""
    return settings.store_time_zone if prefix == mine else recorded


@dataclass(frozen=True)
class StoreRow:
    """One row of lightspeed_stores as `store list` shows it (no secret: tokens live apart)."""

    prefix: str
    name: str
    time_zone: str | None
    connection: str
    added_at: datetime
    enabled: bool
    last_success: datetime | None = None


def may_see(limit: frozenset[str] | None, store: str) -> bool:
    """Whether an API key or dashboard user limited to `limit` may see `store`.

    `limit` None means every store (a key or user with no list). This is the one rule for
    both; everything a limited caller is shown goes through it.
    """
    return limit is None or store in limit


def visible_stores(rows: Sequence[StoreRow], limit: frozenset[str] | None) -> list[StoreRow]:
    """The stores of `rows` (in their order) that a caller limited to `limit` may see."""
    return [row for row in rows if may_see(limit, row.prefix)]
