"""The run-now queue in `sync_requests` over SQL: enqueue (merged), claim once, finish.

The rules (what may be asked, claims, orphans) are in sync.storage.queueing.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, case, exists, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.expression import Exists

from sync.errors import ErrorKind, SyncError
from sync.runs import OPEN_REQUESTS, RequestStatus
from sync.storage.queueing import (
    ALL,
    MAX_REQUESTED_BY,
    ORPHAN_REQUEST_ERROR,
    RATE_CAP_MARK,
    Claim,
    Enqueued,
    holder_alive,
    open_backfill_refusal,
    rate_cap_refusal,
    validate_request,
)
from sync.storage.schema import scheduler_heartbeat, sync_requests
from sync.storage.sql.db import database_errors


def request_sync(
    engine: Engine,
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
    with database_errors(str(engine.url)):
        try:
            return _enqueue(engine, entity, requested_by, reason, now, action, date_from, date_to)
        except IntegrityError as exc:
            raise _refusal(exc, entity) from None


def _refusal(exc: IntegrityError, entity: str) -> SyncError:
    """What the database refused: a trigger's limit (migration 0013), or a second backfill."""
    diag = getattr(exc.orig, "diag", None)
    text = str(getattr(diag, "message_primary", None) or exc.orig)
    if RATE_CAP_MARK in text:
        return rate_cap_refusal()
    if getattr(exc.orig, "sqlstate", None) == "23505" or "UNIQUE constraint" in text:
        # another backfill of the entity was queued at the same moment
        return open_backfill_refusal(entity)
    return SyncError(ErrorKind.CONFIG, text)


def _enqueue(
    engine: Engine,
    entity: str,
    requested_by: str | None,
    reason: str | None,
    now: datetime,
    action: str,
    date_from: date | None,
    date_to: date | None,
) -> Enqueued:
    with engine.begin() as conn:
        alike = (
            (sync_requests.c.action == action)
            & (
                sync_requests.c.date_from == date_from
                if date_from
                else sync_requests.c.date_from.is_(None)
            )
            & (sync_requests.c.date_to == date_to if date_to else sync_requests.c.date_to.is_(None))
        )
        same = (
            (sync_requests.c.entity_type == entity)
            & sync_requests.c.status.in_(OPEN_REQUESTS)
            & alike
        )
        covering = (
            (sync_requests.c.entity_type == ALL)
            & (sync_requests.c.status == RequestStatus.QUEUED)
            & (sync_requests.c.action == "incremental")
        )
        # A queued 'all' sync covers a sync of any one entity, never a backfill.
        wanted = or_(same, covering) if action == "incremental" else same
        existing = conn.execute(
            select(sync_requests.c.id, sync_requests.c.status)
            .where(wanted)
            .order_by(sync_requests.c.requested_at)
            .limit(1)
        ).first()
        if existing is not None:
            return Enqueued(id=int(existing.id), merged=True, status=existing.status)
        if action == "backfill" and conn.scalar(select(_open_backfill(entity))):
            raise open_backfill_refusal(entity)
        values = {
            "entity_type": entity,
            "requested_by": requested_by[:MAX_REQUESTED_BY] if requested_by else None,
            "reason": reason,
            "action": action,
            "date_from": date_from,
            "date_to": date_to,
        }
        if engine.dialect.name == "sqlite":
            values.update(requested_at=now, status=RequestStatus.QUEUED)
        # On Postgres id, requested_at (now()) and status come from the database: the
        # dashboard's role may insert nothing else (migration 0007).
        new_id = conn.scalar(insert(sync_requests).values(values).returning(sync_requests.c.id))
    return Enqueued(id=int(new_id), merged=False, status=RequestStatus.QUEUED)


def _open_backfill(entity: str | None = None, statuses: tuple[str, ...] = OPEN_REQUESTS) -> Exists:
    """EXISTS: an open backfill (of `entity`, when given)."""
    other = sync_requests.alias("other_backfill")  # not correlated with an outer query
    query = select(other.c.id).where(other.c.action == "backfill", other.c.status.in_(statuses))
    if entity is not None:
        query = query.where(other.c.entity_type == entity)
    return exists(query)


def claim_next(
    engine: Engine,
    holder: str,
    now: datetime,
    *,
    action: str | None = None,
    entities: Collection[str] | None = None,
) -> Claim | None:
    """Take the next queued request (and the queued ones it satisfies) for `holder`.

    Run-now syncs come before backfills, then the oldest first. `action` and `entities`
    narrow what may be taken (a request for 'all' concerns every entity). The
    conditional UPDATE ("only if still queued") makes a request go to exactly one
    scheduler even when several poll the same database.
    """
    for _ in range(5):
        with database_errors(str(engine.url)), engine.begin() as conn:
            query = (
                select(
                    sync_requests.c.id,
                    sync_requests.c.entity_type,
                    sync_requests.c.requested_by,
                    sync_requests.c.reason,
                    sync_requests.c.action,
                    sync_requests.c.date_from,
                    sync_requests.c.date_to,
                )
                .where(sync_requests.c.status == RequestStatus.QUEUED)
                # One backfill at a time: the next waits until the running one ends.
                .where(
                    (sync_requests.c.action != "backfill")
                    | ~_open_backfill(statuses=(RequestStatus.RUNNING,))
                )
                .order_by(
                    case((sync_requests.c.action == "backfill", 1), else_=0),
                    sync_requests.c.requested_at,
                    sync_requests.c.id,
                )
                .limit(1)
            )
            if action is not None:
                query = query.where(sync_requests.c.action == action)
            if entities is not None:
                query = query.where(sync_requests.c.entity_type.in_([*entities, ALL]))
            oldest = conn.execute(query).first()
            if oldest is None:
                return None
            taken = conn.execute(
                update(sync_requests)
                .where(sync_requests.c.id == oldest.id)
                .where(sync_requests.c.status == RequestStatus.QUEUED)
                .values(status=RequestStatus.RUNNING, started_at=now, claimed_by=holder)
            ).rowcount
            if taken != 1:
                continue  # another scheduler won this one; look again
            ids = [int(oldest.id)]
            satisfied = select(sync_requests.c.id).where(
                sync_requests.c.status == RequestStatus.QUEUED,
                sync_requests.c.action == oldest.action,
            )
            if oldest.action != "incremental":
                satisfied = satisfied.where(
                    sync_requests.c.entity_type == oldest.entity_type,
                    sync_requests.c.date_from == oldest.date_from,
                    sync_requests.c.date_to == oldest.date_to,
                )
            elif oldest.entity_type != ALL:
                satisfied = satisfied.where(sync_requests.c.entity_type == oldest.entity_type)
            for (other,) in conn.execute(satisfied).all():
                if conn.execute(
                    update(sync_requests)
                    .where(sync_requests.c.id == other)
                    .where(sync_requests.c.status == RequestStatus.QUEUED)
                    .values(status=RequestStatus.RUNNING, started_at=now, claimed_by=holder)
                ).rowcount:
                    ids.append(int(other))
            return Claim(
                ids=tuple(ids),
                entity=oldest.entity_type,
                requested_by=oldest.requested_by,
                reason=oldest.reason,
                action=oldest.action,
                date_from=oldest.date_from,
                date_to=oldest.date_to,
            )
    return None


def set_run_id(engine: Engine, ids: Sequence[int], run_id: str) -> None:
    """Attach the run to its requests as soon as it starts (the dashboard follows it)."""
    with database_errors(str(engine.url)), engine.begin() as conn:
        conn.execute(
            update(sync_requests).where(sync_requests.c.id.in_(list(ids))).values(run_id=run_id)
        )


def finish(
    engine: Engine,
    ids: Sequence[int],
    *,
    run_id: str | None,
    failed: bool,
    error: str | None,
    now: datetime,
) -> None:
    """Close claimed requests as done or failed."""
    with database_errors(str(engine.url)), engine.begin() as conn:
        conn.execute(
            update(sync_requests)
            .where(sync_requests.c.id.in_(list(ids)))
            .values(
                status=RequestStatus.FAILED if failed else RequestStatus.DONE,
                finished_at=now,
                run_id=run_id,
                error=error,
            )
        )


def fail_orphan_requests(engine: Engine, now: datetime, stale_after: timedelta) -> int:
    """Requests left `running` by a scheduler that is gone are marked failed."""
    with database_errors(str(engine.url)), engine.begin() as conn:
        running = conn.execute(
            select(sync_requests.c.id, sync_requests.c.claimed_by).where(
                sync_requests.c.status == RequestStatus.RUNNING
            )
        ).all()
        if not running:
            return 0
        fresh = set(
            conn.scalars(
                select(scheduler_heartbeat.c.instance_id).where(
                    scheduler_heartbeat.c.last_beat_at >= now - stale_after
                )
            )
        )
        orphans = [r.id for r in running if not holder_alive(r.claimed_by, fresh)]
        if orphans:
            conn.execute(
                update(sync_requests)
                .where(sync_requests.c.id.in_(orphans))
                .where(sync_requests.c.status == RequestStatus.RUNNING)
                .values(
                    status=RequestStatus.FAILED,
                    finished_at=now,
                    error=ORPHAN_REQUEST_ERROR,
                )
            )
        return len(orphans)
