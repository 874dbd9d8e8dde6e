"""The alert rules' facts, taken from one RunLogSnapshot (pure), and every finding of it."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sync.alerts.rules import (
    Beat,
    CheckFacts,
    EntityFacts,
    Finding,
    Limits,
    RunFacts,
    SalesWindow,
    evaluate_entity,
    reconciliation_mismatch,
    scheduler_down,
)
from sync.config import SYNCED_ENTITIES, Settings
from sync.days import zone_named
from sync.health.snapshot import RunLogSnapshot, RunRow
from sync.runs import COMPLETED, Rule, RunStatus
from sync.storage.status_report import thresholds_for


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


def _run(row: RunRow) -> RunFacts:
    return RunFacts(
        log_id=row.id,
        status=row.status,
        action=row.action,
        started_at=row.started_at,
        duration_ms=row.duration_ms,
        records_upserted=row.records_upserted,
        version_from=row.version_from,
        error_type=row.error_type,
        error_details=row.error_details,
        peak_rss_bytes=row.peak_rss_bytes,
        stores_at_once=row.stores_at_once,
    )


def _sales_window(snap: RunLogSnapshot, settings: Settings) -> SalesWindow | None:
    hours = snap.sales_hours
    if hours is None:
        return None
    return SalesWindow(
        sales_in_window=hours.counts[0],
        weeks_with_sales=sum(1 for n in hours.counts[1:] if n),
        weeks=len(hours.counts) - 1,
        in_trading_hours=in_trading_hours(hours.end, settings.alert_trading_hours),
    )


def entity_facts(
    snap: RunLogSnapshot, settings: Settings, entities: tuple[str, ...] = SYNCED_ENTITIES
) -> list[EntityFacts]:
    """The rules' facts of every entity."""
    out = []
    for entity in entities:
        rows = snap.runs_of(entity)
        day = [g for g in snap.day if g.entity_type == entity]
        state = snap.state(entity)
        out.append(
            EntityFacts(
                entity=entity,
                runs=tuple(_run(r) for r in rows if r.status != RunStatus.RUNNING),
                last_success=state.last_sync_time if state else None,
                running=any(r.status == RunStatus.RUNNING for r in rows),
                baseline_ms=snap.baselines.get(entity, ()),
                finished_24h=sum(g.runs for g in day if g.status in COMPLETED),
                failed_24h=sum(g.runs for g in day if g.status == RunStatus.FAILED),
                sales_window=_sales_window(snap, settings) if entity == "sales" else None,
            )
        )
    return out


def heartbeats(snap: RunLogSnapshot) -> list[Beat]:
    """Every scheduler_heartbeat row."""
    return [Beat(b.last_beat_at, b.state) for b in snap.beats]


def latest_reconciliation(snap: RunLogSnapshot) -> list[CheckFacts]:
    """The checks of the most recent reconciliation run (empty if there was none)."""
    return [
        CheckFacts(
            entity=c.entity_type,
            scope=c.scope,
            measure=c.measure,
            difference=str(c.difference),
            status=c.status,
            checked_at=c.checked_at,
            repair=c.details,
        )
        for c in snap.reconciliation
    ]


def findings(snap: RunLogSnapshot, settings: Settings) -> list[Finding]:
    """Every enabled rule that holds at the snapshot's read."""
    now, enabled = snap.read_at, settings.alert_enabled
    found: list[Finding] = []
    for facts in entity_facts(snap, settings):
        found += evaluate_entity(facts, limits_for(settings, facts.entity), now, enabled)
    checks = latest_reconciliation(snap)
    for entity in sorted({c.entity for c in checks}):
        mismatch = reconciliation_mismatch(entity, checks)
        if mismatch is not None and enabled(mismatch.rule.value, entity):
            found.append(mismatch)
    if enabled(Rule.SCHEDULER_DOWN, "scheduler"):
        zone = zone_named(snap.zone) or UTC
        down = scheduler_down(heartbeats(snap), now, settings.heartbeat_seconds, zone)
        if down is not None:
            found.append(down)
    return found
