"""Alerts and data-trust data: incidents, notifications, reconciliations, as DataFrames
(no Streamlit; the SQL is sync.storage.sql.alert_reads')."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd

from sync.alerts.notify import hide_path
from sync.errors import Severity
from sync.runs import SYNCED_ENTITIES
from sync.storage.sql import alert_reads as reads
from sync.storage.sql.db import Engine

INCIDENT_STATUSES = ("open", "resolved")
SEVERITIES: tuple[str, ...] = tuple(reversed(Severity))  # most urgent first
HISTORY_LIMIT = 500

_INCIDENT_COLUMNS = (
    "id",
    "rule",
    "entity",
    "status",
    "severity",
    "title",
    "message",
    "since",
    "opened_at",
    "resolved_at",
    "occurrences",
    "acknowledged_by",
    "ack_note",
    "snoozed_until",
)
_NOTIFICATION_COLUMNS = (
    "id",
    "incident_id",
    "kind",
    "severity",
    "channel",
    "status",
    "error",
    "title",
    "attempted_at",
)


def open_incident_count(engine: Engine, store: str) -> int:
    """How many incidents of `store` are open right now."""
    return reads.open_incident_count(engine, store)


def incident_history(
    engine: Engine,
    store: str,
    start: datetime,
    end: datetime,
    statuses: Sequence[str] = INCIDENT_STATUSES,
    severities: Sequence[str] = SEVERITIES,
    limit: int = HISTORY_LIMIT,
) -> pd.DataFrame:
    """Incidents opened in [start, end), newest first, filtered by status and severity."""
    rows = reads.incident_rows(
        engine, store, _INCIDENT_COLUMNS, start, end, statuses, severities, limit
    )
    return pd.DataFrame(rows, columns=_INCIDENT_COLUMNS)


def notifications(
    engine: Engine, store: str, start: datetime, end: datetime, limit: int = HISTORY_LIMIT
) -> pd.DataFrame:
    """Messages attempted in [start, end), newest first.

    Channels are stored masked; paths are hidden again for rows written before labels
    dropped them.
    """
    rows = reads.notification_rows(engine, store, _NOTIFICATION_COLUMNS, start, end, limit)
    records = [{**r, "channel": hide_path(str(r["channel"]))} for r in rows]
    return pd.DataFrame(records, columns=_NOTIFICATION_COLUMNS)


# -- Reconciliations (data trust) ----------------------------------------------------------

RECONCILED = SYNCED_ENTITIES  # what the nightly reconciliation checks
CHECK_STATUSES = ("matched", "mismatch", "error")
_CHECK_COLUMNS = (
    "id",
    "run_id",
    "entity_type",
    "scope",
    "measure",
    "source_value",
    "db_value",
    "difference",
    "status",
    "details",
    "checked_at",
)


@dataclass(frozen=True)
class Trust:
    """One entity in the latest reconciliation run that checked it."""

    entity: str
    checked_at: datetime
    mismatches: list[dict[str, Any]]

    @property
    def verified(self) -> bool:
        return not self.mismatches


def latest_trust(engine: Engine, store: str) -> tuple[list[Trust], list[dict[str, Any]]]:
    """Per entity, its checks in `store`'s latest run; and that run's errors (entity 'all')."""
    rows = reads.latest_checks(engine, store, _CHECK_COLUMNS)
    if not rows:
        return [], []
    trust = []
    for entity in RECONCILED:
        checks = [row for row in rows if row["entity_type"] == entity]
        if checks:
            trust.append(
                Trust(
                    entity,
                    max(c["checked_at"] for c in checks),
                    [c for c in checks if c["status"] != "matched"],
                )
            )
    errors = [row for row in rows if row["status"] == "error" and row["entity_type"] == "all"]
    return trust, errors


def reconciliation_rows(
    engine: Engine,
    store: str,
    start: datetime,
    end: datetime,
    entities: Sequence[str] = RECONCILED,
    statuses: Sequence[str] = CHECK_STATUSES,
    limit: int = HISTORY_LIMIT,
) -> pd.DataFrame:
    """Checks made in [start, end), newest first (run errors are listed with any entity)."""
    rows = reads.check_rows(engine, store, _CHECK_COLUMNS, start, end, entities, statuses, limit)
    return pd.DataFrame(rows, columns=_CHECK_COLUMNS)
