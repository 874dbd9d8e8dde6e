"""The vocabulary: every name the database, the rules and the views share, defined once.

Entities, run statuses, actions and triggers, run-now request statuses, alert rules (the
severities are sync.errors.Severity). `config` imports it; nothing here imports `sync`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

#: Every entity with a sync_state row, in the order every view lists them.
ENTITY_NAMES: tuple[str, ...] = (
    "customers",
    "outlets",
    "products",
    "sales",
    "sale_line_items",
    "inventory",
)
#: Entities a job syncs by name (line items come with their sales).
SYNCED_ENTITIES: tuple[str, ...] = tuple(e for e in ENTITY_NAMES if e != "sale_line_items")


class RunStatus(StrEnum):
    """The status of one run in `sync_log` (and of an entity in `sync_state`)."""

    RUNNING = "running"
    SUCCESS = "success"
    PARTIAL = "partial"
    FAILED = "failed"
    INTERRUPTED = "interrupted"


#: Runs that delivered their data (a partial run rejected some records, but moved on).
SUCCEEDED: frozenset[RunStatus] = frozenset({RunStatus.SUCCESS, RunStatus.PARTIAL})
#: Runs that reached a verdict about the sync itself (an interrupted run says nothing).
COMPLETED: frozenset[RunStatus] = SUCCEEDED | {RunStatus.FAILED}
#: Runs that have ended, however they ended.
FINISHED: frozenset[RunStatus] = COMPLETED | {RunStatus.INTERRUPTED}


class Action(StrEnum):
    """What a run does: follow the cursor, re-read everything, or re-read a date range."""

    INCREMENTAL = "incremental"
    FULL = "full"
    BACKFILL = "backfill"


class Trigger(StrEnum):
    """Who started a run."""

    SCHEDULE = "schedule"
    MANUAL = "manual"
    CLI = "cli"


#: sync_state.status of an entity that has never run (not a sync_log status).
NEVER = "never"

#: An entity's result when another process holds its lease (not a sync_log status).
SKIPPED = "skipped"


class RequestStatus(StrEnum):
    """The status of a run-now or backfill request in `sync_requests`."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


#: Requests still waiting or being served.
OPEN_REQUESTS: tuple[RequestStatus, ...] = (RequestStatus.QUEUED, RequestStatus.RUNNING)


class Rule(StrEnum):
    """An alert rule (ALERT_DISABLED and the incidents name them)."""

    SYNC_FAILED = "sync_failed"
    STALE = "stale"
    SCHEDULER_DOWN = "scheduler_down"
    SLOW_RUN = "slow_run"
    EMPTY_SUCCESS = "empty_success"
    SUCCESS_RATE = "success_rate"
    RECONCILIATION_MISMATCH = "reconciliation_mismatch"
    MEMORY = "memory"


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the default clock everywhere)."""
    return datetime.now(UTC)
