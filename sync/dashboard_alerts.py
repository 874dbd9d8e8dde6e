"""Alerts page queries: incident history and notifications sent (no Streamlit here)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import pandas as pd
from sqlalchemy import Engine, func, select

from sync.db import database_errors
from sync.schema import alert_incidents, alert_notifications

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
    """Messages attempted in [start, end), newest first (channels are stored masked)."""
    c = alert_notifications.c
    query = (
        select(*(c[name] for name in _NOTIFICATION_COLUMNS))
        .where(c.attempted_at >= start, c.attempted_at < end)
        .order_by(c.attempted_at.desc(), c.id.desc())
        .limit(limit)
    )
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(query).all()
    return pd.DataFrame([dict(r._mapping) for r in rows], columns=_NOTIFICATION_COLUMNS)
