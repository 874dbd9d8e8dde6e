"""The run log over SQL: sync_state rows, sync_log rows of a run, rejects outside a page."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from sync.entities import STATE_ENTITIES, EntitySpec
from sync.runs import NEVER, RunStatus, utcnow
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
from sync.storage.schema import (
    ENTITY_TABLES,
    lightspeed_stores,
    sync_log,
    sync_rejects,
    sync_state,
)
from sync.storage.sql.db import database_errors, dialect_insert


class SqlRunLog:
    """Opens and closes runs in sync_log and sync_state (the SQL store is one)."""

    engine: Engine
    url: str
    is_postgres: bool
    prefix: str

    def ensure_state_rows(self) -> None:
        """Create the store's lightspeed_stores row and the sync_state row of every entity
        that has none."""
        with database_errors(self.url), self.engine.begin() as conn:
            present = set(
                conn.scalars(
                    select(sync_state.c.entity_type).where(sync_state.c.store == self.prefix)
                )
            )
            missing = [e for e in STATE_ENTITIES if e not in present]
            if missing:
                # Two processes starting at once (two `run`s) may both find the rows missing.
                make = dialect_insert(self.is_postgres)
                conn.execute(
                    make(lightspeed_stores)
                    .values(prefix=self.prefix, name=self.prefix, added_at=utcnow())
                    .on_conflict_do_nothing()
                )
                conn.execute(
                    make(sync_state).on_conflict_do_nothing(),
                    [
                        {
                            "store": self.prefix,
                            "entity_type": e,
                            "status": NEVER,
                            "cursor_version": 0,
                        }
                        for e in missing
                    ],
                )

    def cursor(self, entity: str) -> int:
        """The stored version cursor of `entity` (0 when never synced)."""
        with database_errors(self.url), self.engine.connect() as conn:
            value = conn.scalar(
                select(sync_state.c.cursor_version).where(
                    sync_state.c.store == self.prefix, sync_state.c.entity_type == entity
                )
            )
        return int(value or 0)

    def last_attempt(self, entity: str) -> tuple[datetime | None, str]:
        """When a run of `entity` last started, by any process (None: never), and the
        entity's sync status since."""
        with database_errors(self.url), self.engine.connect() as conn:
            row = conn.execute(
                select(sync_state.c.last_attempt_at, sync_state.c.status).where(
                    sync_state.c.store == self.prefix, sync_state.c.entity_type == entity
                )
            ).first()
        return (None, NEVER) if row is None else (row.last_attempt_at, row.status)

    def start_run(
        self, info: RunInfo, *, entities: Sequence[str], version_from: int, now: datetime
    ) -> list[Progress]:
        """Insert a `running` sync_log row per entity; returns their progress trackers."""
        trackers = []
        with database_errors(self.url), self.engine.begin() as conn:
            for entity in entities:
                log_id = conn.scalar(
                    insert(sync_log)
                    .values(**run_log_row(info, self.prefix, entity, version_from, now))
                    .returning(sync_log.c.id)
                )
                conn.execute(
                    update(sync_state)
                    .where(sync_state.c.store == self.prefix, sync_state.c.entity_type == entity)
                    .values(
                        status=RunStatus.RUNNING,
                        last_attempt_at=now,
                        last_run_id=info.run_id,
                        updated_at=now,
                    )
                )
                trackers.append(Progress(log_id=int(log_id)))
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
        """Close the run's sync_log rows and update sync_state (counts included).

        A backfill (`is_sync=False`) only refreshes the row count: it neither makes the
        entity fresher nor reflects the state of the incremental sync.
        """
        names = spec.state_names
        duration_ms = int((now - started_at).total_seconds() * 1000)
        with database_errors(self.url), self.engine.begin() as conn:
            for name, tracker in zip(names, trackers, strict=True):
                conn.execute(
                    update(sync_log)
                    .where(sync_log.c.id == tracker.log_id)
                    .values(**run_end_values(outcome, tracker, duration_ms, now, metrics))
                )
                total = None
                if needs_recount(tracker, is_sync=is_sync):
                    table = ENTITY_TABLES[name]
                    count = (
                        select(func.count()).select_from(table).where(table.c.store == self.prefix)
                    )
                    total = int(conn.scalar(count) or 0)
                values = state_end_values(outcome, total, now, is_sync=is_sync)
                conn.execute(
                    update(sync_state)
                    .where(sync_state.c.store == self.prefix, sync_state.c.entity_type == name)
                    .values(**values)
                )

    def record_reject(self, run_id: str, entity: str, reason: str, raw: Any, now: datetime) -> None:
        """Record one rejected record (or page) in sync_rejects."""
        with database_errors(self.url), self.engine.begin() as conn:
            conn.execute(
                insert(sync_rejects).values(
                    run_id=run_id,
                    store=self.prefix,
                    entity_type=entity,
                    source_id=None,
                    reason=reason,
                    raw=raw,
                    rejected_at=now,
                )
            )
