"""Read-only queries over the sync tables (status today; the dashboard adds more)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, select

from sync.config import Settings
from sync.db import database_errors
from sync.entities import STATE_ENTITIES
from sync.health import Colour, Overall, Thresholds, entity_health, format_age, overall
from sync.schema import scheduler_heartbeat, sync_state


@dataclass(frozen=True)
class EntityStatus:
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


def scheduler_liveness(
    last_beat: datetime | None, now: datetime, stale_after: timedelta, stopped: bool = False
) -> str:
    """'alive', 'stopped at <time>', 'stale since <time>' or 'never seen'."""
    if last_beat is None:
        return "never seen"
    if stopped:
        return f"stopped at {last_beat:%Y-%m-%d %H:%M} UTC ({format_age(now - last_beat)} ago)"
    if now - last_beat <= stale_after:
        return "alive"
    return f"stale since {last_beat:%Y-%m-%d %H:%M} UTC ({format_age(now - last_beat)} ago)"


def thresholds_for(settings: Settings, entity: str) -> Thresholds:
    """The configured health thresholds of `entity`."""
    green, yellow = settings.health_hours(entity)
    return Thresholds(green=timedelta(hours=green), yellow=timedelta(hours=yellow))


def status_report(engine: Engine, now: datetime, settings: Settings) -> StatusReport:
    """Per entity health plus the overall verdict and scheduler liveness."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = {r.entity_type: r for r in conn.execute(select(sync_state))}
        beat = conn.execute(
            select(
                scheduler_heartbeat.c.last_beat_at,
                scheduler_heartbeat.c.activity,
                scheduler_heartbeat.c.next_run_at,
            )
            .order_by(scheduler_heartbeat.c.last_beat_at.desc())
            .limit(1)
        ).first()
    entities = []
    for name in STATE_ENTITIES:
        row = rows.get(name)
        last_success = row.last_sync_time if row else None
        status = row.status if row else "never"
        health = entity_health(last_success, status, now, thresholds_for(settings, name))
        entities.append(
            EntityStatus(
                entity=name,
                colour=health.colour,
                reason=health.reason,
                last_success=last_success,
                status=status,
                error_type=row.error_type if row else None,
                error_message=row.error_message if row else None,
                cursor_version=int(row.cursor_version) if row else 0,
                records_total=int(row.records_total) if row else 0,
            )
        )
    return StatusReport(
        overall=overall(e.colour for e in entities),
        entities=entities,
        scheduler=scheduler_liveness(
            beat.last_beat_at if beat else None,
            now,
            timedelta(seconds=3 * settings.heartbeat_seconds),
            stopped=bool(beat and (beat.activity or {}).get("state") == "stopped"),
        ),
        next_run_at=beat.next_run_at if beat else None,
        checked_at=now,
    )
