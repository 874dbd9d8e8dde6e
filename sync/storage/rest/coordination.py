"""The scheduler's side of the Supabase REST store: run-now queue, leases, orphans, status.

Mixed into `sync.storage.rest.store.RestStore`; mirrors sync.storage.sql.coordination
method for method, over the functions in this package's queue, leases and status modules.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sync.storage.queueing import Claim, Enqueued
from sync.storage.rest import leases as entity_leases
from sync.storage.rest import queue as run_queue
from sync.storage.rest import status as status_board
from sync.storage.rest.db import RestBase, pending_migrations

if TYPE_CHECKING:
    from sync.health.snapshot import RunLogSnapshot
    from sync.storage.rest.incidents import RestIncidents


class RestCoordination(RestBase):
    """Queue, lease, orphan and status operations over PostgREST."""

    def leases(self, ttl_seconds: float) -> entity_leases.RestLeases:
        """This process's entity leases."""
        return entity_leases.RestLeases(self, ttl_seconds)

    def request_sync(
        self,
        entity: str,
        *,
        requested_by: str | None,
        reason: str | None,
        now: datetime,
        action: str = "incremental",
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> Enqueued:
        """Queue a run-now request (merged into an equivalent one)."""
        return run_queue.request_sync(
            self,
            entity,
            requested_by=requested_by,
            reason=reason,
            now=now,
            action=action,
            date_from=date_from,
            date_to=date_to,
        )

    def claim_request(
        self,
        holder: str,
        now: datetime,
        *,
        action: str | None = None,
        entities: Collection[str] | None = None,
    ) -> Claim | None:
        """Take the next queued request for `holder` (run-now syncs before backfills)."""
        return run_queue.claim_next(self, holder, now, action=action, entities=entities)

    def set_request_run(self, ids: Sequence[int], run_id: str) -> None:
        """Attach a run to its requests."""
        run_queue.set_run_id(self, ids, run_id)

    def finish_requests(
        self,
        ids: Sequence[int],
        *,
        run_id: str | None,
        failed: bool,
        error: str | None,
        now: datetime,
    ) -> None:
        """Close claimed requests as done or failed."""
        run_queue.finish(self, ids, run_id=run_id, failed=failed, error=error, now=now)

    def fail_orphan_requests(self, now: datetime, stale_after: timedelta) -> int:
        """Fail requests left running by a scheduler that is gone."""
        return run_queue.fail_orphan_requests(self, now, stale_after)

    def mark_orphans(self, now: datetime) -> int:
        """Mark runs left `running` by a dead process as interrupted."""
        return entity_leases.mark_orphans(self, now)

    def write_heartbeat(self, instance_id: str, values: dict[str, Any]) -> None:
        """Insert or refresh the scheduler_heartbeat row of `instance_id`."""
        status_board.write_heartbeat(self, instance_id, values)

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

    def pending_migrations(self) -> list[int]:
        """Shipped Postgres migrations the project has not applied."""
        return pending_migrations(self)
