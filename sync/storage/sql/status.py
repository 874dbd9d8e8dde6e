"""Status over SQL: the scheduler's heartbeat row (the reads are sync.storage.sql.reads)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, insert, update

from sync.storage.schema import scheduler_heartbeat
from sync.storage.sql.db import database_errors


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
