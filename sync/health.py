"""Pure health rules: the colour of one entity and the overall verdict. No I/O."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sync.errors import ErrorKind, SyncError
from sync.runs import FINISHED, SUCCEEDED, RunStatus


class Colour(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


class Overall(StrEnum):
    HEALTHY = "HEALTHY"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


@dataclass(frozen=True)
class Thresholds:
    """Green while the last success is younger than `green`, yellow until `yellow`."""

    green: timedelta = timedelta(hours=2)
    yellow: timedelta = timedelta(hours=12)


@dataclass(frozen=True)
class EntityHealth:
    colour: Colour
    reason: str


def entity_health(
    last_success: datetime | None,
    last_status: str | None,
    now: datetime,
    thresholds: Thresholds | None = None,
) -> EntityHealth:
    """Colour of one entity per the SPEC: age of the last success, red on failure."""
    thresholds = thresholds or Thresholds()
    if last_status == RunStatus.FAILED:
        return EntityHealth(Colour.RED, "the latest run failed")
    if last_success is None:
        return EntityHealth(Colour.RED, "never synced")
    age = now - last_success
    if age < thresholds.green:
        return EntityHealth(Colour.GREEN, f"synced {format_age(age)} ago")
    if age <= thresholds.yellow:
        return EntityHealth(Colour.YELLOW, f"last success {format_age(age)} ago")
    return EntityHealth(Colour.RED, f"last success {format_age(age)} ago")


def overall(colours: Iterable[Colour]) -> Overall:
    """CRITICAL if any entity is red, WARNING if any is yellow, else HEALTHY."""
    seen = set(colours)
    if Colour.RED in seen or not seen:
        return Overall.CRITICAL
    if Colour.YELLOW in seen:
        return Overall.WARNING
    return Overall.HEALTHY


def format_age(age: timedelta) -> str:
    """'45 s', '3 min', '2 h 5 min', '3 d 4 h'."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


# -- Run statistics for the dashboard ----------------------------------------------------


def success_rate(counts: Mapping[str, int]) -> float | None:
    """Share of finished runs that succeeded ('partial' counts: the run completed).

    `counts` maps a sync_log status to its number of rows; None when nothing finished.
    """
    finished = sum(n for status, n in counts.items() if status in FINISHED)
    if not finished:
        return None
    return sum(n for status, n in counts.items() if status in SUCCEEDED) / finished


def consecutive_failures(statuses_newest_first: Iterable[str]) -> int:
    """How many of the latest finished runs failed in a row (running rows are skipped)."""
    streak = 0
    for status in statuses_newest_first:
        if status == RunStatus.RUNNING:
            continue
        if status != RunStatus.FAILED:
            break
        streak += 1
    return streak


def scheduler_alive(
    last_beat: datetime | None, state: str | None, now: datetime, heartbeat_seconds: float
) -> bool:
    """Alive when the last beat is within 3 heartbeats and the scheduler did not stop."""
    if last_beat is None or state == "stopped":
        return False
    return now - last_beat <= timedelta(seconds=3 * heartbeat_seconds)


def split_error(error_type: str | None, error_details: str | None) -> tuple[str, str | None]:
    """(message, recovery) from a stored 'message — recovery' text and its error class."""
    text = (error_details or "").strip()
    message, sep, recovery = text.partition(" — ")
    if sep and recovery.strip():
        return message.strip(), recovery.strip()
    try:
        return text, SyncError(ErrorKind(error_type or ""), "x").recovery
    except ValueError:
        return text, None
