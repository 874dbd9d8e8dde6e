"""Is a scheduler alive, and when does it next run each entity (from its heartbeat row)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sync.days import clock_label
from sync.health.ages import format_age

#: How a moment reads in a sentence, before its zone: '2026-12-05 14:05'.
WHEN = "%Y-%m-%d %H:%M"
#: Entities synced as part of another's run.
SYNCED_WITH = {"sale_line_items": "sales"}


def scheduler_alive(
    last_beat: datetime | None, state: str | None, now: datetime, heartbeat_seconds: float
) -> bool:
    """Alive when the last beat is within 3 heartbeats and the scheduler did not stop."""
    if last_beat is None or state == "stopped":
        return False
    return now - last_beat <= timedelta(seconds=3 * heartbeat_seconds)


def scheduler_liveness(
    last_beat: datetime | None,
    now: datetime,
    stale_after: timedelta,
    stopped: bool = False,
    zone: tzinfo = UTC,
) -> str:
    """'alive', 'stopped at <time>', 'stale since <time>' or 'never seen' (times in `zone`)."""
    if last_beat is None:
        return "never seen"
    when = f"{clock_label(last_beat, zone, WHEN)} ({format_age(now - last_beat)} ago)"
    if stopped:
        return f"stopped at {when}"
    if now - last_beat <= stale_after:
        return "alive"
    return f"stale since {when}"


def next_run_for(entity: str, jobs: Sequence[Mapping[str, Any]]) -> datetime | None:
    """The earliest planned run that syncs `entity`, from the heartbeat's job list.

    Job names read 'incremental: all', 'incremental: sales' or 'nightly full: a, b'.
    """
    name = SYNCED_WITH.get(entity, entity)
    found: list[datetime] = []
    for job in jobs:
        _, sep, label = str(job.get("name") or "").partition(": ")
        members = {m.strip() for m in label.split(",")} if sep else set()
        if not (members & {name, "all"}) or not job.get("next_run"):
            continue
        try:
            found.append(datetime.fromisoformat(str(job["next_run"])))
        except ValueError:
            continue
    return min(found, default=None)
