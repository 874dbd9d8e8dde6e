"""The read model: everything the views know about the run log, as one frozen value.

`sync.storage` fills a `RunLogSnapshot` in one read (SQL or REST); the health summary,
the alert rules, the dashboard's Status view, `status`, `/metrics` and the API summary
are pure functions of it, so they are tested with literal snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sync.runs import NEVER

#: Latest runs kept per entity: enough for any failure streak worth reporting.
RECENT_RUNS = 50
#: Successful runs of the latest run's action that set its "usual" duration.
BASELINE_RUNS = 20
#: Weeks looked back for sales in the same hour (the empty-success rule).
HISTORY_WEEKS = 4


@dataclass(frozen=True)
class StateRow:
    """One sync_state row."""

    entity_type: str
    status: str = NEVER
    last_sync_time: datetime | None = None
    last_attempt_at: datetime | None = None
    error_type: str | None = None
    error_message: str | None = None
    cursor_version: int = 0
    records_total: int = 0


@dataclass(frozen=True)
class RunRow:
    """One sync_log row (all but the version range's end and the process)."""

    id: int
    run_id: str
    entity_type: str
    action: str
    trigger: str
    status: str
    started_at: datetime
    triggered_by: str | None = None
    finished_at: datetime | None = None
    duration_ms: int | None = None
    records_upserted: int = 0
    records_deleted: int = 0
    records_rejected: int = 0
    api_calls: int = 0
    pages: int = 0
    version_from: int | None = None
    error_type: str | None = None
    error_details: str | None = None
    peak_rss_bytes: int | None = None
    api_ms_mean: float | None = None
    api_ms_p95: float | None = None
    api_retries: int | None = None
    stores_at_once: int | None = None  # stores syncing at once in its process (migration 0021)


@dataclass(frozen=True)
class DayGroup:
    """sync_log rows of the last 24 h with one (entity, status, error class)."""

    entity_type: str
    status: str
    error_type: str | None
    runs: int
    duration_ms: int = 0  # summed over the rows that have one
    timed_runs: int = 0  # rows with a duration
    records_today: int = 0  # records_upserted of the rows started since `day_start`


@dataclass(frozen=True)
class Streak:
    """Failed runs of one entity since its latest successful one."""

    failed: int = 0
    since: datetime | None = None  # start of the oldest of them


@dataclass(frozen=True)
class Beat:
    """One scheduler_heartbeat row."""

    last_beat_at: datetime
    activity: Mapping[str, Any] = field(default_factory=dict)
    next_run_at: datetime | None = None

    @property
    def state(self) -> str | None:
        return self.activity.get("state")


@dataclass(frozen=True)
class Check:
    """One reconciliations row."""

    run_id: str
    entity_type: str
    scope: str
    measure: str
    status: str  # matched / mismatch / error
    checked_at: datetime
    difference: str | None = None
    details: str | None = None


@dataclass(frozen=True)
class SalesHours:
    """Sales in the hour before the latest sales run, then the same hour 1..n weeks back."""

    end: datetime
    counts: tuple[int, ...]  # this week first


@dataclass(frozen=True)
class RunLogSnapshot:
    """What the database said about the run log at `read_at` (one read)."""

    read_at: datetime
    day_start: datetime  # "today" of `DayGroup.records_today`
    states: tuple[StateRow, ...] = ()
    runs: Mapping[str, tuple[RunRow, ...]] = field(default_factory=dict)  # newest first
    streaks: Mapping[str, Streak] = field(default_factory=dict)
    day: tuple[DayGroup, ...] = ()
    beats: tuple[Beat, ...] = ()  # freshest first
    reconciliation: tuple[Check, ...] = ()  # the checks of the latest reconciliation run
    sales_reconciliation: tuple[Check, ...] = ()  # the latest run's checks of yesterday's sales
    open_incidents: Mapping[str, int] = field(default_factory=dict)  # severity -> open
    resolved_30d: int = 0
    incident_seconds_30d: float | None = None  # summed opened -> resolved over those
    queue_depth: int = 0  # queued run-now and backfill requests
    run_totals: tuple[tuple[str, str, int], ...] = ()  # (entity, status, runs), never pruned
    baselines: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # entity -> ms
    sales_hours: SalesHours | None = None
    zone: str = "UTC"  # the store's zone (IANA name): the clock times are read on

    def state(self, entity: str) -> StateRow | None:
        """The sync_state row of `entity`, if there is one."""
        return next((s for s in self.states if s.entity_type == entity), None)

    def runs_of(self, entity: str) -> tuple[RunRow, ...]:
        """The latest runs of `entity`, newest first (at most RECENT_RUNS)."""
        return tuple(self.runs.get(entity, ()))

    @property
    def beat(self) -> Beat | None:
        """The freshest heartbeat (None when no scheduler ever ran)."""
        return self.beats[0] if self.beats else None
