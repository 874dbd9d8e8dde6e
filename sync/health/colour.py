"""The colour of one entity (the SPEC rule): green, yellow or red by its last success."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sync.health.ages import format_age
from sync.runs import RunStatus


class Colour(StrEnum):
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"


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
