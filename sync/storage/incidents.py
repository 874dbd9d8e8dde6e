"""Alert incidents as both stores keep them: the row, what the rules want open, and which
message an incident is owed (sql/incidents.py and rest/incidents.py do the I/O).

One open incident per (rule, entity) while its condition holds (a partial unique index
enforces it). Which message an incident is owed is kept on the row (`pending_kind`), so a
message that failed on some channel is retried by the next evaluation, in any process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sync.errors import SEVERITY_RANK, Severity

KINDS = ("open", "repeat", "escalation", "resolved", "digest", "test", "backfill")


@dataclass(frozen=True)
class Incident:
    """One alert_incidents row."""

    id: int
    rule: str
    entity: str
    status: str
    severity: str
    title: str
    message: str
    error_type: str | None
    recovery: str | None
    since: datetime
    opened_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    occurrences: int
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    ack_note: str | None
    snoozed_until: datetime | None
    snoozed_by: str | None
    notified_severity: str | None
    last_notified_at: datetime | None
    pending_kind: str | None
    pending_at: datetime | None

    @classmethod
    def from_row(cls, values: Mapping[str, Any]) -> Incident:
        """From a row's mapping (datetimes already parsed)."""
        return cls(**{name: values[name] for name in cls.__dataclass_fields__})


@dataclass(frozen=True)
class Wanted:
    """An incident that should be open now: what a finding of the rules says."""

    severity: str
    title: str
    message: str
    since: datetime
    error_type: str | None = None
    recovery: str | None = None
    observation: str | None = None  # a new one counts as another occurrence


@dataclass(frozen=True)
class Changes:
    """What one application of findings did (incident ids)."""

    opened: list[int]
    updated: list[int]
    resolved: list[int]


def rank(severity: str | None) -> int:
    """The urgency of `severity` (0 for none)."""
    return SEVERITY_RANK.get(Severity(severity), 0) if severity else 0


def new_message(row: Any, now: datetime, cooldown: timedelta) -> str | None:
    """The message an incident row is owed now, if any (row: attributes of alert_incidents)."""
    if row.status != "open" or (row.snoozed_until and row.snoozed_until > now):
        return None
    if row.notified_severity is None:
        return "open"
    if rank(row.severity) > rank(row.notified_severity):
        return "escalation"
    if row.acknowledged_at is None and row.last_notified_at <= now - cooldown:
        return "repeat"
    return None


def planned(incident: Incident, now: datetime, cooldown: timedelta) -> dict[str, Any]:
    """What planning changes on one incident row now (empty: nothing)."""
    values: dict[str, Any] = {}
    if incident.pending_kind and incident.pending_at and now - incident.pending_at >= cooldown:
        values.update(pending_kind=None, pending_at=None)
    kind = new_message(incident, now, cooldown)
    if kind is not None:
        values.update(
            pending_kind=kind,
            pending_at=now,
            last_notified_at=now,
            notified_severity=incident.severity
            if rank(incident.severity) > rank(incident.notified_severity)
            else incident.notified_severity,
        )
    return values


def seen_values(
    want: Wanted, occurrences: int, last_observation: str | None, now: datetime
) -> dict[str, Any]:
    """The update of an open incident whose condition still holds."""
    values: dict[str, Any] = {
        "severity": want.severity,
        "title": want.title,
        "message": want.message,
        "error_type": want.error_type,
        "recovery": want.recovery,
        "last_seen_at": now,
    }
    if want.observation is not None and want.observation != last_observation:
        values["occurrences"] = occurrences + 1
        values["last_observation"] = want.observation
    return values


def opened_values(key: tuple[str, str], want: Wanted, now: datetime) -> dict[str, Any]:
    """The row of a new incident."""
    rule, entity = key
    return {
        **seen_values(want, 0, None, now),
        "rule": rule,
        "entity": entity,
        "status": "open",
        "since": min(want.since, now),
        "opened_at": now,
        "occurrences": 1,
        "last_observation": want.observation,
    }


def resolved_values(notified_severity: str | None, now: datetime) -> dict[str, Any]:
    """The update of an incident whose condition no longer holds."""
    told = notified_severity is not None  # only those who heard of it are told it is over
    return {
        "status": "resolved",
        "resolved_at": now,
        "pending_kind": "resolved" if told else None,
        "pending_at": now if told else None,
    }
