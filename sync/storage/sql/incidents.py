"""Alert incidents and notifications over SQL: open, update, resolve, acknowledge, snooze;
what message each incident is owed; every delivery attempt.

One open incident per (rule, entity) while its condition holds (a partial unique index
enforces it). Which message an incident is owed is kept on the row (`pending_kind`), so a
message that failed on some channel is retried by the next evaluation, in any process.
The alert rules decide what holds (sync.alerts); this module only keeps the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Row, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from sync.errors import SEVERITY_RANK, Severity
from sync.storage.schema import alert_incidents, alert_notifications
from sync.storage.sql.db import database_errors

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
    def from_row(cls, row: Row[Any]) -> Incident:
        values = row._mapping
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


def apply(engine: Engine, wanted: Mapping[tuple[str, str], Wanted], now: datetime) -> Changes:
    """Open, update and resolve incidents so that open ones match `wanted` (by rule, entity)."""
    changes = Changes([], [], [])
    with database_errors(str(engine.url)), engine.begin() as conn:
        open_rows = {
            (r.rule, r.entity): r
            for r in conn.execute(select(alert_incidents).where(alert_incidents.c.status == "open"))
        }
        for key, want in wanted.items():
            values = {
                "severity": want.severity,
                "title": want.title,
                "message": want.message,
                "error_type": want.error_type,
                "recovery": want.recovery,
                "last_seen_at": now,
            }
            row = open_rows.get(key)
            if row is None:
                new_id = _open(conn, key, want, values, now)
                if new_id is not None:
                    changes.opened.append(new_id)
                continue
            if want.observation is not None and want.observation != row.last_observation:
                values["occurrences"] = row.occurrences + 1
                values["last_observation"] = want.observation
            conn.execute(
                update(alert_incidents).where(alert_incidents.c.id == row.id).values(**values)
            )
            changes.updated.append(row.id)
        for key, row in open_rows.items():
            if key in wanted:
                continue
            conn.execute(
                update(alert_incidents)
                .where(alert_incidents.c.id == row.id)
                .values(
                    status="resolved",
                    resolved_at=now,
                    # Only those who heard of it are told it is over.
                    pending_kind="resolved" if row.notified_severity else None,
                    pending_at=now if row.notified_severity else None,
                )
            )
            changes.resolved.append(row.id)
    return changes


def _open(
    conn: Connection, key: tuple[str, str], want: Wanted, values: dict[str, Any], now: datetime
) -> int | None:
    try:
        with conn.begin_nested():
            return conn.scalar(
                insert(alert_incidents)
                .values(
                    rule=key[0],
                    entity=key[1],
                    status="open",
                    since=min(want.since, now),
                    opened_at=now,
                    occurrences=1,
                    last_observation=want.observation,
                    **values,
                )
                .returning(alert_incidents.c.id)
            )
    except IntegrityError:
        return None  # another evaluator opened it a moment ago


def plan_messages(engine: Engine, now: datetime, cooldown: timedelta) -> list[Incident]:
    """Decide which message each incident is owed now; returns incidents with one pending.

    New: 'open' once; 'escalation' when the severity rises above what was announced (even
    when acknowledged); 'repeat' after the cooldown unless acknowledged. Snoozed incidents
    get nothing new. A message still unsent after the cooldown is given up.
    """
    owed = []
    with database_errors(str(engine.url)), engine.begin() as conn:
        rows = conn.execute(
            select(alert_incidents).where(
                or_(alert_incidents.c.status == "open", alert_incidents.c.pending_kind.is_not(None))
            )
        ).all()
        for row in rows:
            values: dict[str, Any] = {}
            if row.pending_kind and now - row.pending_at >= cooldown:
                values.update(pending_kind=None, pending_at=None)
            kind = _new_message(row, now, cooldown)
            if kind is not None:
                values.update(
                    pending_kind=kind,
                    pending_at=now,
                    last_notified_at=now,
                    notified_severity=row.severity
                    if rank(row.severity) > rank(row.notified_severity)
                    else row.notified_severity,
                )
            if values:
                conn.execute(
                    update(alert_incidents).where(alert_incidents.c.id == row.id).values(**values)
                )
            incident = Incident.from_row(row)
            if values:
                incident = replace(incident, **values)
            if incident.pending_kind:
                owed.append(incident)
    return owed


def _new_message(row: Row[Any], now: datetime, cooldown: timedelta) -> str | None:
    if row.status != "open" or (row.snoozed_until and row.snoozed_until > now):
        return None
    if row.notified_severity is None:
        return "open"
    if rank(row.severity) > rank(row.notified_severity):
        return "escalation"
    if row.acknowledged_at is None and row.last_notified_at <= now - cooldown:
        return "repeat"
    return None


def sent_channels(engine: Engine, incident: Incident) -> set[str]:
    """Channels that already got the incident's pending message."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        return set(
            conn.scalars(
                select(alert_notifications.c.channel).where(
                    alert_notifications.c.incident_id == incident.id,
                    alert_notifications.c.kind == incident.pending_kind,
                    alert_notifications.c.status == "sent",
                    alert_notifications.c.attempted_at >= incident.pending_at,
                )
            )
        )


def digest_channels(engine: Engine, since: datetime) -> set[str]:
    """Channels a digest was delivered to since `since`."""
    c = alert_notifications.c
    with database_errors(str(engine.url)), engine.connect() as conn:
        return set(
            conn.scalars(
                select(c.channel).where(
                    c.kind == "digest", c.status == "sent", c.attempted_at >= since
                )
            )
        )


def settle(engine: Engine, incident_ids: Iterable[int]) -> None:
    """Mark the pending message of these incidents as delivered everywhere."""
    ids = list(incident_ids)
    if not ids:
        return
    with database_errors(str(engine.url)), engine.begin() as conn:
        conn.execute(
            update(alert_incidents)
            .where(alert_incidents.c.id.in_(ids))
            .values(pending_kind=None, pending_at=None)
        )


def set_open(engine: Engine, incident_id: int, **values: Any) -> bool:
    """Set `values` on an open incident (acknowledge, snooze); True if it was open."""
    with database_errors(str(engine.url)), engine.begin() as conn:
        done = conn.execute(
            update(alert_incidents)
            .where(alert_incidents.c.id == incident_id, alert_incidents.c.status == "open")
            .values(**values)
        ).rowcount
        # A message not yet delivered is no longer needed once a human has seen it.
        conn.execute(
            update(alert_incidents)
            .where(
                alert_incidents.c.id == incident_id,
                alert_incidents.c.pending_kind.in_(("open", "repeat")),
            )
            .values(pending_kind=None, pending_at=None)
        )
    return done == 1


def open_incidents(engine: Engine) -> list[Incident]:
    """Open incidents, most severe first, then oldest first."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(
            select(alert_incidents)
            .where(alert_incidents.c.status == "open")
            .order_by(alert_incidents.c.opened_at, alert_incidents.c.id)
        ).all()
    incidents = [Incident.from_row(r) for r in rows]
    return sorted(incidents, key=lambda i: -rank(i.severity))


def get_incident(engine: Engine, incident_id: int) -> Incident | None:
    """One incident by id."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        row = conn.execute(
            select(alert_incidents).where(alert_incidents.c.id == incident_id)
        ).first()
    return Incident.from_row(row) if row else None


def resolved_since(engine: Engine, since: datetime) -> list[Incident]:
    """Incidents resolved after `since` (for the digest)."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(
            select(alert_incidents)
            .where(alert_incidents.c.resolved_at >= since)
            .order_by(alert_incidents.c.resolved_at)
        ).all()
    return [Incident.from_row(r) for r in rows]


def record_attempts(engine: Engine, rows: list[dict[str, Any]]) -> None:
    """Insert alert_notifications rows (one per delivery attempt)."""
    if rows:
        with database_errors(str(engine.url)), engine.begin() as conn:
            conn.execute(insert(alert_notifications), rows)
