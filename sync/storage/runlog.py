"""The run log both stores keep: a run's identity, progress and outcome, as row values.

`sync_log` has one row per entity and run, `sync_state` one per entity; these build the
values the SQL store and the REST store write into them.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sync.runs import SUCCEEDED, RunStatus


@dataclass
class Progress:
    """Running totals of one entity's run, written to its sync_log row with every page."""

    log_id: int
    upserted: int = 0
    deleted: int = 0
    rejected: int = 0
    pages: int = 0
    api_calls: int = 0
    version_to: int | None = None

    def values(self) -> dict[str, Any]:
        """The sync_log columns these totals fill."""
        return {
            "records_upserted": self.upserted,
            "records_deleted": self.deleted,
            "records_rejected": self.rejected,
            "pages": self.pages,
            "api_calls": self.api_calls,
            "version_to": self.version_to,
        }


@dataclass(frozen=True)
class RunInfo:
    """What a run is, as recorded in every sync_log row it writes."""

    run_id: str
    action: str  # incremental / full / backfill
    trigger: str  # schedule / manual / cli
    triggered_by: str | None = None


@dataclass(frozen=True)
class RunMetrics:
    """What a run cost: the process's peak memory and Lightspeed's response times."""

    peak_rss_bytes: int | None = None
    api_ms_mean: float | None = None
    api_ms_p95: float | None = None
    api_retries: int | None = None
    # Stores syncing at once in the process (a scheduler over several stores; None: one):
    # they share the memory peak_rss_bytes measures.
    stores_at_once: int | None = None

    def values(self) -> dict[str, Any]:
        """The sync_log columns these fill (migrations 0009 and 0021)."""
        return {
            "stores_at_once": self.stores_at_once,
            "peak_rss_bytes": self.peak_rss_bytes,
            "api_ms_mean": self.api_ms_mean,
            "api_ms_p95": self.api_ms_p95,
            "api_retries": self.api_retries,
        }


@dataclass(frozen=True)
class Outcome:
    """How a run of one entity ended."""

    status: str  # a RunStatus: success / partial / failed / interrupted
    error_type: str | None = None
    error_details: str | None = None


def run_log_row(
    info: RunInfo, store: str, entity: str, version_from: int, now: datetime
) -> dict[str, Any]:
    """The `running` sync_log row a run of `entity` of `store` starts with."""
    return {
        "run_id": info.run_id,
        "store": store,
        "entity_type": entity,
        "action": info.action,
        "trigger": info.trigger,
        "triggered_by": info.triggered_by,
        "status": RunStatus.RUNNING,
        "started_at": now,
        "version_from": version_from,
        "host": socket.gethostname(),
        "pid": os.getpid(),
    }


def run_end_values(
    outcome: Outcome,
    tracker: Progress,
    duration_ms: int,
    now: datetime,
    metrics: RunMetrics | None = None,
) -> dict[str, Any]:
    """The sync_log values that close a run (with its metrics when it measured them)."""
    return {
        "status": outcome.status,
        "finished_at": now,
        "duration_ms": duration_ms,
        "error_type": outcome.error_type,
        "error_details": outcome.error_details,
        **tracker.values(),
        **(metrics.values() if metrics else {}),
    }


def needs_recount(tracker: Progress, *, is_sync: bool) -> bool:
    """Whether the row count may have changed: a sync that wrote no page keeps the stored one.

    Saves a `count(*)` per table on every no-change run (a scan of a large table on Postgres).
    """
    return not is_sync or tracker.pages > 0 or tracker.upserted > 0 or tracker.deleted > 0


def state_end_values(
    outcome: Outcome, records_total: int | None, now: datetime, *, is_sync: bool
) -> dict[str, Any]:
    """The sync_state values after a run; a backfill only refreshes the row count.

    `records_total` None leaves the stored count as it is.
    """
    values: dict[str, Any] = {"updated_at": now}
    if records_total is not None:
        values["records_total"] = records_total
    if is_sync:
        values.update(
            status=outcome.status,
            error_type=outcome.error_type,
            error_message=outcome.error_details,
        )
    if is_sync and outcome.status in SUCCEEDED:
        values["last_sync_time"] = now
    return values
