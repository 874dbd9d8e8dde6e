"""Status over REST: the scheduler's heartbeat row, and the reads behind the status report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from postgrest.types import ReturnMethod

from sync.config import Settings
from sync.storage.rest.db import RestBase, parse_time
from sync.storage.status_report import StatusReport, build_status_report


def write_heartbeat(rest: RestBase, instance_id: str, values: dict[str, Any]) -> None:
    """Insert or refresh the scheduler_heartbeat row of `instance_id`."""
    rest.execute(
        rest.table("scheduler_heartbeat").upsert(
            {"instance_id": instance_id, **values},
            on_conflict="instance_id",
            returning=ReturnMethod.minimal,
        )
    )


def status_report(rest: RestBase, now: datetime, settings: Settings) -> StatusReport:
    """Per entity health plus the overall verdict and scheduler liveness."""
    states = {}
    for row in rest.execute(rest.table("sync_state").select("*")).data:
        row["last_sync_time"] = parse_time(row.get("last_sync_time"))
        row["last_attempt_at"] = parse_time(row.get("last_attempt_at"))
        states[row["entity_type"]] = row
    beats = rest.execute(
        rest.table("scheduler_heartbeat")
        .select("last_beat_at,activity,next_run_at")
        .order("last_beat_at", desc=True)
        .limit(1)
    ).data
    beat = None
    if beats:
        beat = {
            "last_beat_at": parse_time(beats[0]["last_beat_at"]),
            "activity": beats[0]["activity"],
            "next_run_at": parse_time(beats[0]["next_run_at"]),
        }
    return build_status_report(states, beat, now, settings)
