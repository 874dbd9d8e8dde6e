"""Freshness against an SLA (seed 004): ok, warning (1-2x), high (2-4x), critical (over 4x)."""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum


class Freshness(StrEnum):
    OK = "ok"
    WARNING = "warning"
    HIGH = "high"
    CRITICAL = "critical"


#: The multiple of the SLA an age must exceed to reach each tier.
TIER_FACTORS: dict[Freshness, float] = {
    Freshness.WARNING: 1.0,
    Freshness.HIGH: 2.0,
    Freshness.CRITICAL: 4.0,
}
RANK = {Freshness.OK: 0, Freshness.WARNING: 1, Freshness.HIGH: 2, Freshness.CRITICAL: 3}


def freshness_severity(last_success: datetime | None, now: datetime, sla: timedelta) -> Freshness:
    """The tier of an entity whose last success was at `last_success`.

    An age equal to a boundary stays in the lower tier (exactly 2x the SLA is a warning).
    Never synced is critical: there is no data to be fresh.
    """
    if last_success is None:
        return Freshness.CRITICAL
    age = now - last_success
    tier = Freshness.OK
    for severity, factor in TIER_FACTORS.items():
        if age > sla * factor:
            tier = severity
    return tier


def tier_thresholds(sla: timedelta) -> dict[Freshness, timedelta]:
    """The age above which each tier starts (for /metrics and the docs)."""
    return {severity: sla * factor for severity, factor in TIER_FACTORS.items()}


def worst(severities: list[Freshness]) -> Freshness:
    """The most severe tier of `severities` (ok when empty)."""
    return max(severities, key=RANK.__getitem__, default=Freshness.OK)
