"""The Alerts page's reads and actions: incidents, notifications and data trust."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import streamlit as st

from sync import alerts
from sync.dashboard import alert_queries as da
from sync.dashboard import runtime
from sync.dashboard.formatting import store_tz
from sync.dashboard.panels import load


def _store() -> str:
    return runtime.store()


def incident_store() -> str | None:
    """The store each incident card names when the database holds several stores ('Beta
    Ltd (beta)'); None with one store."""
    if len(runtime.stores()) < 2:
        return None
    name, prefix = runtime.store_name(), runtime.store()
    return name if name == prefix else f"{name} ({prefix})"


def open_incidents() -> list[Any]:
    """Open incidents, most severe first (not cached: the page acts on them)."""
    return load(alerts.open_incidents, runtime.engine(), _store())


def open_incident_count() -> int:
    """How many incidents are open right now."""
    return load(da.open_incident_count, runtime.engine(), _store())


def acknowledge_incident(incident_id: int, note: str | None) -> bool:
    """Acknowledge as the logged-in user; False when the incident is no longer open."""
    user = str(st.session_state.get("username"))
    return load(
        alerts.acknowledge,
        runtime.engine(),
        _store(),
        incident_id,
        by=user,
        note=note,
        now=runtime.clock(),
    )


def snooze_incident(incident_id: int, until: datetime) -> bool:
    """Snooze as the logged-in user; False when the incident is no longer open."""
    user = str(st.session_state.get("username"))
    return load(
        alerts.snooze,
        runtime.engine(),
        _store(),
        incident_id,
        until=until,
        by=user,
        now=runtime.clock(),
    )


def data_trust() -> tuple[list[da.Trust], list[dict[str, Any]]]:
    """The latest reconciliation per entity, and that run's errors."""
    return load(da.latest_trust, runtime.engine(), _store())


def reconciliation_rows(
    start: datetime, end: datetime, entities: tuple[str, ...], statuses: tuple[str, ...]
) -> Any:
    """Reconciliation checks made in [start, end) for these entities and results."""
    return load(da.reconciliation_rows, runtime.engine(), _store(), start, end, entities, statuses)


def rule_text(rule: str) -> str:
    """'sync failed', 'data is stale', … (the rule id when unknown)."""
    from sync.alerts.rules import RULE_TEXT

    return {str(k): v for k, v in RULE_TEXT.items()}.get(rule, rule)


def snooze_choices(now: datetime | None = None) -> dict[str, datetime]:
    """Label → until: 1 h, 4 h, tomorrow 09:00 (the store's clock)."""
    now = now or runtime.clock()
    tomorrow = (now.astimezone(store_tz()) + timedelta(days=1)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    return {
        "1 hour": now + timedelta(hours=1),
        "4 hours": now + timedelta(hours=4),
        "Tomorrow 09:00": tomorrow.astimezone(UTC),
    }


def incident_history(
    start: datetime, end: datetime, statuses: tuple[str, ...], severities: tuple[str, ...]
) -> Any:
    """Incidents opened in [start, end) with these statuses and severities."""
    return load(da.incident_history, runtime.engine(), _store(), start, end, statuses, severities)


def alert_notifications(start: datetime, end: datetime) -> Any:
    """Notifications attempted in [start, end), newest first."""
    return load(da.notifications, runtime.engine(), _store(), start, end)
