"""The run-now queue in `sync_requests` over REST: enqueue (merged), claim once, finish.

The rules (what may be asked, claims, orphans) are in sync.storage.queueing. Where the
SQL store relies on a transaction, these rely on conditional updates ("only if still
queued"), which PostgREST runs atomically.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from postgrest.types import ReturnMethod

from sync.errors import SyncError
from sync.runs import OPEN_REQUESTS, Action, RequestStatus
from sync.storage.queueing import (
    ALL,
    MAX_REQUESTED_BY,
    ORPHAN_REQUEST_ERROR,
    RATE_CAP_MARK,
    RECONCILE,
    Claim,
    Enqueued,
    holder_alive,
    open_backfill_refusal,
    rate_cap_refusal,
    validate_request,
)
from sync.storage.rest.db import RestBase, parse_time

_REQUEST_COLUMNS = "id,entity_type,requested_by,reason,action,date_from,date_to,requested_at"


def _date(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def request_sync(
    rest: RestBase,
    entity: str,
    *,
    requested_by: str | None,
    reason: str | None,
    now: datetime,
    action: str = "incremental",
    date_from: date | None = None,
    date_to: date | None = None,
) -> Enqueued:
    """Queue a sync of `entity` (or 'all'), merged into an equivalent queued/running one.

    `action="backfill"` with a date range queues a backfill instead (merged only with the
    same entity and range).
    """
    reason = validate_request(entity, action, date_from, date_to, reason, now.date())

    def alike(query: Any) -> Any:
        query = query.eq("action", action)
        for column, value in (("date_from", date_from), ("date_to", date_to)):
            query = query.eq(column, value.isoformat()) if value else query.is_(column, None)
        return query

    requests = rest.table("sync_requests")
    candidates = rest.execute(
        alike(
            requests.select("id,status,requested_at")
            .eq("entity_type", entity)
            .in_("status", list(OPEN_REQUESTS))
        )
        .order("requested_at")
        .limit(1)
    ).data
    if action == "incremental":
        # A queued 'all' sync covers a sync of any one entity, never a backfill.
        candidates += rest.execute(
            rest.table("sync_requests")
            .select("id,status,requested_at")
            .eq("entity_type", ALL)
            .eq("status", RequestStatus.QUEUED)
            .eq("action", "incremental")
            .order("requested_at")
            .limit(1)
        ).data
    if candidates:
        first = min(candidates, key=lambda r: parse_time(r["requested_at"]) or now)
        return Enqueued(id=int(first["id"]), merged=True, status=first["status"])
    if action == "backfill" and _open_backfills(rest, list(OPEN_REQUESTS), entity):
        raise open_backfill_refusal(entity)
    insert = rest.table("sync_requests").insert(
        {
            "entity_type": entity,
            "requested_by": requested_by[:MAX_REQUESTED_BY] if requested_by else None,
            "reason": reason,
            "requested_at": now.isoformat(),
            "status": RequestStatus.QUEUED,
            "action": action,
            "date_from": date_from.isoformat() if date_from else None,
            "date_to": date_to.isoformat() if date_to else None,
        }
    )
    try:
        inserted = rest.execute(insert).data
    except SyncError as exc:
        if RATE_CAP_MARK in exc.message:  # the database's cap per requester (migration 0013)
            raise rate_cap_refusal() from None
        raise
    return Enqueued(id=int(inserted[0]["id"]), merged=False, status=RequestStatus.QUEUED)


def _open_backfills(rest: RestBase, statuses: list[str], entity: str | None = None) -> bool:
    query = (
        rest.table("sync_requests").select("id").eq("action", "backfill").in_("status", statuses)
    )
    if entity is not None:
        query = query.eq("entity_type", entity)
    return bool(rest.execute(query.limit(1)).data)


def _oldest_queued(
    rest: RestBase, action: str, entities: Collection[str] | None = None
) -> list[dict[str, Any]]:
    query = (
        rest.table("sync_requests")
        .select(_REQUEST_COLUMNS)
        .eq("status", RequestStatus.QUEUED)
        .eq("action", action)
    )
    if entities is not None:
        query = query.in_("entity_type", [*entities, ALL])
    return rest.execute(query.order("requested_at").order("id").limit(1)).data


def _take(rest: RestBase, request_id: int, holder: str, now: datetime) -> bool:
    taken = rest.execute(
        rest.table("sync_requests")
        .update(
            {"status": RequestStatus.RUNNING, "started_at": now.isoformat(), "claimed_by": holder}
        )
        .eq("id", request_id)
        .eq("status", RequestStatus.QUEUED)
    ).data
    return len(taken) == 1


def claim_next(
    rest: RestBase,
    holder: str,
    now: datetime,
    *,
    action: str | None = None,
    entities: Collection[str] | None = None,
) -> Claim | None:
    """Take the next queued request (and the queued ones it satisfies) for `holder`.

    Run-now syncs come before backfills, then the oldest first; `action` and `entities`
    narrow what may be taken. The conditional update ("only if still queued") makes a
    request go to exactly one scheduler even when several poll the same project.
    """
    for _ in range(5):
        rows: list[dict[str, Any]] = []
        if action in (None, Action.INCREMENTAL):
            rows = _oldest_queued(rest, Action.INCREMENTAL, entities)
        # One backfill at a time: the next waits until the running one ends.
        wants_backfill = not rows and action in (None, Action.BACKFILL)
        if wants_backfill and not _open_backfills(rest, [RequestStatus.RUNNING]):
            rows = _oldest_queued(rest, Action.BACKFILL, entities)
        if not rows and action in (None, RECONCILE):
            rows = _oldest_queued(rest, RECONCILE, entities)
        if not rows:
            return None
        oldest = rows[0]
        if not _take(rest, int(oldest["id"]), holder, now):
            continue  # another scheduler won this one; look again
        ids = [int(oldest["id"])]
        satisfied = (
            rest.table("sync_requests")
            .select("id")
            .eq("status", RequestStatus.QUEUED)
            .eq("action", oldest["action"])
        )
        if oldest["action"] == RECONCILE:
            satisfied = satisfied.eq("entity_type", oldest["entity_type"])
        elif oldest["action"] != "incremental":
            satisfied = (
                satisfied.eq("entity_type", oldest["entity_type"])
                .eq("date_from", oldest["date_from"])
                .eq("date_to", oldest["date_to"])
            )
        elif oldest["entity_type"] != ALL:
            satisfied = satisfied.eq("entity_type", oldest["entity_type"])
        for row in rest.execute(satisfied.order("id")).data:
            if _take(rest, int(row["id"]), holder, now):
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


def set_run_id(rest: RestBase, ids: Sequence[int], run_id: str) -> None:
    """Attach the run to its requests as soon as it starts (the dashboard follows it)."""
    rest.execute(
        rest.table("sync_requests")
        .update({"run_id": run_id}, returning=ReturnMethod.minimal)
        .in_("id", list(ids))
    )


def finish(
    rest: RestBase,
    ids: Sequence[int],
    *,
    run_id: str | None,
    failed: bool,
    error: str | None,
    now: datetime,
) -> None:
    """Close claimed requests as done or failed."""
    rest.execute(
        rest.table("sync_requests")
        .update(
            {
                "status": RequestStatus.FAILED if failed else RequestStatus.DONE,
                "finished_at": now.isoformat(),
                "run_id": run_id,
                "error": error,
            },
            returning=ReturnMethod.minimal,
        )
        .in_("id", list(ids))
    )


def fail_orphan_requests(rest: RestBase, now: datetime, stale_after: timedelta) -> int:
    """Requests left `running` by a scheduler that is gone are marked failed."""
    running = rest.execute(
        rest.table("sync_requests").select("id,claimed_by").eq("status", RequestStatus.RUNNING)
    ).data
    if not running:
        return 0
    fresh = {
        r["instance_id"]
        for r in rest.execute(
            rest.table("scheduler_heartbeat")
            .select("instance_id")
            .gte("last_beat_at", (now - stale_after).isoformat())
        ).data
    }
    orphans = [int(r["id"]) for r in running if not holder_alive(r["claimed_by"], fresh)]
    if orphans:
        rest.execute(
            rest.table("sync_requests")
            .update(
                {
                    "status": RequestStatus.FAILED,
                    "finished_at": now.isoformat(),
                    "error": ORPHAN_REQUEST_ERROR,
                },
                returning=ReturnMethod.minimal,
            )
            .in_("id", orphans)
            .eq("status", RequestStatus.RUNNING)
        )
    return len(orphans)
