"""Status reads over SQL: the sync_state rows and latest heartbeat behind the status report."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Engine, select

from sync.config import Settings
from sync.storage.schema import scheduler_heartbeat, sync_state
from sync.storage.sql.db import database_errors
from sync.storage.status_report import StatusReport, build_status_report


def status_report(engine: Engine, now: datetime, settings: Settings) -> StatusReport:
    """Per entity health plus the overall verdict and scheduler liveness."""
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
    return build_status_report(rows, dict(beat._mapping) if beat else None, now, settings)
