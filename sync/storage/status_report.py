"""The status report (`python -m sync status`): a pure function of one RunLogSnapshot.

Per entity health, the health model's verdict, score, counts and data-ready flag, and the
scheduler's liveness; the same over SQL and REST, since both read the same snapshot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sync.config import Settings
from sync.days import zone_named
from sync.entities import STATE_ENTITIES
from sync.health import (
    Colour,
    Freshness,
    HealthSummary,
    Overall,
    Thresholds,
    scheduler_liveness,
)
from sync.health.reading import summarize
from sync.health.snapshot import RunLogSnapshot, StateRow

if TYPE_CHECKING:
    from sync.storage.protocols import StatusBoard


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


def build_status_report(snap: RunLogSnapshot, settings: Settings) -> StatusReport:
    """The report from one snapshot: every entity's state row judged by the health model."""
    now = snap.read_at
    health = summarize(snap, settings)
    entities = []
    for name in STATE_ENTITIES:
        row = snap.state(name) or StateRow(name)
        judged = health.entity(name)
        entities.append(
            EntityStatus(
                entity=name,
                colour=judged.colour if judged else Colour.RED,
                reason=judged.colour_reason if judged else "never synced",
                last_success=row.last_sync_time,
                status=row.status,
                error_type=row.error_type,
                error_message=row.error_message,
                cursor_version=row.cursor_version,
                records_total=row.records_total,
                freshness=judged.freshness if judged else Freshness.CRITICAL,
            )
        )
    beat = snap.beat
    return StatusReport(
        overall=health.overall_status,
        entities=entities,
        scheduler=scheduler_liveness(
            beat.last_beat_at if beat else None,
            now,
            timedelta(seconds=3 * settings.heartbeat_seconds),
            stopped=bool(beat and beat.state == "stopped"),
            zone=zone_named(snap.zone) or UTC,
        ),
        next_run_at=beat.next_run_at if beat else None,
        checked_at=now,
        health=health,
    )


def status_report(board: StatusBoard, now: datetime, settings: Settings) -> StatusReport:
    """What `python -m sync status` prints, from one read of `board` (SQL or REST)."""
    return build_status_report(board.read_snapshot(now, settings.store_time_zone), settings)
