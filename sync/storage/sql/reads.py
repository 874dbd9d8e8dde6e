"""The read model over SQL: one RunLogSnapshot from one connection.

It only SELECTs tables the dashboard_reader login may read, and each query touches the
last 24 h of sync_log, one index range per entity, or a few rows, so it stays fast with
millions of sync_log rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, case, func, or_, select

from sync.entities import STATE_ENTITIES
from sync.health.snapshot import (
    BASELINE_RUNS,
    RECENT_RUNS,
    Beat,
    Check,
    DayGroup,
    RunLogSnapshot,
    RunRow,
    SalesHours,
    Streak,
)
from sync.runs import SUCCEEDED, RequestStatus, RunStatus
from sync.storage.reads import (
    MTTR_WINDOW,
    RUN_COLUMNS,
    baseline_anchor,
    check_row,
    run_row,
    sales_hour_ends,
    state_row,
    store_clock,
    streak_from,
)
from sync.storage.schema import (
    ENTITY_TABLES,
    alert_incidents,
    reconciliations,
    scheduler_heartbeat,
    sync_log,
    sync_requests,
    sync_run_totals,
    sync_state,
)
from sync.storage.sql.db import database_errors
from sync.storage.sql.outlets import outlet_zones


def _runs(conn: Connection, store: str, entity: str) -> tuple[RunRow, ...]:
    rows = conn.execute(
        select(*(sync_log.c[c] for c in RUN_COLUMNS))
        .where(sync_log.c.store == store, sync_log.c.entity_type == entity)
        .order_by(sync_log.c.started_at.desc(), sync_log.c.id.desc())
        .limit(RECENT_RUNS)
    ).all()
    return tuple(run_row(r._mapping) for r in rows)


def streak_of(conn: Connection, store: str, entity: str) -> Streak:
    """Failed runs since the latest successful one, counted over the whole log."""
    mine = (sync_log.c.store == store, sync_log.c.entity_type == entity)
    last_ok = conn.scalar(
        select(func.max(sync_log.c.started_at)).where(
            *mine, sync_log.c.status.in_(sorted(SUCCEEDED))
        )
    )
    failed = select(func.count(), func.min(sync_log.c.started_at)).where(
        *mine, sync_log.c.status == RunStatus.FAILED
    )
    if last_ok is not None:
        failed = failed.where(sync_log.c.started_at > last_ok)
    n, first = conn.execute(failed).one()
    return Streak(int(n or 0), first)


def _day(conn: Connection, store: str, now: datetime, day_start: datetime) -> tuple[DayGroup, ...]:
    today = case((sync_log.c.started_at >= day_start, sync_log.c.records_upserted), else_=0)
    rows = conn.execute(
        select(
            sync_log.c.entity_type,
            sync_log.c.status,
            sync_log.c.error_type,
            func.count(),
            func.sum(sync_log.c.duration_ms),
            func.count(sync_log.c.duration_ms),
            func.sum(today),
        )
        .where(sync_log.c.store == store, sync_log.c.started_at >= now - timedelta(hours=24))
        .group_by(sync_log.c.entity_type, sync_log.c.status, sync_log.c.error_type)
        .order_by(sync_log.c.entity_type, sync_log.c.status, sync_log.c.error_type)
    ).all()
    return tuple(
        DayGroup(e, s, t, int(n), int(ms or 0), int(timed or 0), int(rec or 0))
        for e, s, t, n, ms, timed, rec in rows
    )


def _checks(conn: Connection, *conditions: Any) -> tuple[Check, ...]:
    """The checks of the latest reconciliation run among the rows matching `conditions`."""
    run_id = conn.scalar(
        select(reconciliations.c.run_id)
        .where(*conditions)
        .order_by(reconciliations.c.checked_at.desc())
        .limit(1)
    )
    if run_id is None:
        return ()
    rows = conn.execute(
        select(reconciliations)
        .where(reconciliations.c.run_id == run_id, *conditions)
        .order_by(reconciliations.c.id)
    ).all()
    return tuple(check_row(r._mapping) for r in rows)


def _seconds_between(conn: Connection, start: Any, end: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _baseline(conn: Connection, store: str, anchor: RunRow) -> tuple[int, ...]:
    rows = conn.scalars(
        select(sync_log.c.duration_ms)
        .where(
            sync_log.c.store == store,
            sync_log.c.entity_type == anchor.entity_type,
            sync_log.c.action == anchor.action,
            sync_log.c.status.in_(sorted(SUCCEEDED)),
            sync_log.c.duration_ms.is_not(None),
            sync_log.c.started_at < anchor.started_at,
        )
        .order_by(sync_log.c.started_at.desc())
        .limit(BASELINE_RUNS)
    )
    return tuple(int(v) for v in rows)


def _sales_hours(conn: Connection, store: str, runs: tuple[RunRow, ...]) -> SalesHours | None:
    ends = sales_hour_ends(runs)
    if not ends:
        return None
    sales = ENTITY_TABLES["sales"]
    counts = tuple(
        int(
            conn.scalar(
                select(func.count())
                .select_from(sales)
                .where(
                    sales.c.store == store,
                    sales.c.sale_date >= end - timedelta(hours=1),
                    sales.c.sale_date < end,
                )
            )
            or 0
        )
        for end in ends
    )
    return SalesHours(end=ends[0], counts=counts)


def _beats(conn: Connection, store: str | None = None) -> tuple[Beat, ...]:
    """The heartbeats, freshest first: of `store`'s loops (and those naming no store, from
    before migration 0020), or every one."""
    query = select(scheduler_heartbeat).order_by(scheduler_heartbeat.c.last_beat_at.desc())
    if store is not None:
        c = scheduler_heartbeat.c
        query = query.where(or_(c.store == store, c.store.is_(None)))
    return tuple(beat_of(b) for b in conn.execute(query))


def beat_of(row: Any) -> Beat:
    """A Beat from a scheduler_heartbeat row."""
    return Beat(row.last_beat_at, dict(row.activity or {}), row.next_run_at)


def read_beats(engine: Engine) -> tuple[Beat, ...]:
    """Only the heartbeats, freshest first (the API's readiness probe, asked often)."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        return _beats(conn)


def read_snapshot(
    engine: Engine,
    store: str,
    now: datetime,
    day_start: datetime | None = None,
    *,
    zone: str | None = None,
) -> RunLogSnapshot:
    """Everything the views show about the run log of `store`, read in one connection.

    "Today" and "yesterday" are the store's days (`zone`: STORE_TIME_ZONE, else the zone
    most outlets share); `day_start` overrides the start of today.
    """
    with database_errors(str(engine.url)), engine.connect() as conn:
        clock = store_clock(now, zone, outlet_zones(conn, store))
        day_start = day_start or clock.midnight
        states = tuple(
            state_row(r._mapping)
            for r in conn.execute(
                select(sync_state)
                .where(sync_state.c.store == store)
                .order_by(sync_state.c.entity_type)
            )
        )
        runs = {e: _runs(conn, store, e) for e in STATE_ENTITIES}
        streaks = {e: streak_from(runs[e]) or streak_of(conn, store, e) for e in STATE_ENTITIES}
        baselines = {}
        for entity, rows in runs.items():
            anchor = baseline_anchor(rows)
            if anchor is not None:
                baselines[entity] = _baseline(conn, store, anchor)
        open_by_severity = conn.execute(
            select(alert_incidents.c.severity, func.count())
            .where(alert_incidents.c.store == store, alert_incidents.c.status == "open")
            .group_by(alert_incidents.c.severity)
        ).all()
        resolved, seconds = conn.execute(
            select(
                func.count(),
                func.sum(
                    _seconds_between(
                        conn, alert_incidents.c.opened_at, alert_incidents.c.resolved_at
                    )
                ),
            ).where(
                alert_incidents.c.store == store, alert_incidents.c.resolved_at >= now - MTTR_WINDOW
            )
        ).one()
        queued = conn.scalar(
            select(func.count())
            .select_from(sync_requests)
            .where(sync_requests.c.store == store, sync_requests.c.status == RequestStatus.QUEUED)
        )
        totals = conn.execute(
            select(sync_run_totals.c.entity_type, sync_run_totals.c.status, sync_run_totals.c.runs)
            .where(sync_run_totals.c.store == store)
            .order_by(sync_run_totals.c.entity_type, sync_run_totals.c.status)
        ).all()
        return RunLogSnapshot(
            read_at=now,
            day_start=day_start,
            states=states,
            runs=runs,
            streaks=streaks,
            day=_day(conn, store, now, day_start),
            beats=_beats(conn, store),
            reconciliation=_checks(conn, reconciliations.c.store == store),
            sales_reconciliation=_checks(
                conn,
                reconciliations.c.store == store,
                reconciliations.c.entity_type == "sales",
                reconciliations.c.scope.like(f"{clock.yesterday}%"),
            ),
            open_incidents={str(s): int(n) for s, n in open_by_severity},
            resolved_30d=int(resolved or 0),
            incident_seconds_30d=float(seconds) if seconds is not None else None,
            queue_depth=int(queued or 0),
            run_totals=tuple((e, s, int(n)) for e, s, n in totals),
            baselines=baselines,
            sales_hours=_sales_hours(conn, store, runs["sales"]),
            zone=clock.zone,
        )


def ping(engine: Engine) -> None:
    """Raise a DATABASE SyncError unless the database answers and has the sync tables."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        conn.execute(select(func.count()).select_from(sync_state)).scalar()
