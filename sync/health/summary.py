"""The health summary: every rule of the model applied to one set of facts (pure).

`HealthSummary.as_json()` is the body of GET /api/sync-health/summary; the dashboard,
`status --json` and the API all build it with `build_summary`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from sync.days import zone_named
from sync.errors import Severity
from sync.health.colour import Colour, Thresholds, entity_health
from sync.health.counts import StatusCounts, status_counts
from sync.health.facts import HEALTH_ENTITIES, EntityReading, HealthFacts
from sync.health.freshness import Freshness, freshness_severity
from sync.health.overall import Overall, overall_verdict
from sync.health.readiness import BlockReason, data_ready
from sync.health.scheduler import next_run_for, scheduler_alive, scheduler_liveness
from sync.health.score import ScoreInputs, health_score
from sync.health.stats import error_rates, mttr, success_rate
from sync.runs import RunStatus

SEVERITIES: tuple[str, ...] = tuple(Severity)


class Settings(Protocol):
    """What the model needs of sync.config.Settings (health ranks below config)."""

    @property
    def heartbeat_seconds(self) -> float: ...

    def freshness_sla_hours_for(self, entity: str) -> float: ...

    def health_hours(self, entity: str) -> tuple[float, float]: ...


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def sla_for(settings: Settings, entity: str) -> timedelta:
    """The freshness SLA of `entity` (FRESHNESS_SLA_HOURS_<ENTITY> overrides)."""
    return timedelta(hours=settings.freshness_sla_hours_for(entity))


def thresholds_of(settings: Settings, entity: str) -> Thresholds:
    """The colour thresholds of `entity` (HEALTH_*_HOURS_<ENTITY> overrides)."""
    green, yellow = settings.health_hours(entity)
    return Thresholds(green=timedelta(hours=green), yellow=timedelta(hours=yellow))


@dataclass(frozen=True)
class EntitySummary:
    """One entity as the summary shows it."""

    reading: EntityReading
    colour: Colour
    colour_reason: str
    freshness: Freshness
    sla: timedelta
    next_scheduled_run: datetime | None
    now: datetime

    def as_json(self) -> dict[str, Any]:
        """The entity's object in the summary (also GET /entities/{entity})."""
        r = self.reading
        return {
            "colour": self.colour.value,
            "colour_reason": self.colour_reason,
            "freshness_severity": self.freshness.value,
            "freshness_sla_hours": self.sla.total_seconds() / 3600,
            "last_successful_sync": _iso(r.last_success),
            "age_seconds": (
                round((self.now - r.last_success).total_seconds()) if r.last_success else None
            ),
            "status": r.status,
            "error_type": r.error_type,
            "success_rate_24h": success_rate(r.runs_24h),
            "consecutive_failures": r.consecutive_failures,
            "average_duration_s": (
                r.avg_duration_ms_24h / 1000 if r.avg_duration_ms_24h is not None else None
            ),
            "records_processed_today": r.records_today,
            "records_total": r.records_total,
            "last_run_status": r.last_run_status,
            "last_run_duration_s": (
                r.last_run_duration_ms / 1000 if r.last_run_duration_ms is not None else None
            ),
            "last_run_records": r.last_run_records,
            "peak_memory_bytes": r.peak_rss_bytes,
            "api_ms_mean": r.api_ms_mean,
            "api_ms_p95": r.api_ms_p95,
            "api_retries": r.api_retries,
            "next_scheduled_run": _iso(self.next_scheduled_run),
        }


@dataclass(frozen=True)
class HealthSummary:
    """The verdict, score, readiness and per-entity health at `last_updated`."""

    overall_status: Overall
    overall_text: str
    health_score: int
    data_ready: bool
    reasons: tuple[BlockReason, ...]
    counts: StatusCounts
    entities: tuple[EntitySummary, ...]
    scheduler: dict[str, Any]
    active_alerts: dict[str, Any]
    performance: dict[str, Any]
    reconciliation: dict[str, Any] | None
    last_updated: datetime

    def entity(self, name: str) -> EntitySummary | None:
        """One entity's summary, None for a name the model does not know."""
        return next((e for e in self.entities if e.reading.entity == name), None)

    def entity_detail(self, name: str) -> dict[str, Any] | None:
        """GET /entities/{entity}: the entity's object plus its name; None when unknown."""
        found = self.entity(name)
        return None if found is None else {"entity": name, **found.as_json()}

    def dashboard_block(self) -> dict[str, Any]:
        """GET /dashboard-block: {"blocked": bool, "reasons": [...]}."""
        return {"blocked": not self.data_ready, "reasons": [r.as_json() for r in self.reasons]}

    def as_json(self) -> dict[str, Any]:
        """The body of GET /api/sync-health/summary."""
        return {
            "overall_status": self.overall_status.value,
            "overall_text": self.overall_text,
            "health_score": self.health_score,
            "data_ready": self.data_ready,
            "data_ready_reasons": [r.as_json() for r in self.reasons],
            "status_counts": self.counts.as_json(),
            "entities": {e.reading.entity: e.as_json() for e in self.entities},
            "scheduler": self.scheduler,
            "active_alerts": self.active_alerts,
            "performance_summary": self.performance,
            "reconciliation": self.reconciliation,
            "last_updated": self.last_updated.isoformat(),
        }


def _performance(facts: HealthFacts) -> dict[str, Any]:
    runs: dict[str, int] = {}
    total_ms = weight = 0.0
    for r in facts.entities:
        for status, n in r.runs_24h.items():
            runs[status] = runs.get(status, 0) + n
        finished = sum(n for s, n in r.runs_24h.items() if s != RunStatus.RUNNING)
        if r.avg_duration_ms_24h is not None and finished:
            total_ms += r.avg_duration_ms_24h * finished
            weight += finished
    peaks = [r.peak_rss_bytes for r in facts.entities if r.peak_rss_bytes is not None]
    p95s = [r.api_ms_p95 for r in facts.entities if r.api_ms_p95 is not None]
    repair = mttr(facts.incident_seconds_30d, facts.resolved_30d)
    return {
        "runs_24h": sum(n for s, n in runs.items() if s != "running"),
        "success_rate_24h": success_rate(runs),
        "average_duration_s": total_ms / weight / 1000 if weight else None,
        "records_processed_today": sum(r.records_today for r in facts.entities),
        "peak_memory_bytes": max(peaks, default=None),
        "api_ms_p95": max(p95s, default=None),
        "mttr_seconds": repair.total_seconds() if repair is not None else None,
        "incidents_resolved_30d": facts.resolved_30d,
        "error_rate_by_class": error_rates(facts.failures_by_class_24h, facts.finished_24h),
    }


def build_summary(facts: HealthFacts, now: datetime, settings: Settings) -> HealthSummary:
    """Apply every rule of the model to `facts` as of `now`."""
    beat = facts.scheduler
    alive = scheduler_alive(beat.last_beat, beat.state, now, settings.heartbeat_seconds)
    entities = []
    for name in HEALTH_ENTITIES:
        r = facts.entity(name)
        health = entity_health(r.last_success, r.status, now, thresholds_of(settings, name))
        sla = sla_for(settings, name)
        entities.append(
            EntitySummary(
                reading=r,
                colour=health.colour,
                colour_reason=health.reason,
                freshness=freshness_severity(r.last_success, now, sla),
                sla=sla,
                next_scheduled_run=next_run_for(name, beat.jobs) if alive else None,
                now=now,
            )
        )
    readings = {e.reading.entity: e.reading for e in entities}
    ready = data_ready(readings, facts.sales_reconciliation, now, lambda n: sla_for(settings, n))
    colours = [e.colour for e in entities]
    tiers = [e.freshness for e in entities]
    verdict = overall_verdict(colours, tiers, scheduler_alive=alive, data_ready=ready.ready)
    latest = facts.latest_reconciliation
    score = health_score(
        ScoreInputs(
            scheduler_alive=alive,
            freshness=tiers,
            failure_streaks=[e.reading.consecutive_failures for e in entities],
            reconciliation=latest.status if latest else None,
            anything_synced=any(e.reading.last_success for e in entities),
        )
    )
    open_alerts = {s: int(facts.open_incidents.get(s, 0)) for s in SEVERITIES}
    return HealthSummary(
        overall_status=verdict.status,
        overall_text=verdict.text,
        health_score=score,
        data_ready=ready.ready,
        reasons=ready.reasons,
        counts=status_counts(colours),
        entities=tuple(entities),
        scheduler={
            "alive": alive,
            "state": beat.state or ("never" if beat.last_beat is None else "idle"),
            "text": scheduler_liveness(
                beat.last_beat,
                now,
                timedelta(seconds=3 * settings.heartbeat_seconds),
                stopped=beat.state == "stopped",
                zone=zone_named(facts.zone) or UTC,
            ),
            "last_heartbeat": _iso(beat.last_beat),
            "next_run_at": _iso(beat.next_run_at) if alive else None,
        },
        active_alerts={"total": sum(open_alerts.values()), "by_severity": open_alerts},
        performance=_performance(facts),
        reconciliation=(
            {
                "run_id": latest.run_id,
                "checked_at": latest.checked_at.isoformat(),
                "status": latest.status,
            }
            if latest
            else None
        ),
        last_updated=facts.fetched_at,
    )
