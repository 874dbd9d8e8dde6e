"""The health model's summary, read for one request (sync.health builds it)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sync.api.context import ApiContext

if TYPE_CHECKING:
    from sync.health.summary import HealthSummary


def load_summary(ctx: ApiContext) -> HealthSummary:
    """The summary as of now, from the API's database."""
    from sync.storage.sql.health_facts import summarize

    return summarize(ctx.engine, ctx.now(), ctx.settings)
