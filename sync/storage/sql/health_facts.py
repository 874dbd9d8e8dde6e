"""The health model's facts from the database, and `summarize`: the summary every view shows.

One loader for the dashboard, the API and `status --json`. It only SELECTs tables the
dashboard_reader login may read, and only aggregates: each query touches the last 24 h
of sync_log, one index range per entity (ix_sync_log_entity_status_started), or a few
rows, so the summary stays fast with millions of sync_log rows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, case, func, select

from sync.config import Settings
from sync.health import (
    HEALTH_ENTITIES,
    EntityReading,
    HealthFacts,
    HealthSummary,
    ReconciliationReading,
    SchedulerReading,
    build_summary,
)
from sync.runs import FINISHED, SUCCEEDED, RunStatus
from sync.storage.schema import (
    alert_incidents,
    reconciliations,
    scheduler_heartbeat,
    sync_log,
    sync_state,
)
from sync.storage.sql.db import database_errors

MTTR_WINDOW = timedelta(days=30)
WORST_CHECK = {"mismatch": 2, "error": 1, "matched": 0}


def local_midnight(now: datetime) -> datetime:
    """The start of today on this host's clock ('records processed today')."""
    local = now.astimezone()
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def _day_aggregates(conn: Connection, now: datetime) -> dict[str, dict[str, Any]]:
    """Per entity over 24 h: runs by status, finished duration, records today, failures by class."""
    # Today's midnight is later than 24 h ago (but in the hour after a 25-hour day).
    since = now - timedelta(hours=24)
    today = case(
        (sync_log.c.started_at >= local_midnight(now), sync_log.c.records_upserted), else_=0
    )
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
        .where(sync_log.c.started_at >= since)
        .group_by(sync_log.c.entity_type, sync_log.c.status, sync_log.c.error_type)
    ).all()
    out: dict[str, dict[str, Any]] = {}
    for entity, status, error_type, n, ms, timed, records in rows:
        agg = out.setdefault(entity, {"runs": {}, "ms": 0, "timed": 0, "today": 0, "failures": {}})
        agg["today"] += int(records or 0)
        agg["runs"][status] = agg["runs"].get(status, 0) + int(n)
        if status != RunStatus.RUNNING and timed:
            agg["ms"] += int(ms)
            agg["timed"] += int(timed)
        if status == RunStatus.FAILED:
            agg["failures"][error_type] = agg["failures"].get(error_type, 0) + int(n)
    return out


def _streak(conn: Connection, entity: str) -> tuple[int, datetime | None]:
    """(failed runs since the latest successful one, when the oldest of them started)."""
    last_ok = conn.scalar(
        select(func.max(sync_log.c.started_at)).where(
            sync_log.c.entity_type == entity, sync_log.c.status.in_(sorted(SUCCEEDED))
        )
    )
    failed = select(func.count(), func.min(sync_log.c.started_at)).where(
        sync_log.c.entity_type == entity, sync_log.c.status == RunStatus.FAILED
    )
    if last_ok is not None:
        failed = failed.where(sync_log.c.started_at > last_ok)
    n, first = conn.execute(failed).one()
    return int(n or 0), first


def _latest_run(conn: Connection, entity: str) -> Any:
    """The entity's latest finished run: when it started and its run metrics."""
    return conn.execute(
        select(
            sync_log.c.started_at,
            sync_log.c.status,
            sync_log.c.duration_ms,
            sync_log.c.records_upserted,
            sync_log.c.records_deleted,
            sync_log.c.peak_rss_bytes,
            sync_log.c.api_ms_mean,
            sync_log.c.api_ms_p95,
            sync_log.c.api_retries,
        )
        .where(sync_log.c.entity_type == entity, sync_log.c.status != RunStatus.RUNNING)
        .order_by(sync_log.c.started_at.desc())
        .limit(1)
    ).first()


def _entities(conn: Connection, now: datetime) -> tuple[EntityReading, ...]:
    states = {r.entity_type: r for r in conn.execute(select(sync_state))}
    day = _day_aggregates(conn, now)
    readings = []
    for name in HEALTH_ENTITIES:
        state, agg = states.get(name), day.get(name, {})
        streak, since = _streak(conn, name)
        latest = _latest_run(conn, name)
        runs_24h = dict(agg.get("runs", {}))
        readings.append(
            EntityReading(
                entity=name,
                status=state.status if state else "never",
                last_success=state.last_sync_time if state else None,
                error_type=state.error_type if state else None,
                error_message=state.error_message if state else None,
                records_total=int(state.records_total) if state else 0,
                runs_24h=runs_24h,
                failures_24h=dict(agg.get("failures", {})),
                avg_duration_ms_24h=agg["ms"] / agg["timed"] if agg.get("timed") else None,
                records_today=int(agg.get("today", 0)),
                consecutive_failures=streak,
                failing_since=since,
                last_run_at=latest.started_at if latest else None,
                last_run_status=latest.status if latest else None,
                last_run_duration_ms=latest.duration_ms if latest else None,
                last_run_records=(
                    int(latest.records_upserted or 0) + int(latest.records_deleted or 0)
                    if latest
                    else None
                ),
                peak_rss_bytes=latest.peak_rss_bytes if latest else None,
                api_ms_mean=latest.api_ms_mean if latest else None,
                api_ms_p95=latest.api_ms_p95 if latest else None,
                api_retries=latest.api_retries if latest else None,
            )
        )
    return tuple(readings)


def _scheduler(conn: Connection) -> SchedulerReading:
    beat = conn.execute(
        select(scheduler_heartbeat).order_by(scheduler_heartbeat.c.last_beat_at.desc()).limit(1)
    ).first()
    if beat is None:
        return SchedulerReading()
    activity = beat.activity or {}
    return SchedulerReading(
        last_beat=beat.last_beat_at,
        state=activity.get("state"),
        next_run_at=beat.next_run_at,
        jobs=tuple(activity.get("jobs") or ()),
    )


def _reconciliation(
    conn: Connection, run_id: str | None, day: str | None = None
) -> ReconciliationReading | None:
    """One reconciliation run's verdict (only its sales checks of one day with `day`)."""
    if run_id is None:
        return None
    query = select(reconciliations).where(reconciliations.c.run_id == run_id)
    if day is not None:
        query = query.where(
            reconciliations.c.entity_type == "sales", reconciliations.c.scope.like(f"{day}%")
        )
    checks = conn.execute(query).all()
    if not checks:
        return None
    worst = max((c.status for c in checks), key=lambda s: WORST_CHECK.get(s, 1))
    bad = [c for c in checks if c.status == "mismatch"]
    return ReconciliationReading(
        run_id=run_id,
        checked_at=max(c.checked_at for c in checks),
        status=worst,
        mismatches=tuple(f"{c.scope} {c.measure} differs by {c.difference}" for c in bad),
        repair=next((c.details for c in bad if c.details), None),
    )


def _latest_run_id(conn: Connection, *conditions: Any) -> str | None:
    return conn.scalar(
        select(reconciliations.c.run_id)
        .where(*conditions)
        .order_by(reconciliations.c.checked_at.desc())
        .limit(1)
    )


def _seconds_between(conn: Connection, start: Any, end: Any) -> Any:
    if conn.dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def load_health_facts(engine: Engine, now: datetime) -> HealthFacts:
    """Read everything the health model needs, in one connection."""
    yesterday = (now - timedelta(days=1)).date().isoformat()
    with database_errors(str(engine.url)), engine.connect() as conn:
        entities = _entities(conn, now)
        open_by_severity = dict(
            conn.execute(
                select(alert_incidents.c.severity, func.count())
                .where(alert_incidents.c.status == "open")
                .group_by(alert_incidents.c.severity)
            ).all()
        )
        resolved, seconds = conn.execute(
            select(
                func.count(),
                func.sum(
                    _seconds_between(
                        conn, alert_incidents.c.opened_at, alert_incidents.c.resolved_at
                    )
                ),
            ).where(alert_incidents.c.resolved_at >= now - MTTR_WINDOW)
        ).one()
        latest = _reconciliation(conn, _latest_run_id(conn))
        sales_run = _latest_run_id(
            conn,
            reconciliations.c.entity_type == "sales",
            reconciliations.c.scope.like(f"{yesterday}%"),
        )
        sales_check = _reconciliation(conn, sales_run, day=yesterday)
        scheduler = _scheduler(conn)
    failures: dict[str | None, int] = {}
    finished = 0
    for reading in entities:
        finished += sum(n for s, n in reading.runs_24h.items() if s in FINISHED)
        for kind, n in reading.failures_24h.items():
            failures[kind] = failures.get(kind, 0) + n
    return HealthFacts(
        entities=entities,
        scheduler=scheduler,
        fetched_at=now,
        latest_reconciliation=latest,
        sales_reconciliation=sales_check,
        open_incidents={str(k): int(v) for k, v in open_by_severity.items()},
        incident_seconds_30d=float(seconds) if seconds is not None else None,
        resolved_30d=int(resolved or 0),
        failures_by_class_24h=failures,
        finished_24h=finished,
    )


def summarize(engine: Engine, now: datetime, settings: Settings) -> HealthSummary:
    """The health summary as of `now` (the body of GET /api/sync-health/summary)."""
    return build_summary(load_health_facts(engine, now), now, settings)
