"""The status report both stores give: per entity health, the verdict, scheduler liveness.

Pure: built from `sync_state` rows and the latest `scheduler_heartbeat` row, which
sync.storage.sql.status and sync.storage.rest.status read.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sync.config import Settings
from sync.entities import STATE_ENTITIES
from sync.health import (
    Colour,
    Overall,
    Thresholds,
    entity_health,
    overall,
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


@dataclass(frozen=True)
class StatusReport:
    """What `python -m sync status` prints: every entity, the verdict, the scheduler."""

    overall: Overall
    entities: list[EntityStatus]
    scheduler: str
    next_run_at: datetime | None
    checked_at: datetime

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict (datetimes as ISO strings)."""

        def convert(value: Any) -> Any:
            if isinstance(value, datetime):
                return value.isoformat()
            if isinstance(value, list):
                return [convert(v) for v in value]
            if isinstance(value, dict):
                return {k: convert(v) for k, v in value.items()}
            return value

        return convert(asdict(self))


def thresholds_for(settings: Settings, entity: str) -> Thresholds:
    """The configured health thresholds of `entity`."""
    green, yellow = settings.health_hours(entity)
    return Thresholds(green=timedelta(hours=green), yellow=timedelta(hours=yellow))


def build_status_report(
    states: Mapping[str, Mapping[str, Any]],
    beat: Mapping[str, Any] | None,
    now: datetime,
    settings: Settings,
) -> StatusReport:
    """The report from sync_state rows (by entity) and the latest heartbeat row."""
    entities = []
    for name in STATE_ENTITIES:
        row = states.get(name) or {}
        last_success = row.get("last_sync_time")
        status = row.get("status") or "never"
        health = entity_health(last_success, status, now, thresholds_for(settings, name))
        entities.append(
            EntityStatus(
                entity=name,
                colour=health.colour,
                reason=health.reason,
                last_success=last_success,
                status=status,
                error_type=row.get("error_type"),
                error_message=row.get("error_message"),
                cursor_version=int(row.get("cursor_version") or 0),
                records_total=int(row.get("records_total") or 0),
            )
        )
    last_beat = beat["last_beat_at"] if beat else None
    return StatusReport(
        overall=overall(e.colour for e in entities),
        entities=entities,
        scheduler=scheduler_liveness(
            last_beat,
            now,
            timedelta(seconds=3 * settings.heartbeat_seconds),
            stopped=bool(beat and (beat.get("activity") or {}).get("state") == "stopped"),
        ),
        next_run_at=beat.get("next_run_at") if beat else None,
        checked_at=now,
    )
