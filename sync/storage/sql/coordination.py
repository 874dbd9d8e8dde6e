"""The scheduler's side of a SQL store: run-now queue, leases, orphans, status.

Mixed into `sync.storage.sql.store.Store`; mirrors sync.storage.rest.coordination
method for method, over the functions in this package's queue, leases and status modules.
The queue and status modules (and the health package behind them) are imported by the
methods that use them: a `run` only takes leases.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine

from sync.storage.sql import leases as entity_leases
from sync.storage.sql.db import pending_migrations

if TYPE_CHECKING:
    from sync.health.snapshot import RunLogSnapshot
    from sync.storage.queueing import Claim, Enqueued
    from sync.storage.sql.incidents import SqlIncidents


class SqlCoordination:
    """Queue, lease and status operations over a SQLAlchemy engine."""

    engine: Engine

    def leases(self, ttl_seconds: float) -> entity_leases.Leases:
        """This process's entity leases."""
        return entity_leases.Leases(self.engine, ttl_seconds)

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
        from sync.storage.sql import queue as run_queue

        return run_queue.request_sync(
            self.engine,
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
        from sync.storage.sql import queue as run_queue

        return run_queue.claim_next(self.engine, holder, now, action=action, entities=entities)

    def set_request_run(self, ids: Sequence[int], run_id: str) -> None:
        """Attach a run to its requests."""
        from sync.storage.sql import queue as run_queue

        run_queue.set_run_id(self.engine, ids, run_id)

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
        from sync.storage.sql import queue as run_queue

        run_queue.finish(self.engine, ids, run_id=run_id, failed=failed, error=error, now=now)

    def fail_orphan_requests(self, now: datetime, stale_after: timedelta) -> int:
        """Fail requests left running by a scheduler that is gone."""
        from sync.storage.sql import queue as run_queue

        return run_queue.fail_orphan_requests(self.engine, now, stale_after)

    def mark_orphans(self, now: datetime) -> int:
        """Mark runs left `running` by a dead process as interrupted."""
        return entity_leases.mark_orphans(self.engine, now)

    def write_heartbeat(self, instance_id: str, values: dict[str, Any]) -> None:
        """Insert or refresh the scheduler_heartbeat row of `instance_id`."""
        from sync.storage.sql import status as status_board

        status_board.write_heartbeat(self.engine, instance_id, values)

    def read_snapshot(
        self, now: datetime, zone: str | None = None, *, day_start: datetime | None = None
    ) -> RunLogSnapshot:
        """Everything the views show about the run log, in one read (store days in `zone`)."""
        from sync.storage.sql.reads import read_snapshot

        return read_snapshot(self.engine, now, day_start, zone=zone)

    def incidents(self) -> SqlIncidents:
        """The alert incidents of this database."""
        from sync.storage.sql.incidents import SqlIncidents

        return SqlIncidents(self.engine)

    def pending_migrations(self) -> list[int]:
        """Shipped migrations this database has not applied."""
        return pending_migrations(self.engine)
