"""The vocabulary of a run: its status, action and trigger, and the status groups rules use."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum


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


def utcnow() -> datetime:
    """The current time, timezone-aware UTC (the default clock everywhere)."""
    return datetime.now(UTC)
