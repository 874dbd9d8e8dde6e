"""The health model's summary, read for one request (sync.health builds it)."""

from __future__ import annotations

from sync.api.context import ApiContext
from sync.health import HEALTH_ENTITIES, HealthSummary
from sync.health.reading import summarize
from sync.health.snapshot import RunLogSnapshot
from sync.storage.sql.reads import read_snapshot


def load_snapshot(ctx: ApiContext, store: str, zone: str | None = None) -> RunLogSnapshot:
    """The read model of `store` as of now, from the API's database (one read).

    STORE_TIME_ZONE is the configured store's; another store's day follows its own zone
    (`zone`, else the one most of its outlets share).
    """
    if store == ctx.store:
        zone = ctx.settings.store_time_zone or zone
    return read_snapshot(ctx.engine, store, ctx.now(), zone=zone)


def load_summary(ctx: ApiContext, store: str, zone: str | None = None) -> HealthSummary:
    """The summary of `store` as of now, from the API's database."""
    return summarize(load_snapshot(ctx, store, zone), ctx.settings)


def unknown_entity(entity: str) -> str:
    """The sentence for an entity name the model does not know."""
    return f"Unknown entity {entity!r}: use one of {', '.join(HEALTH_ENTITIES)}."
