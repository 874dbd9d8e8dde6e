"""Several stores seen together: each store's verdict in a line, and the group's verdict.

The group is as healthy as its worst store; the stores whose data is not fit for reports
are named, so a CFO sees at once which store holds up the numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync.health.freshness import Freshness
from sync.health.overall import Overall
from sync.health.summary import HealthSummary

_OVERALL_RANK = {Overall.HEALTHY: 0, Overall.WARNING: 1, Overall.CRITICAL: 2}
_FRESHNESS_RANK = {f: n for n, f in enumerate(Freshness)}


@dataclass(frozen=True)
class StoreHealth:
    """One store of the group: what it is, and its summary (None: the store is disabled)."""

    prefix: str
    name: str
    enabled: bool
    summary: HealthSummary | None

    def oldest_success(self) -> datetime | None:
        """The last success of its stalest entity (None: some entity never synced)."""
        if self.summary is None:
            return None
        moments = [e.reading.last_success for e in self.summary.entities]
        if not moments or any(m is None for m in moments):
            return None
        return min(m for m in moments if m is not None)

    def freshness(self) -> Freshness | None:
        """The worst freshness tier of its entities."""
        if self.summary is None or not self.summary.entities:
            return None
        return max((e.freshness for e in self.summary.entities), key=_FRESHNESS_RANK.__getitem__)

    def as_json(self) -> dict[str, Any]:
        """The store's line in GET /api/sync-health/stores."""
        line: dict[str, Any] = {"store": self.prefix, "name": self.name, "enabled": self.enabled}
        s = self.summary
        if s is None:
            return line
        oldest, worst = self.oldest_success(), self.freshness()
        return {
            **line,
            "overall_status": s.overall_status.value,
            "overall_text": s.overall_text,
            "health_score": s.health_score,
            "data_ready": s.data_ready,
            "freshness_severity": worst.value if worst else None,
            "oldest_last_success": oldest.isoformat() if oldest else None,
            "status_counts": s.counts.as_json(),
            "active_alerts": s.active_alerts.get("total", 0),
        }


def group_verdict(stores: Sequence[StoreHealth]) -> dict[str, Any]:
    """The group's verdict over its enabled stores: the worst status, the lowest score, and
    the stores whose data is not fit for reports."""
    watched = [s for s in stores if s.enabled and s.summary is not None]
    summaries = [s.summary for s in watched if s.summary is not None]
    if not summaries:
        return {"overall_status": None, "blocked_by": [], "lowest_score": None, "store_count": 0}
    worst = max((s.overall_status for s in summaries), key=_OVERALL_RANK.__getitem__)
    return {
        "overall_status": worst.value,
        "blocked_by": [s.prefix for s in watched if s.summary and not s.summary.data_ready],
        "lowest_score": min(s.health_score for s in summaries),
        "store_count": len(watched),
    }
