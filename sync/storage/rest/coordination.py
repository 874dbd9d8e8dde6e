"""The scheduler's side of the Supabase REST store: queue, leases, orphans, status.

Mirrors sync.storage.sql.coordination (and the SQL in its queue and leases modules) with
PostgREST requests. Where the SQL store relies on a transaction, these rely on conditional updates
("only if still queued", "only if still held by X"), which PostgREST runs atomically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from postgrest.exceptions import APIError
from postgrest.types import ReturnMethod

from sync.config import Settings
from sync.storage.leasing import (
    HOST,
    INTERRUPTED_DETAILS,
    PROCESS_HOLDER,
    LeaseHolder,
    lease_entity,
    lease_is_dead,
)
from sync.storage.queueing import (
    ALL,
    ORPHAN_REQUEST_ERROR,
    Claim,
    Enqueued,
    holder_alive,
    validate_request,
)
from sync.storage.rest.db import RestBase, parse_time
from sync.storage.status_report import StatusReport, build_status_report

_REQUEST_COLUMNS = "id,entity_type,requested_by,reason,action,date_from,date_to,requested_at"


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _holder(row: dict[str, Any]) -> LeaseHolder:
    acquired, expires = parse_time(row["acquired_at"]), parse_time(row["expires_at"])
    assert acquired is not None and expires is not None
    return LeaseHolder(row["holder"], row["host"], int(row["pid"]), acquired, expires)


class RestLeases:
    """Entity leases in `sync_locks`, over REST (same rules as sync.storage.sql.leases.Leases)."""

    def __init__(self, store: RestBase, ttl_seconds: float = 300.0) -> None:
        self.store = store
        self.ttl = timedelta(seconds=ttl_seconds)
        self.holder = PROCESS_HOLDER
        self.pid = os.getpid()

    def _current(self, entity: str) -> LeaseHolder | None:
        rows = self.store.execute(
            self.store.table("sync_locks").select("*").eq("entity_type", entity)
        ).data
        return _holder(rows[0]) if rows else None

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
                    {"entity_type": entity, **values}, returning=ReturnMethod.minimal
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
            .eq("entity_type", entity)
            .eq("holder", current.holder)
        ).data
        return None if len(taken) == 1 else self._current(entity)

    def renew(self, entity: str, now: datetime) -> None:
        """Push the expiry of a lease this process holds."""
        self.store.execute(
            self.store.table("sync_locks")
            .update({"expires_at": (now + self.ttl).isoformat()}, returning=ReturnMethod.minimal)
            .eq("entity_type", entity)
            .eq("holder", self.holder)
        )

    def release(self, entity: str) -> None:
        """Drop a lease this process holds (no-op otherwise)."""
        self.store.execute(
            self.store.table("sync_locks")
            .delete(returning=ReturnMethod.minimal)
            .eq("entity_type", entity)
            .eq("holder", self.holder)
        )


class RestCoordination(RestBase):
    """Queue, lease, orphan and status operations over PostgREST."""

    def leases(self, ttl_seconds: float) -> RestLeases:
        """This process's entity leases."""
        return RestLeases(self, ttl_seconds)

    def write_heartbeat(self, instance_id: str, values: dict[str, Any]) -> None:
        """Insert or refresh the scheduler_heartbeat row of `instance_id`."""
        self.execute(
            self.table("scheduler_heartbeat").upsert(
                {"instance_id": instance_id, **values},
                on_conflict="instance_id",
                returning=ReturnMethod.minimal,
            )
        )

    # -- run-now queue -------------------------------------------------------------------

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
        """Queue a run-now request, merged into an equivalent queued/running one."""
        reason = validate_request(entity, action, date_from, date_to, reason)

        def alike(query: Any) -> Any:
            query = query.eq("action", action)
            for column, value in (("date_from", date_from), ("date_to", date_to)):
                query = query.eq(column, value.isoformat()) if value else query.is_(column, None)
            return query

        requests = self.table("sync_requests")
        candidates = self.execute(
            alike(
                requests.select("id,status,requested_at")
                .eq("entity_type", entity)
                .in_("status", ["queued", "running"])
            )
            .order("requested_at")
            .limit(1)
        ).data
        if action == "incremental":
            # A queued 'all' sync covers a sync of any one entity, never a backfill.
            candidates += self.execute(
                self.table("sync_requests")
                .select("id,status,requested_at")
                .eq("entity_type", ALL)
                .eq("status", "queued")
                .eq("action", "incremental")
                .order("requested_at")
                .limit(1)
            ).data
        if candidates:
            first = min(candidates, key=lambda r: parse_time(r["requested_at"]) or now)
            return Enqueued(id=int(first["id"]), merged=True, status=first["status"])
        inserted = self.execute(
            self.table("sync_requests").insert(
                {
                    "entity_type": entity,
                    "requested_by": requested_by,
                    "reason": reason,
                    "requested_at": now.isoformat(),
                    "status": "queued",
                    "action": action,
                    "date_from": date_from.isoformat() if date_from else None,
                    "date_to": date_to.isoformat() if date_to else None,
                }
            )
        ).data
        return Enqueued(id=int(inserted[0]["id"]), merged=False, status="queued")

    def _take(self, request_id: int, holder: str, now: datetime) -> bool:
        taken = self.execute(
            self.table("sync_requests")
            .update({"status": "running", "started_at": now.isoformat(), "claimed_by": holder})
            .eq("id", request_id)
            .eq("status", "queued")
        ).data
        return len(taken) == 1

    def claim_request(self, holder: str, now: datetime) -> Claim | None:
        """Take the oldest queued request (and the queued ones it satisfies)."""
        for _ in range(5):
            rows = self.execute(
                self.table("sync_requests")
                .select(_REQUEST_COLUMNS)
                .eq("status", "queued")
                .order("requested_at")
                .order("id")
                .limit(1)
            ).data
            if not rows:
                return None
            oldest = rows[0]
            if not self._take(int(oldest["id"]), holder, now):
                continue  # another scheduler won this one; look again
            ids = [int(oldest["id"])]
            satisfied = (
                self.table("sync_requests")
                .select("id")
                .eq("status", "queued")
                .eq("action", oldest["action"])
            )
            if oldest["action"] != "incremental":
                satisfied = (
                    satisfied.eq("entity_type", oldest["entity_type"])
                    .eq("date_from", oldest["date_from"])
                    .eq("date_to", oldest["date_to"])
                )
            elif oldest["entity_type"] != ALL:
                satisfied = satisfied.eq("entity_type", oldest["entity_type"])
            for row in self.execute(satisfied.order("id")).data:
                if self._take(int(row["id"]), holder, now):
                    ids.append(int(row["id"]))
            return Claim(
                ids=tuple(ids),
                entity=oldest["entity_type"],
                requested_by=oldest["requested_by"],
                reason=oldest["reason"],
                action=oldest["action"],
                date_from=_date(oldest["date_from"]),
                date_to=_date(oldest["date_to"]),
            )
        return None

    def set_request_run(self, ids: Sequence[int], run_id: str) -> None:
        """Attach the run to its requests as soon as it starts."""
        self.execute(
            self.table("sync_requests")
            .update({"run_id": run_id}, returning=ReturnMethod.minimal)
            .in_("id", list(ids))
        )

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
        self.execute(
            self.table("sync_requests")
            .update(
                {
                    "status": "failed" if failed else "done",
                    "finished_at": now.isoformat(),
                    "run_id": run_id,
                    "error": error,
                },
                returning=ReturnMethod.minimal,
            )
            .in_("id", list(ids))
        )

    def fail_orphan_requests(self, now: datetime, stale_after: timedelta) -> int:
        """Requests left `running` by a scheduler that is gone are marked failed."""
        running = self.execute(
            self.table("sync_requests").select("id,claimed_by").eq("status", "running")
        ).data
        if not running:
            return 0
        fresh = {
            r["instance_id"]
            for r in self.execute(
                self.table("scheduler_heartbeat")
                .select("instance_id")
                .gte("last_beat_at", (now - stale_after).isoformat())
            ).data
        }
        orphans = [int(r["id"]) for r in running if not holder_alive(r["claimed_by"], fresh)]
        if orphans:
            self.execute(
                self.table("sync_requests")
                .update(
                    {
                        "status": "failed",
                        "finished_at": now.isoformat(),
                        "error": ORPHAN_REQUEST_ERROR,
                    },
                    returning=ReturnMethod.minimal,
                )
                .in_("id", orphans)
                .eq("status", "running")
            )
        return len(orphans)

    def mark_orphans(self, now: datetime) -> int:
        """Mark `running` sync_log rows with no live lease as `interrupted`."""
        leases = {
            row["entity_type"]: _holder(row)
            for row in self.execute(self.table("sync_locks").select("*")).data
        }
        live = {entity for entity, lease in leases.items() if not lease_is_dead(lease, now)}
        dead = [entity for entity in leases if entity not in live]
        for entity in dead:
            self.execute(
                self.table("sync_locks")
                .delete(returning=ReturnMethod.minimal)
                .eq("entity_type", entity)
                .eq("holder", leases[entity].holder)
            )
        running = self.execute(
            self.table("sync_log").select("id,entity_type,started_at").eq("status", "running")
        ).data
        orphans = [r for r in running if lease_entity(r["entity_type"]) not in live]
        for row in orphans:
            started = parse_time(row["started_at"]) or now
            self.execute(
                self.table("sync_log")
                .update(
                    {
                        "status": "interrupted",
                        "finished_at": now.isoformat(),
                        "duration_ms": int((now - started).total_seconds() * 1000),
                        "error_details": INTERRUPTED_DETAILS,
                    },
                    returning=ReturnMethod.minimal,
                )
                .eq("id", row["id"])
                .eq("status", "running")
            )
        entities = sorted({r["entity_type"] for r in orphans})
        if entities:
            self.execute(
                self.table("sync_state")
                .update(
                    {
                        "status": "interrupted",
                        "error_message": INTERRUPTED_DETAILS,
                        "updated_at": now.isoformat(),
                    },
                    returning=ReturnMethod.minimal,
                )
                .in_("entity_type", entities)
                .eq("status", "running")
            )
        return len(orphans)

    # -- reads ---------------------------------------------------------------------------

    def status_report(self, now: datetime, settings: Settings) -> StatusReport:
        """Per entity health, the overall verdict and scheduler liveness."""
        states = {}
        for row in self.execute(self.table("sync_state").select("*")).data:
            row["last_sync_time"] = parse_time(row.get("last_sync_time"))
            states[row["entity_type"]] = row
        beats = self.execute(
            self.table("scheduler_heartbeat")
            .select("last_beat_at,activity,next_run_at")
            .order("last_beat_at", desc=True)
            .limit(1)
        ).data
        beat = None
        if beats:
            beat = {
                "last_beat_at": parse_time(beats[0]["last_beat_at"]),
                "activity": beats[0]["activity"],
                "next_run_at": parse_time(beats[0]["next_run_at"]),
            }
        return build_status_report(states, beat, now, settings)
