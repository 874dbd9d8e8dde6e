"""The health model's summary, read for one request (sync.health builds it)."""

from __future__ import annotations

from collections.abc import Mapping

from sync.api.context import ApiContext
from sync.health import HEALTH_ENTITIES, HealthSummary
from sync.health.reading import summarize
from sync.health.snapshot import RunLogSnapshot
from sync.storage.sql.group_reads import read_snapshots
from sync.storage.sql.reads import read_snapshot
from sync.storage.sql.stores import recorded_zone
from sync.storage.stores import zone_setting


def store_zone(ctx: ApiContext, store: str) -> str | None:
    """The zone setting of `store`'s days (see zone_setting): STORE_TIME_ZONE for the API's
    store, the zone recorded with any other."""
    recorded = None if store == ctx.store else recorded_zone(ctx.engine, store)
    return zone_setting(ctx.settings, store, recorded, mine=ctx.store)


def load_snapshot(ctx: ApiContext, store: str) -> RunLogSnapshot:
    """The read model of `store` as of now, from the API's database (one read)."""
    return read_snapshot(ctx.engine, store, ctx.now(), zone=store_zone(ctx, store))


def load_snapshots(
    ctx: ApiContext, recorded: Mapping[str, str | None]
) -> dict[str, RunLogSnapshot]:
    """The read model of several stores as of now (prefix -> the zone recorded with it),
    read together (sync.storage.sql.group_reads)."""
    zones = {s: zone_setting(ctx.settings, s, zone, mine=ctx.store) for s, zone in recorded.items()}
    return read_snapshots(ctx.engine, zones, ctx.now())


def load_summary(ctx: ApiContext, store: str) -> HealthSummary:
    """The summary of `store` as of now, from the API's database."""
    return summarize(load_snapshot(ctx, store), ctx.settings)


def unknown_entity(entity: str) -> str:
    """The sentence for an entity name the model does not know."""
    return f"Unknown entity {entity!r}: use one of {', '.join(HEALTH_ENTITIES)}."
