"""The run log over REST: sync_state rows, sync_log rows of a run, rejects outside a page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from postgrest.types import CountMethod, ReturnMethod

from sync.entities import STATE_ENTITIES, EntitySpec
from sync.runs import NEVER, RunStatus, utcnow
from sync.storage.rest.db import RestBase, parse_time
from sync.storage.runlog import (
    Outcome,
    Progress,
    RunInfo,
    RunMetrics,
    needs_recount,
    run_end_values,
    run_log_row,
    state_end_values,
)
from sync.storage.schema import ENTITY_TABLES


class RestRunLog(RestBase):
    """Opens and closes runs in sync_log and sync_state (the REST store is one)."""

    def count_rows(self, table: str) -> int:
        """The exact row count of this store's rows in `table`."""
        # One row of body at most: PostgREST counts the whole range regardless of the limit.
        query = self.table(table).select("id", count=CountMethod.exact).eq("store", self.prefix)
        response = self.execute(query.limit(1))
        return int(response.count or 0)

    def ensure_state_rows(self) -> None:
        """Create the store's lightspeed_stores row and the sync_state row of every entity
        that has none."""
        store = {"prefix": self.prefix, "name": self.prefix, "added_at": utcnow().isoformat()}
        self.execute(
            self.table("lightspeed_stores").upsert(
                store,
                on_conflict="prefix",
                ignore_duplicates=True,
                returning=ReturnMethod.minimal,
            )
        )
        rows = [
            {"store": self.prefix, "entity_type": e, "status": NEVER, "cursor_version": 0}
            for e in STATE_ENTITIES
        ]
        self.execute(
            self.table("sync_state").upsert(
                rows,
                on_conflict="store,entity_type",
                ignore_duplicates=True,
                returning=ReturnMethod.minimal,
            )
        )

    def cursor(self, entity: str) -> int:
        """The stored version cursor of `entity` (0 when never synced)."""
        rows = self.execute(
            self.table("sync_state")
            .select("cursor_version")
            .eq("store", self.prefix)
            .eq("entity_type", entity)
        ).data
        return int(rows[0]["cursor_version"] or 0) if rows else 0

    def last_attempt(self, entity: str) -> tuple[datetime | None, str]:
        """When a run of `entity` last started, by any process (None: never), and the
        entity's sync status since."""
        rows = self.execute(
            self.table("sync_state")
            .select("last_attempt_at,status")
            .eq("store", self.prefix)
            .eq("entity_type", entity)
        ).data
        if not rows:
            return None, NEVER
        return parse_time(rows[0]["last_attempt_at"]), str(rows[0]["status"])

    def start_run(
        self, info: RunInfo, *, entities: Sequence[str], version_from: int, now: datetime
    ) -> list[Progress]:
        """Insert a `running` sync_log row per entity; returns their progress trackers."""
        trackers = []
        for entity in entities:
            row = run_log_row(info, self.prefix, entity, version_from, now)
            inserted = self.execute(self.table("sync_log").insert(row)).data
            trackers.append(Progress(log_id=int(inserted[0]["id"])))
        self.execute(
            self.table("sync_state")
            .update(
                {
                    "status": RunStatus.RUNNING,
                    "last_attempt_at": now,
                    "last_run_id": info.run_id,
                    "updated_at": now,
                },
                returning=ReturnMethod.minimal,
            )
            .eq("store", self.prefix)
            .in_("entity_type", list(entities))
        )
        return trackers

    def finish_run(
        self,
        spec: EntitySpec,
        trackers: Sequence[Progress],
        outcome: Outcome,
        *,
        started_at: datetime,
        now: datetime,
        is_sync: bool = True,
        metrics: RunMetrics | None = None,
    ) -> None:
        """Close the run's sync_log rows and update sync_state (as the SQL store does)."""
        duration_ms = int((now - started_at).total_seconds() * 1000)
        for name, tracker in zip(spec.state_names, trackers, strict=True):
            self.execute(
                self.table("sync_log")
                .update(
                    run_end_values(outcome, tracker, duration_ms, now, metrics),
                    returning=ReturnMethod.minimal,
                )
                .eq("id", tracker.log_id)
            )
            total = None
            if needs_recount(tracker, is_sync=is_sync):
                total = self.count_rows(ENTITY_TABLES[name].name)
            values = state_end_values(outcome, total, now, is_sync=is_sync)
            self.execute(
                self.table("sync_state")
                .update(values, returning=ReturnMethod.minimal)
                .eq("store", self.prefix)
                .eq("entity_type", name)
            )

    def record_reject(self, run_id: str, entity: str, reason: str, raw: Any, now: datetime) -> None:
        """Record one rejected record (or page) in sync_rejects."""
        self.execute(
            self.table("sync_rejects").insert(
                {
                    "run_id": run_id,
                    "store": self.prefix,
                    "entity_type": entity,
                    "source_id": None,
                    "reason": reason,
                    "raw": raw,
                    "rejected_at": now,
                },
                returning=ReturnMethod.minimal,
            )
        )
