"""Incidents from findings: what the rules found becomes the open incidents; humans
acknowledge and snooze them. The rows are kept by the store's IncidentBook
(sync.storage.sql.incidents, sync.storage.rest.incidents)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sync.alerts.rules import RULE_TEXT, Finding
from sync.storage.incidents import KINDS, Changes, Incident, Wanted
from sync.storage.protocols import IncidentBook
from sync.storage.sql.db import Engine
from sync.storage.sql.incidents import SqlIncidents

__all__ = [
    "KINDS",
    "Changes",
    "Incident",
    "acknowledge",
    "apply_findings",
    "get_incident",
    "open_incidents",
    "snooze",
    "title_of",
]


def title_of(finding: Finding) -> str:
    """'sales: sync failed (AUTH)'."""
    error = f" ({finding.error_type})" if finding.error_type else ""
    return f"{finding.entity}: {RULE_TEXT[finding.rule]}{error}"


def apply_findings(book: IncidentBook, findings: Iterable[Finding], now: datetime) -> Changes:
    """Open, update and resolve incidents so that open ones match `findings` exactly."""
    wanted = {
        (f.rule.value, f.entity): Wanted(
            severity=f.severity.value,
            title=title_of(f),
            message=f.message,
            since=f.since,
            error_type=f.error_type,
            recovery=f.recovery,
            observation=f.observation,
        )
        for f in findings
    }
    return book.apply(wanted, now)


def acknowledge(
    engine: Engine, store: str, incident_id: int, by: str, note: str | None, now: datetime
) -> bool:
    """Acknowledge an open incident of `store`: no more repeats (escalations still go out)."""
    return SqlIncidents(engine, store=store).set_open(
        incident_id,
        acknowledged_at=now,
        acknowledged_by=by,
        ack_note=(note or "").strip() or None,
    )


def snooze(
    engine: Engine, store: str, incident_id: int, until: datetime, by: str, now: datetime
) -> bool:
    """Silence an open incident of `store` until `until` (nothing new is sent before then)."""
    if until <= now:
        raise ValueError("snooze until a time in the future")
    incidents = SqlIncidents(engine, store=store)
    return incidents.set_open(incident_id, snoozed_until=until, snoozed_by=by)


def open_incidents(engine: Engine, store: str) -> list[Incident]:
    """Open incidents of `store`, most severe first, then oldest first (dashboard, API)."""
    return SqlIncidents(engine, store=store).open_incidents()


def get_incident(engine: Engine, store: str, incident_id: int) -> Incident | None:
    """One incident of `store` by id (the dashboard, the API)."""
    return SqlIncidents(engine, store=store).get_incident(incident_id)
