"""The health model's facts and summary as pure functions of a RunLogSnapshot."""

from __future__ import annotations

from collections.abc import Sequence

from sync.health.facts import (
    HEALTH_ENTITIES,
    EntityReading,
    HealthFacts,
    ReconciliationReading,
    SchedulerReading,
)
from sync.health.snapshot import Check, RunLogSnapshot
from sync.health.summary import HealthSummary, Settings, build_summary
from sync.runs import FINISHED, NEVER, RunStatus

WORST_CHECK = {"mismatch": 2, "error": 1, "matched": 0}


def reconciliation_reading(checks: Sequence[Check]) -> ReconciliationReading | None:
    """One reconciliation run's verdict: its worst check and what differed."""
    if not checks:
        return None
    worst = max((c.status for c in checks), key=lambda s: WORST_CHECK.get(s, 1))
    bad = [c for c in checks if c.status == "mismatch"]
    return ReconciliationReading(
        run_id=checks[0].run_id,
        checked_at=max(c.checked_at for c in checks),
        status=worst,
        mismatches=tuple(f"{c.scope} {c.measure} differs by {c.difference}" for c in bad),
        repair=next((c.details for c in bad if c.details), None),
    )


def _reading(snap: RunLogSnapshot, name: str) -> EntityReading:
    state = snap.state(name)
    day = [g for g in snap.day if g.entity_type == name]
    runs_24h: dict[str, int] = {}
    failures: dict[str | None, int] = {}
    ms = timed = 0
    for g in day:
        runs_24h[g.status] = runs_24h.get(g.status, 0) + g.runs
        if g.status != RunStatus.RUNNING and g.timed_runs:
            ms += g.duration_ms
            timed += g.timed_runs
        if g.status == RunStatus.FAILED:
            failures[g.error_type] = failures.get(g.error_type, 0) + g.runs
    latest = next((r for r in snap.runs_of(name) if r.status != RunStatus.RUNNING), None)
    streak = snap.streaks.get(name)
    return EntityReading(
        entity=name,
        status=state.status if state else NEVER,
        last_success=state.last_sync_time if state else None,
        error_type=state.error_type if state else None,
        error_message=state.error_message if state else None,
        records_total=state.records_total if state else 0,
        runs_24h=runs_24h,
        failures_24h=failures,
        avg_duration_ms_24h=ms / timed if timed else None,
        records_today=sum(g.records_today for g in day),
        consecutive_failures=streak.failed if streak else 0,
        failing_since=streak.since if streak else None,
        last_run_at=latest.started_at if latest else None,
        last_run_status=latest.status if latest else None,
        last_run_duration_ms=latest.duration_ms if latest else None,
        last_run_records=latest.records_upserted if latest else None,
        peak_rss_bytes=latest.peak_rss_bytes if latest else None,
        api_ms_mean=latest.api_ms_mean if latest else None,
        api_ms_p95=latest.api_ms_p95 if latest else None,
        api_retries=latest.api_retries if latest else None,
    )


def health_facts(snap: RunLogSnapshot) -> HealthFacts:
    """Everything the summary is built from, taken from one snapshot."""
    entities = tuple(_reading(snap, name) for name in HEALTH_ENTITIES)
    beat = snap.beat
    scheduler = (
        SchedulerReading(
            last_beat=beat.last_beat_at,
            state=beat.state,
            next_run_at=beat.next_run_at,
            jobs=tuple(beat.activity.get("jobs") or ()),
        )
        if beat
        else SchedulerReading()
    )
    failures: dict[str | None, int] = {}
    finished = 0
    for reading in entities:
        finished += sum(n for s, n in reading.runs_24h.items() if s in FINISHED)
        for kind, n in reading.failures_24h.items():
            failures[kind] = failures.get(kind, 0) + n
    return HealthFacts(
        entities=entities,
        scheduler=scheduler,
        fetched_at=snap.read_at,
        latest_reconciliation=reconciliation_reading(snap.reconciliation),
        sales_reconciliation=reconciliation_reading(snap.sales_reconciliation),
        open_incidents={str(k): int(v) for k, v in snap.open_incidents.items()},
        incident_seconds_30d=snap.incident_seconds_30d,
        resolved_30d=snap.resolved_30d,
        failures_by_class_24h=failures,
        finished_24h=finished,
        zone=snap.zone,
    )


def summarize(snap: RunLogSnapshot, settings: Settings) -> HealthSummary:
    """The health summary as of the snapshot's read (GET /api/sync-health/summary)."""
    return build_summary(health_facts(snap), snap.read_at, settings)
