"""The overall verdict, HEALTHY / WARNING / CRITICAL, with the scheduler taken into account."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from sync.health.colour import Colour
from sync.health.freshness import Freshness


class Overall(StrEnum):
    HEALTHY = "HEALTHY"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"


def overall(colours: Iterable[Colour]) -> Overall:
    """The entities' verdict alone: CRITICAL if any is red, WARNING if any is yellow."""
    seen = set(colours)
    if Colour.RED in seen or not seen:
        return Overall.CRITICAL
    if Colour.YELLOW in seen:
        return Overall.WARNING
    return Overall.HEALTHY


@dataclass(frozen=True)
class Verdict:
    """The overall status and the sentence that explains it."""

    status: Overall
    text: str


def overall_verdict(
    colours: Sequence[Colour],
    freshness: Sequence[Freshness],
    *,
    scheduler_alive: bool,
    data_ready: bool,
) -> Verdict:
    """CRITICAL when an entity is red or critically stale, or data is not ready; WARNING when
    one is yellow or past its SLA, or when no scheduler runs (the data will go stale);
    HEALTHY only when every entity is up to date and a scheduler is alive."""
    base = overall(colours)
    red = sum(c is Colour.RED for c in colours)
    late = sum(
        c is not Colour.GREEN or f is not Freshness.OK
        for c, f in zip(colours, freshness, strict=True)
    )
    if base is Overall.CRITICAL or Freshness.CRITICAL in freshness:
        what = f"{red} of {len(colours)} entities failing or out of date" if red else ""
        what = what or "an entity is critically stale"
        return Verdict(Overall.CRITICAL, f"CRITICAL — {what}")
    if not data_ready:
        return Verdict(Overall.CRITICAL, "CRITICAL — the data is not ready for reports")
    if not scheduler_alive:
        return Verdict(
            Overall.WARNING,
            "WARNING — the scheduler is not running: the data is current now but will go stale",
        )
    if base is Overall.WARNING or late:
        return Verdict(Overall.WARNING, f"WARNING — {late} of {len(colours)} entities behind")
    return Verdict(Overall.HEALTHY, "HEALTHY — every entity is up to date, the scheduler runs")
