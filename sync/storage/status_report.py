"""The status report both stores give: per entity health, the verdict, scheduler liveness.

Pure: built from `sync_state` rows and the latest `scheduler_heartbeat` row, which
sync.storage.sql.status and sync.storage.rest.status read. The verdict, score, counts and
data-ready flag come from the health model: over SQL from the full summary
(sync.storage.sql.health_facts), over REST from what these rows alone tell.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sync.config import Settings
from sync.entities import STATE_ENTITIES
from sync.health import (
    Colour,
    EntityReading,
    Freshness,
    HealthFacts,
    HealthSummary,
    Overall,
    SchedulerReading,
    Thresholds,
    build_summary,
    scheduler_liveness,
)


@dataclass(frozen=True)
class EntityStatus:
    """One entity's line of the status report."""

    entity: str
    colour: Colour
    reason: str
    last_success: datetime | None
    status: str
    error_type: str | None
    error_message: str | None
    cursor_version: int
    records_total: int
    freshness: Freshness = Freshness.OK


@dataclass(frozen=True)
class StatusReport:
    """What `python -m sync status` prints: every entity, the verdict, the scheduler."""

    overall: Overall
    entities: list[EntityStatus]
    scheduler: str
    next_run_at: datetime | None
    checked_at: datetime
    health: HealthSummary

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict (datetimes as ISO strings)."""

        def iso(value: datetime | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "overall": self.overall.value,
            "overall_text": self.health.overall_text,
            "health_score": self.health.health_score,
            "data_ready": self.health.data_ready,
            "data_ready_reasons": [r.as_json() for r in self.health.reasons],
            "status_counts": self.health.counts.as_json(),
            "entities": [
                {
                    "entity": e.entity,
                    "colour": e.colour.value,
                    "reason": e.reason,
                    "freshness_severity": e.freshness.value,
                    "last_success": iso(e.last_success),
                    "status": e.status,
                    "error_type": e.error_type,
                    "error_message": e.error_message,
                    "cursor_version": e.cursor_version,
                    "records_total": e.records_total,
                }
                for e in self.entities
            ],
            "scheduler": self.scheduler,
            "next_run_at": iso(self.next_run_at),
            "checked_at": iso(self.checked_at),
        }


def thresholds_for(settings: Settings, entity: str) -> Thresholds:
    """The configured health thresholds of `entity`."""
    green, yellow = settings.health_hours(entity)
    return Thresholds(green=timedelta(hours=green), yellow=timedelta(hours=yellow))


def facts_from_rows(
    states: Mapping[str, Mapping[str, Any]], beat: Mapping[str, Any] | None, now: datetime
) -> HealthFacts:
    """The health model's facts from sync_state rows and a heartbeat row alone."""
    readings = []
    for name in STATE_ENTITIES:
        row = states.get(name) or {}
        readings.append(
            EntityReading(
                entity=name,
                status=row.get("status") or "never",
                last_success=row.get("last_sync_time"),
                error_type=row.get("error_type"),
                error_message=row.get("error_message"),
                records_total=int(row.get("records_total") or 0),
                last_run_at=row.get("last_attempt_at"),
            )
        )
    activity = (beat.get("activity") or {}) if beat else {}
    scheduler = SchedulerReading(
        last_beat=beat["last_beat_at"] if beat else None,
        state=activity.get("state"),
        next_run_at=beat.get("next_run_at") if beat else None,
        jobs=tuple(activity.get("jobs") or ()),
    )
    return HealthFacts(entities=tuple(readings), scheduler=scheduler, fetched_at=now)


def build_status_report(
    states: Mapping[str, Mapping[str, Any]],
    beat: Mapping[str, Any] | None,
    now: datetime,
    settings: Settings,
    health: HealthSummary | None = None,
) -> StatusReport:
    """The report from sync_state rows (by entity) and the latest heartbeat row.

    `health` is the full summary when the caller could read it; else one is built from
    these rows (no failure streaks or reconciliation: the REST backend).
    """
    health = health or build_summary(facts_from_rows(states, beat, now), now, settings)
    entities = []
    for name in STATE_ENTITIES:
        row = states.get(name) or {}
        judged = health.entity(name)
        entities.append(
            EntityStatus(
                entity=name,
                colour=judged.colour if judged else Colour.RED,
                reason=judged.colour_reason if judged else "never synced",
                last_success=row.get("last_sync_time"),
                status=row.get("status") or "never",
                error_type=row.get("error_type"),
                error_message=row.get("error_message"),
                cursor_version=int(row.get("cursor_version") or 0),
                records_total=int(row.get("records_total") or 0),
                freshness=judged.freshness if judged else Freshness.CRITICAL,
            )
        )
    last_beat = beat["last_beat_at"] if beat else None
    return StatusReport(
        overall=health.overall_status,
        entities=entities,
        scheduler=scheduler_liveness(
            last_beat,
            now,
            timedelta(seconds=3 * settings.heartbeat_seconds),
            stopped=bool(beat and (beat.get("activity") or {}).get("state") == "stopped"),
        ),
        next_run_at=beat.get("next_run_at") if beat else None,
        checked_at=now,
        health=health,
    )
