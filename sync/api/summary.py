"""The health model's summary, read for one request (sync.health builds it)."""

from __future__ import annotations

from sync.api.context import ApiContext
from sync.health import HEALTH_ENTITIES, HealthSummary
from sync.storage.sql.health_facts import summarize


def load_summary(ctx: ApiContext) -> HealthSummary:
    """The summary as of now, from the API's database."""
    return summarize(ctx.engine, ctx.now(), ctx.settings)


def unknown_entity(entity: str) -> str:
    """The sentence for an entity name the model does not know."""
    return f"Unknown entity {entity!r}: use one of {', '.join(HEALTH_ENTITIES)}."
