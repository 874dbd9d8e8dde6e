"""Status over SQL: the scheduler's heartbeat row, and the reads behind the status report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update

from sync.config import Settings
from sync.storage.schema import scheduler_heartbeat, sync_state
from sync.storage.sql.db import database_errors
from sync.storage.sql.health_facts import summarize
from sync.storage.status_report import StatusReport, build_status_report


def write_heartbeat(engine: Engine, instance_id: str, values: dict[str, Any]) -> None:
    """Insert or refresh the scheduler_heartbeat row of `instance_id`."""
    with database_errors(str(engine.url)), engine.begin() as conn:
        updated = conn.execute(
            update(scheduler_heartbeat)
            .where(scheduler_heartbeat.c.instance_id == instance_id)
            .values(**values)
        ).rowcount
        if not updated:
            conn.execute(insert(scheduler_heartbeat).values(instance_id=instance_id, **values))


def status_report(engine: Engine, now: datetime, settings: Settings) -> StatusReport:
    """Per entity health, the health model's verdict and score, and scheduler liveness."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = {r.entity_type: dict(r._mapping) for r in conn.execute(select(sync_state))}
        beat = conn.execute(
            select(
                scheduler_heartbeat.c.last_beat_at,
                scheduler_heartbeat.c.activity,
                scheduler_heartbeat.c.next_run_at,
            )
            .order_by(scheduler_heartbeat.c.last_beat_at.desc())
            .limit(1)
        ).first()
    health = summarize(engine, now, settings)
    return build_status_report(
        rows, dict(beat._mapping) if beat else None, now, settings, health=health
    )
