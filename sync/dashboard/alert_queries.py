"""Alerts and data-trust queries: incidents, notifications, reconciliations (no Streamlit)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select

from sync.alerts.notify import hide_path
from sync.storage.schema import alert_incidents, alert_notifications, reconciliations
from sync.storage.sql.db import database_errors

INCIDENT_STATUSES = ("open", "resolved")
SEVERITIES = ("critical", "error", "warning")
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


def open_incident_count(engine: Engine) -> int:
    """How many incidents are open right now."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(alert_incidents)
                .where(alert_incidents.c.status == "open")
            ).scalar()
            or 0
        )


def incident_history(
    engine: Engine,
    start: datetime,
    end: datetime,
    statuses: Sequence[str] = INCIDENT_STATUSES,
    severities: Sequence[str] = SEVERITIES,
    limit: int = HISTORY_LIMIT,
) -> pd.DataFrame:
    """Incidents opened in [start, end), newest first, filtered by status and severity."""
    c = alert_incidents.c
    query = (
        select(*(c[name] for name in _INCIDENT_COLUMNS))
        .where(
            c.opened_at >= start,
            c.opened_at < end,
            c.status.in_(tuple(statuses)),
            c.severity.in_(tuple(severities)),
        )
        .order_by(c.opened_at.desc(), c.id.desc())
        .limit(limit)
    )
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame([dict(r._mapping) for r in rows], columns=_INCIDENT_COLUMNS)


def notifications(
    engine: Engine, start: datetime, end: datetime, limit: int = HISTORY_LIMIT
) -> pd.DataFrame:
    """Messages attempted in [start, end), newest first.

    Channels are stored masked; paths are hidden again for rows written before labels
    dropped them.
    """
    c = alert_notifications.c
    query = (
        select(*(c[name] for name in _NOTIFICATION_COLUMNS))
        .where(c.attempted_at >= start, c.attempted_at < end)
        .order_by(c.attempted_at.desc(), c.id.desc())
        .limit(limit)
    )
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(query).all()
    records = [{**r._mapping, "channel": hide_path(str(r.channel))} for r in rows]
    return pd.DataFrame(records, columns=_NOTIFICATION_COLUMNS)


# -- Reconciliations (data trust) ----------------------------------------------------------

RECONCILED = ("customers", "outlets", "products", "inventory", "sales")
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


def latest_trust(engine: Engine) -> tuple[list[Trust], list[dict[str, Any]]]:
    """Per entity, its checks in the latest run; and that run's errors (entity 'all')."""
    r = reconciliations.c
    with database_errors(str(engine.url)), engine.connect() as conn:
        last = conn.execute(
            select(r.run_id).order_by(r.checked_at.desc(), r.id.desc()).limit(1)
        ).scalar()
        if last is None:
            return [], []
        rows = [
            dict(row._mapping)
            for row in conn.execute(
                select(*(r[c] for c in _CHECK_COLUMNS)).where(r.run_id == last).order_by(r.id)
            )
        ]
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
    start: datetime,
    end: datetime,
    entities: Sequence[str] = RECONCILED,
    statuses: Sequence[str] = CHECK_STATUSES,
    limit: int = HISTORY_LIMIT,
) -> pd.DataFrame:
    """Checks made in [start, end), newest first (run errors are listed with any entity)."""
    r = reconciliations.c
    query = (
        select(*(r[c] for c in _CHECK_COLUMNS))
        .where(
            r.checked_at >= start,
            r.checked_at < end,
            r.entity_type.in_((*entities, "all")),
            r.status.in_(tuple(statuses)),
        )
        .order_by(r.checked_at.desc(), r.id)
        .limit(limit)
    )
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame([dict(row._mapping) for row in rows], columns=_CHECK_COLUMNS)
