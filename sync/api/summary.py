"""The health model's summary, read for one request (sync.health builds it)."""

from __future__ import annotations

from sync.api.context import ApiContext
from sync.health import HEALTH_ENTITIES, HealthSummary
from sync.health.reading import summarize
from sync.health.snapshot import RunLogSnapshot
from sync.storage.sql.reads import read_snapshot


def load_snapshot(ctx: ApiContext) -> RunLogSnapshot:
    """The read model as of now, from the API's database (one read)."""
    return read_snapshot(ctx.engine, ctx.store, ctx.now(), zone=ctx.settings.store_time_zone)


def load_summary(ctx: ApiContext) -> HealthSummary:
    """The summary as of now, from the API's database."""
    return summarize(load_snapshot(ctx), ctx.settings)


def unknown_entity(entity: str) -> str:
    """The sentence for an entity name the model does not know."""
    return f"Unknown entity {entity!r}: use one of {', '.join(HEALTH_ENTITIES)}."
