"""Per-entity leases in `sync_locks` over SQL: one sync of an entity at a time, across processes.

The rules (who holds a lease, when it is dead) are in sync.storage.leasing. Works the same
on SQLite (writes serialise) and Postgres (row locks).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from sync.runs import RunStatus
from sync.storage.leasing import (
    HOST,
    INTERRUPTED_DETAILS,
    PROCESS_HOLDER,
    LeaseHolder,
    lease_entity,
    lease_is_dead,
)
from sync.storage.schema import sync_locks, sync_log, sync_state
from sync.storage.sql.db import database_errors


class Leases:
    """Acquire, renew and release the entity leases of one store for one process."""

    def __init__(self, engine: Engine, ttl_seconds: float = 300.0, *, store: str) -> None:
        self.engine = engine
        self.store = store
        self.url = str(engine.url)
        self.ttl = timedelta(seconds=ttl_seconds)
        self.holder = PROCESS_HOLDER
        self.pid = os.getpid()

    def acquire(self, entity: str, now: datetime) -> LeaseHolder | None:
        """Take the lease of `entity`; returns None on success, else who holds it."""
        values = {
            "holder": self.holder,
            "host": HOST,
            "pid": self.pid,
            "acquired_at": now,
            "expires_at": now + self.ttl,
        }
        with database_errors(self.url), self.engine.begin() as conn:
            current = self._current(conn, entity)
            if current is None:
                try:
                    with conn.begin_nested():
                        conn.execute(
                            insert(sync_locks).values(
                                store=self.store, entity_type=entity, **values
                            )
                        )
                    return None
                except IntegrityError:
                    current = self._current(conn, entity)
                    if current is None:
                        return None
            if current.holder != self.holder and not lease_is_dead(current, now):
                return current
            taken = conn.execute(
                update(sync_locks)
                .where(sync_locks.c.store == self.store, sync_locks.c.entity_type == entity)
                .where(sync_locks.c.holder == current.holder)
                .values(**values)
            ).rowcount
            return None if taken == 1 else self._current(conn, entity)

    def renew(self, entity: str, now: datetime) -> None:
        """Push the expiry of a lease this process holds."""
        with database_errors(self.url), self.engine.begin() as conn:
            conn.execute(
                update(sync_locks)
                .where(sync_locks.c.store == self.store, sync_locks.c.entity_type == entity)
                .where(sync_locks.c.holder == self.holder)
                .values(expires_at=now + self.ttl)
            )

    def release(self, entity: str) -> None:
        """Drop a lease this process holds (no-op otherwise)."""
        with database_errors(self.url), self.engine.begin() as conn:
            conn.execute(
                delete(sync_locks)
                .where(sync_locks.c.store == self.store, sync_locks.c.entity_type == entity)
                .where(sync_locks.c.holder == self.holder)
            )

    def _current(self, conn: Connection, entity: str) -> LeaseHolder | None:
        row = conn.execute(
            select(
                sync_locks.c.holder,
                sync_locks.c.host,
                sync_locks.c.pid,
                sync_locks.c.acquired_at,
                sync_locks.c.expires_at,
            ).where(sync_locks.c.store == self.store, sync_locks.c.entity_type == entity)
        ).first()
        return LeaseHolder(*row) if row else None


def mark_orphans(engine: Engine, now: datetime) -> int:
    """Mark `running` sync_log rows with no live lease as `interrupted`; returns how many.

    Also drops dead leases and resets the orphans' sync_state rows. Every store's.
    """
    with database_errors(str(engine.url)), engine.begin() as conn:
        leases = {
            (row[0], row[1]): LeaseHolder(*row[2:])
            for row in conn.execute(
                select(
                    sync_locks.c.store,
                    sync_locks.c.entity_type,
                    sync_locks.c.holder,
                    sync_locks.c.host,
                    sync_locks.c.pid,
                    sync_locks.c.acquired_at,
                    sync_locks.c.expires_at,
                )
            )
        }
        live = {key for key, lease in leases.items() if not lease_is_dead(lease, now)}
        for store, entity in (key for key in leases if key not in live):
            conn.execute(
                delete(sync_locks).where(
                    sync_locks.c.store == store, sync_locks.c.entity_type == entity
                )
            )
        running = conn.execute(
            select(
                sync_log.c.id, sync_log.c.store, sync_log.c.entity_type, sync_log.c.started_at
            ).where(sync_log.c.status == RunStatus.RUNNING)
        ).all()
        # Line items run under the sales lease.
        orphans = [r for r in running if (r.store, lease_entity(r.entity_type)) not in live]
        for row in orphans:
            conn.execute(
                update(sync_log)
                .where(sync_log.c.id == row.id)
                .values(
                    status=RunStatus.INTERRUPTED,
                    finished_at=now,
                    duration_ms=int((now - row.started_at).total_seconds() * 1000),
                    error_details=INTERRUPTED_DETAILS,
                )
            )
        for store, entity in {(r.store, r.entity_type) for r in orphans}:
            conn.execute(
                update(sync_state)
                .where(sync_state.c.store == store, sync_state.c.entity_type == entity)
                .where(sync_state.c.status == RunStatus.RUNNING)
                .values(
                    status=RunStatus.INTERRUPTED,
                    error_message=INTERRUPTED_DETAILS,
                    updated_at=now,
                )
            )
        return len(orphans)
