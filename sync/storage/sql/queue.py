"""The run-now queue in `sync_requests` over SQL: only reads and writes of its rows.

What is merged, claimed or orphaned is decided by sync.storage.request_queue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.exc import IntegrityError

from sync.errors import ErrorKind, SyncError
from sync.runs import OPEN_REQUESTS, Action, RequestStatus
from sync.storage.queueing import RATE_CAP_MARK, Enqueued, open_backfill_refusal, rate_cap_refusal
from sync.storage.request_queue import OPEN_READ_LIMIT, OpenRequest, RequestQueue
from sync.storage.schema import scheduler_heartbeat, sync_requests
from sync.storage.sql.db import database_errors

_OPEN_COLUMNS = (
    sync_requests.c.id,
    sync_requests.c.entity_type,
    sync_requests.c.status,
    sync_requests.c.action,
    sync_requests.c.date_from,
    sync_requests.c.date_to,
    sync_requests.c.requested_at,
    sync_requests.c.requested_by,
    sync_requests.c.reason,
    sync_requests.c.claimed_by,
)


class SqlQueue(RequestQueue):
    """The run-now queue of one store in a SQL database (the SQL store is one)."""

    engine: Engine
    prefix: str

    def __init__(self, engine: Engine, *, prefix: str) -> None:
        self.engine = engine
        self.prefix = prefix

    def _open_requests(self) -> list[OpenRequest]:
        query = (
            select(*_OPEN_COLUMNS)
            .where(sync_requests.c.store == self.prefix)
            .where(sync_requests.c.status.in_(OPEN_REQUESTS))
            .order_by(sync_requests.c.requested_at, sync_requests.c.id)
            .limit(OPEN_READ_LIMIT)
        )
        with database_errors(str(self.engine.url)), self.engine.connect() as conn:
            return [OpenRequest(*row) for row in conn.execute(query)]

    def _insert_request(self, values: dict[str, Any], now: datetime) -> int:
        values = {**values, "store": self.prefix}
        if self.engine.dialect.name == "sqlite":
            values = {**values, "requested_at": now, "status": RequestStatus.QUEUED}
        # On Postgres id, requested_at (now()) and status come from the database: the
        # dashboard's role may insert nothing else (migration 0007).
        statement = insert(sync_requests).values(values).returning(sync_requests.c.id)
        with database_errors(str(self.engine.url)):
            try:
                with self.engine.begin() as conn:
                    return int(conn.scalar(statement))
            except IntegrityError as exc:
                raise _refusal(exc, values["entity_type"]) from None

    def _take(self, request_id: int, holder: str, now: datetime) -> bool:
        statement = (
            update(sync_requests)
            .where(sync_requests.c.id == request_id)
            .where(sync_requests.c.status == RequestStatus.QUEUED)
            .values(status=RequestStatus.RUNNING, started_at=now, claimed_by=holder)
        )
        with database_errors(str(self.engine.url)), self.engine.begin() as conn:
            return conn.execute(statement).rowcount == 1

    def _fresh_instances(self, since: datetime) -> set[str]:
        query = select(scheduler_heartbeat.c.instance_id).where(
            scheduler_heartbeat.c.last_beat_at >= since
        )
        with database_errors(str(self.engine.url)), self.engine.connect() as conn:
            return set(conn.scalars(query))

    def _fail_running(self, ids: Sequence[int], now: datetime, error: str) -> None:
        statement = (
            update(sync_requests)
            .where(sync_requests.c.id.in_(list(ids)))
            .where(sync_requests.c.status == RequestStatus.RUNNING)
            .values(status=RequestStatus.FAILED, finished_at=now, error=error)
        )
        with database_errors(str(self.engine.url)), self.engine.begin() as conn:
            conn.execute(statement)

    def set_request_run(self, ids: Sequence[int], run_id: str) -> None:
        """Attach the run to its requests as soon as it starts (the dashboard follows it)."""
        statement = (
            update(sync_requests).where(sync_requests.c.id.in_(list(ids))).values(run_id=run_id)
        )
        with database_errors(str(self.engine.url)), self.engine.begin() as conn:
            conn.execute(statement)

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
        statement = (
            update(sync_requests)
            .where(sync_requests.c.id.in_(list(ids)))
            .values(
                status=RequestStatus.FAILED if failed else RequestStatus.DONE,
                finished_at=now,
                run_id=run_id,
                error=error,
            )
        )
        with database_errors(str(self.engine.url)), self.engine.begin() as conn:
            conn.execute(statement)


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


def request_sync(
    engine: Engine,
    store: str,
    entity: str,
    *,
    requested_by: str | None,
    reason: str | None,
    now: datetime,
    action: str = Action.INCREMENTAL,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Enqueued:
    """`SqlQueue.request_sync` for a caller that holds only an engine (the dashboard)."""
    return SqlQueue(engine, prefix=store).request_sync(
        entity,
        requested_by=requested_by,
        reason=reason,
        now=now,
        action=action,
        date_from=date_from,
        date_to=date_to,
    )
