"""Read what the alert rules need from the database into plain rule facts."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, and_, func, select

from sync.alerts.rules import Beat, CheckFacts, EntityFacts, Limits, RunFacts, SalesWindow
from sync.config import SYNCED_ENTITIES, Settings
from sync.runs import COMPLETED, SUCCEEDED, RunStatus
from sync.storage.schema import (
    ENTITY_TABLES,
    reconciliations,
    scheduler_heartbeat,
    sync_log,
    sync_state,
)
from sync.storage.sql.db import database_errors
from sync.storage.status_report import thresholds_for

RECENT_RUNS = 50  # enough for any failure streak worth reporting
BASELINE_RUNS = 20
HISTORY_WEEKS = 4


def limits_for(settings: Settings, entity: str) -> Limits:
    """The rule limits of `entity`, with ALERT_*_<ENTITY> overrides applied."""
    return Limits(
        consecutive_failures=int(settings.alert_limit("consecutive_failures", entity)),
        slow_run=timedelta(minutes=settings.alert_limit("slow_run_minutes", entity)),
        success_rate=settings.alert_limit("success_rate_percent", entity) / 100,
        thresholds=thresholds_for(settings, entity),
        memory_bytes=int(settings.alert_memory_mb * 2**20),
    )


def in_trading_hours(moment: datetime, hours: tuple[str, str] | None) -> bool:
    """True when `moment` (local time of this host) is inside ALERT_TRADING_HOURS."""
    if hours is None:
        return True
    local = moment.astimezone().time()
    start, end = (time.fromisoformat(h) for h in hours)
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # open past midnight


def _run(row: Row[Any]) -> RunFacts:
    return RunFacts(
        log_id=row.id,
        status=row.status,
        action=row.action,
        started_at=row.started_at,
        duration_ms=row.duration_ms,
        records_upserted=row.records_upserted or 0,
        version_from=row.version_from,
        error_type=row.error_type,
        error_details=row.error_details,
        peak_rss_bytes=row.peak_rss_bytes,
    )


def _baseline(conn: Connection, entity: str, latest: RunFacts) -> tuple[int, ...]:
    rows = conn.scalars(
        select(sync_log.c.duration_ms)
        .where(
            sync_log.c.entity_type == entity,
            sync_log.c.action == latest.action,
            sync_log.c.status.in_(sorted(SUCCEEDED)),
            sync_log.c.duration_ms.is_not(None),
            sync_log.c.started_at < latest.started_at,
        )
        .order_by(sync_log.c.started_at.desc())
        .limit(BASELINE_RUNS)
    )
    return tuple(int(v) for v in rows)


def _sales_window(conn: Connection, start: datetime, settings: Settings) -> SalesWindow:
    sales = ENTITY_TABLES["sales"]

    def count(end: datetime) -> int:
        return int(
            conn.scalar(
                select(func.count())
                .select_from(sales)
                .where(and_(sales.c.sale_date >= end - timedelta(hours=1), sales.c.sale_date < end))
            )
            or 0
        )

    weeks = sum(1 for k in range(1, HISTORY_WEEKS + 1) if count(start - timedelta(weeks=k)))
    return SalesWindow(
        sales_in_window=count(start),
        weeks_with_sales=weeks,
        weeks=HISTORY_WEEKS,
        in_trading_hours=in_trading_hours(start, settings.alert_trading_hours),
    )


def entity_facts(
    engine: Engine, settings: Settings, now: datetime, entities: tuple[str, ...] = SYNCED_ENTITIES
) -> list[EntityFacts]:
    """Facts for every entity, read in one connection."""
    out = []
    with database_errors(str(engine.url)), engine.connect() as conn:
        last_success = dict(
            conn.execute(select(sync_state.c.entity_type, sync_state.c.last_sync_time)).all()
        )
        day = conn.execute(
            select(sync_log.c.entity_type, sync_log.c.status, func.count())
            .where(sync_log.c.started_at >= now - timedelta(hours=24))
            .group_by(sync_log.c.entity_type, sync_log.c.status)
        ).all()
        for entity in entities:
            rows = conn.execute(
                select(sync_log)
                .where(sync_log.c.entity_type == entity)
                .order_by(sync_log.c.started_at.desc(), sync_log.c.id.desc())
                .limit(RECENT_RUNS)
            ).all()
            runs = tuple(_run(r) for r in rows if r.status != RunStatus.RUNNING)
            facts = EntityFacts(
                entity=entity,
                runs=runs,
                last_success=last_success.get(entity),
                running=any(r.status == RunStatus.RUNNING for r in rows),
                finished_24h=sum(n for e, s, n in day if e == entity and s in COMPLETED),
                failed_24h=sum(n for e, s, n in day if e == entity and s == RunStatus.FAILED),
            )
            latest = facts.latest
            if latest is not None and latest.status != RunStatus.FAILED:
                baseline = _baseline(conn, entity, latest)
                window = None
                if entity == "sales" and latest.action != "backfill":
                    window = _sales_window(conn, latest.started_at, settings)
                facts = replace(facts, baseline_ms=baseline, sales_window=window)
            out.append(facts)
    return out


def heartbeats(engine: Engine) -> list[Beat]:
    """Every scheduler_heartbeat row."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(
            select(scheduler_heartbeat.c.last_beat_at, scheduler_heartbeat.c.activity)
        ).all()
    return [Beat(r.last_beat_at, (r.activity or {}).get("state")) for r in rows]


def latest_reconciliation(engine: Engine) -> list[CheckFacts]:
    """The checks of the most recent reconciliation run (empty if there was none)."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        last = conn.scalar(
            select(reconciliations.c.run_id).order_by(reconciliations.c.checked_at.desc()).limit(1)
        )
        if last is None:
            return []
        rows = conn.execute(select(reconciliations).where(reconciliations.c.run_id == last)).all()
    return [
        CheckFacts(
            entity=r.entity_type,
            scope=r.scope,
            measure=r.measure,
            difference=str(r.difference),
            status=r.status,
            checked_at=r.checked_at,
            repair=r.details,
        )
        for r in rows
    ]
