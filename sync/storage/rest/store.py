"""The Supabase REST backend: the same store, written through supabase-py (PostgREST).

For hosts that can reach a Supabase project only over HTTPS. A page goes in one call to
the `sync_apply_page` function (migration 0006), so rows, line items, rejects, the cursor
and progress still commit together; everything else is plain table requests.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from postgrest.types import CountMethod

from sync.storage.rest import leases as entity_leases
from sync.storage.rest import status as status_board
from sync.storage.rest.db import pending_migrations
from sync.storage.rest.page_writes import RestPageWrites
from sync.storage.rest.queue import RestQueue
from sync.storage.rest.run_log import RestRunLog

if TYPE_CHECKING:
    from sync.health.snapshot import RunLogSnapshot
    from sync.storage.rest.incidents import RestIncidents


class RestStore(RestRunLog, RestPageWrites, RestQueue):
    """The sync's view of a Supabase project, through its REST API."""

    #: No SQL over REST (see SqlAccess): reconciliation, pruning, alerts, backfills are off.
    sql: None = None

    def leases(self, ttl_seconds: float) -> entity_leases.RestLeases:
        """This process's entity leases."""
        return entity_leases.RestLeases(self, ttl_seconds)

    def mark_orphans(self, now: datetime) -> int:
        """Mark runs left `running` by a dead process as interrupted."""
        return entity_leases.mark_orphans(self, now)

    def write_heartbeat(self, instance_id: str, values: dict[str, Any]) -> None:
        """Insert or refresh the scheduler_heartbeat row of `instance_id`."""
        status_board.write_heartbeat(self, instance_id, {**values, "store": self.prefix})

    def read_snapshot(
        self, now: datetime, zone: str | None = None, *, day_start: datetime | None = None
    ) -> RunLogSnapshot:
        """Everything the views show about the run log, in one read (store days in `zone`)."""
        from sync.storage.rest.reads import read_snapshot  # not needed to sync

        return read_snapshot(self, now, day_start, zone=zone)

    def incidents(self) -> RestIncidents:
        """The alert incidents of this project."""
        from sync.storage.rest.incidents import RestIncidents

        return RestIncidents(self)

    def store_count(self) -> int:
        """How many stores the project holds."""
        query = self.table("lightspeed_stores").select("prefix", count=CountMethod.exact)
        return int(self.execute(query.limit(1)).count or 0)

    def pending_migrations(self) -> list[int]:
        """Shipped Postgres migrations the project has not applied."""
        return pending_migrations(self)
