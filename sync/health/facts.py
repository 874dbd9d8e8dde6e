"""What the health model reads: plain values a loader fills from the database (no I/O here)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync.runs import ENTITY_NAMES, NEVER

#: The six entities the model judges, in the order every view lists them.
HEALTH_ENTITIES: tuple[str, ...] = ENTITY_NAMES
#: Entities whose copy must be usable before dashboards may show figures.
READY_ENTITIES: tuple[str, ...] = ("sales", "sale_line_items")


@dataclass(frozen=True)
class EntityReading:
    """One entity: its sync_state row and aggregates of its sync_log rows."""

    entity: str
    status: str = NEVER  # sync_state.status
    last_success: datetime | None = None
    error_type: str | None = None
    error_message: str | None = None
    records_total: int = 0
    runs_24h: Mapping[str, int] = field(default_factory=dict)  # status -> runs started in 24 h
    failures_24h: Mapping[str | None, int] = field(default_factory=dict)  # error class -> runs
    avg_duration_ms_24h: float | None = None
    records_today: int = 0
    consecutive_failures: int = 0
    failing_since: datetime | None = None  # start of the oldest failed run of the streak
    last_run_at: datetime | None = None
    last_run_status: str | None = None  # the latest finished run's
    last_run_duration_ms: int | None = None
    last_run_records: int | None = None  # written, deletions included
    peak_rss_bytes: int | None = None  # of the latest finished run that measured it
    api_ms_mean: float | None = None
    api_ms_p95: float | None = None
    api_retries: int | None = None


@dataclass(frozen=True)
class SchedulerReading:
    """The freshest scheduler_heartbeat row (all None when no scheduler ever ran)."""

    last_beat: datetime | None = None
    state: str | None = None
    next_run_at: datetime | None = None
    jobs: Sequence[Mapping[str, Any]] = ()  # [{"name": "incremental: sales", "next_run": iso}]


@dataclass(frozen=True)
class ReconciliationReading:
    """One reconciliation run: its worst status and what differed."""

    run_id: str
    checked_at: datetime
    status: str  # matched / mismatch / error (the worst of its checks)
    mismatches: tuple[str, ...] = ()  # "2026-11-22 outlet 1 sales_total differs by 5.00"
    repair: str | None = None


@dataclass(frozen=True)
class HealthFacts:
    """Everything the summary is built from, as read at `fetched_at`."""

    entities: tuple[EntityReading, ...]
    scheduler: SchedulerReading
    fetched_at: datetime
    latest_reconciliation: ReconciliationReading | None = None
    sales_reconciliation: ReconciliationReading | None = None  # yesterday's sales, latest
    open_incidents: Mapping[str, int] = field(default_factory=dict)  # severity -> open
    incident_seconds_30d: float | None = None  # summed opened->resolved of resolved incidents
    resolved_30d: int = 0
    failures_by_class_24h: Mapping[str | None, int] = field(default_factory=dict)
    finished_24h: int = 0
    zone: str = "UTC"  # the store's zone (IANA name)

    def entity(self, name: str) -> EntityReading:
        """The reading of `name` (an empty one when the database has no row)."""
        return next((e for e in self.entities if e.entity == name), EntityReading(name))
