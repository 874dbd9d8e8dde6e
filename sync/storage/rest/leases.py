"""Per-entity leases in `sync_locks` over REST: one sync of an entity at a time, across processes.

The rules (who holds a lease, when it is dead) are in sync.storage.leasing. Where the SQL
store relies on a transaction, these rely on conditional updates ("only if still held by
X"), which PostgREST runs atomically.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

from postgrest.exceptions import APIError
from postgrest.types import ReturnMethod

from sync.runs import RunStatus
from sync.storage.leasing import (
    HOST,
    INTERRUPTED_DETAILS,
    PROCESS_HOLDER,
    LeaseHolder,
    lease_entity,
    lease_is_dead,
)
from sync.storage.rest.db import RestBase, parse_time


def lease_holder(row: dict[str, Any]) -> LeaseHolder:
    """A `sync_locks` row as PostgREST returns it (times as text) as a LeaseHolder."""
    acquired, expires = parse_time(row["acquired_at"]), parse_time(row["expires_at"])
    assert acquired is not None and expires is not None
    return LeaseHolder(row["holder"], row["host"], int(row["pid"]), acquired, expires)


class RestLeases:
    """Acquire, renew and release the entity leases of the store's Lightspeed store
    (`store.prefix`) for one process (as sql.leases.Leases)."""

    def __init__(self, store: RestBase, ttl_seconds: float = 300.0) -> None:
        self.store = store
        self.ttl = timedelta(seconds=ttl_seconds)
        self.holder = PROCESS_HOLDER
        self.pid = os.getpid()

    def _locks(self) -> Any:
        return self.store.table("sync_locks")

    def _current(self, entity: str) -> LeaseHolder | None:
        rows = self.store.execute(
            self._locks().select("*").eq("store", self.store.prefix).eq("entity_type", entity)
        ).data
        return lease_holder(rows[0]) if rows else None

    def acquire(self, entity: str, now: datetime) -> LeaseHolder | None:
        """Take the lease of `entity`; returns None on success, else who holds it."""
        values = {
            "holder": self.holder,
            "host": HOST,
            "pid": self.pid,
            "acquired_at": now.isoformat(),
            "expires_at": (now + self.ttl).isoformat(),
        }
        current = self._current(entity)
        if current is None:
            try:
                self.store.table("sync_locks").insert(
                    {"store": self.store.prefix, "entity_type": entity, **values},
                    returning=ReturnMethod.minimal,
                ).execute()
                return None
            except APIError as exc:
                if exc.code != "23505":  # someone else inserted it first
                    raise self.store.error(exc) from None
            except Exception as exc:  # noqa: BLE001 - network errors get one sentence
                raise self.store.error(exc) from None
            current = self._current(entity)
            if current is None:
                return None
        if current.holder != self.holder and not lease_is_dead(current, now):
            return current
        taken = self.store.execute(
            self.store.table("sync_locks")
            .update(values)
            .eq("store", self.store.prefix)
            .eq("entity_type", entity)
            .eq("holder", current.holder)
        ).data
        return None if len(taken) == 1 else self._current(entity)

    def renew(self, entity: str, now: datetime) -> None:
        """Push the expiry of a lease this process holds."""
        self.store.execute(
            self.store.table("sync_locks")
            .update({"expires_at": (now + self.ttl).isoformat()}, returning=ReturnMethod.minimal)
            .eq("store", self.store.prefix)
            .eq("entity_type", entity)
            .eq("holder", self.holder)
        )

    def release(self, entity: str) -> None:
        """Drop a lease this process holds (no-op otherwise)."""
        self.store.execute(
            self.store.table("sync_locks")
            .delete(returning=ReturnMethod.minimal)
            .eq("store", self.store.prefix)
            .eq("entity_type", entity)
            .eq("holder", self.holder)
        )


def mark_orphans(rest: RestBase, now: datetime) -> int:
    """Mark `running` sync_log rows with no live lease as `interrupted`; returns how many.

    Also drops dead leases and resets the orphans' sync_state rows. Every store's.
    """
    leases = {
        (row["store"], row["entity_type"]): lease_holder(row)
        for row in rest.execute(rest.table("sync_locks").select("*")).data
    }
    live = {key for key, lease in leases.items() if not lease_is_dead(lease, now)}
    for store, entity in (key for key in leases if key not in live):
        rest.execute(
            rest.table("sync_locks")
            .delete(returning=ReturnMethod.minimal)
            .eq("store", store)
            .eq("entity_type", entity)
            .eq("holder", leases[store, entity].holder)
        )
    running = rest.execute(
        rest.table("sync_log")
        .select("id,store,entity_type,started_at")
        .eq("status", RunStatus.RUNNING)
    ).data
    orphans = [r for r in running if (r["store"], lease_entity(r["entity_type"])) not in live]
    for row in orphans:
        started = parse_time(row["started_at"]) or now
        rest.execute(
            rest.table("sync_log")
            .update(
                {
                    "status": RunStatus.INTERRUPTED,
                    "finished_at": now.isoformat(),
                    "duration_ms": int((now - started).total_seconds() * 1000),
                    "error_details": INTERRUPTED_DETAILS,
                },
                returning=ReturnMethod.minimal,
            )
            .eq("id", row["id"])
            .eq("status", RunStatus.RUNNING)
        )
    for store, entity in sorted({(r["store"], r["entity_type"]) for r in orphans}):
        rest.execute(
            rest.table("sync_state")
            .update(
                {
                    "status": RunStatus.INTERRUPTED,
                    "error_message": INTERRUPTED_DETAILS,
                    "updated_at": now.isoformat(),
                },
                returning=ReturnMethod.minimal,
            )
            .eq("store", store)
            .eq("entity_type", entity)
            .eq("status", RunStatus.RUNNING)
        )
    return len(orphans)
