"""Alert incidents and notifications over SQL (the rules and the shared row type are in
sync.storage.incidents); mirrored by sync.storage.rest.incidents."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from sync.storage.incidents import (
    Changes,
    Incident,
    Wanted,
    opened_values,
    planned,
    rank,
    resolved_values,
    seen_values,
)
from sync.storage.schema import alert_incidents, alert_notifications
from sync.storage.sql.db import database_errors


class SqlIncidents:
    """The incident book of one store (`store`, its domain prefix) over a SQLAlchemy engine.

    Every read and write is that store's; incident ids are unique across stores.
    """

    def __init__(self, engine: Engine, *, store: str) -> None:
        self.engine = engine
        self.store = store
        self.mine = alert_incidents.c.store == store

    def apply(self, wanted: Mapping[tuple[str, str], Wanted], now: datetime) -> Changes:
        """Open, update and resolve incidents so that open ones match `wanted`, in one
        transaction."""
        changes = Changes([], [], [])
        c = alert_incidents.c
        with database_errors(str(self.engine.url)), self.engine.begin() as conn:
            open_rows = {
                (r.rule, r.entity): r
                for r in conn.execute(select(alert_incidents).where(self.mine, c.status == "open"))
            }
            for key, want in wanted.items():
                row = open_rows.get(key)
                if row is None:
                    values = {**opened_values(key, want, now), "store": self.store}
                    new_id = self._open(conn, values)
                    if new_id is not None:
                        changes.opened.append(new_id)
                    continue
                values = seen_values(want, row.occurrences, row.last_observation, now)
                conn.execute(update(alert_incidents).where(c.id == row.id).values(**values))
                changes.updated.append(row.id)
            for key, row in open_rows.items():
                if key not in wanted:
                    values = resolved_values(row.notified_severity, now)
                    conn.execute(update(alert_incidents).where(c.id == row.id).values(**values))
                    changes.resolved.append(row.id)
        return changes

    @staticmethod
    def _open(conn: Connection, values: dict[str, Any]) -> int | None:
        try:
            with conn.begin_nested():
                return conn.scalar(
                    insert(alert_incidents).values(**values).returning(alert_incidents.c.id)
                )
        except IntegrityError:
            return None  # another evaluator opened it a moment ago

    def plan_messages(self, now: datetime, cooldown: timedelta) -> list[Incident]:
        """Decide which message each incident is owed now; returns incidents with one pending.

        New: 'open' once; 'escalation' when the severity rises above what was announced (even
        when acknowledged); 'repeat' after the cooldown unless acknowledged. Snoozed incidents
        get nothing new. A message still unsent after the cooldown is given up.
        """
        owed = []
        with database_errors(str(self.engine.url)), self.engine.begin() as conn:
            rows = conn.execute(
                select(alert_incidents).where(
                    self.mine,
                    or_(
                        alert_incidents.c.status == "open",
                        alert_incidents.c.pending_kind.is_not(None),
                    ),
                )
            ).all()
            for row in rows:
                incident = Incident.from_row(row._mapping)
                values = planned(incident, now, cooldown)
                if values:
                    conn.execute(
                        update(alert_incidents)
                        .where(alert_incidents.c.id == row.id)
                        .values(**values)
                    )
                if values:
                    incident = replace(incident, **values)
                if incident.pending_kind:
                    owed.append(incident)
        return owed

    def sent_channels(self, incident: Incident) -> set[str]:
        """Channels that already got the incident's pending message."""
        with database_errors(str(self.engine.url)), self.engine.connect() as conn:
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

    def digest_channels(self, since: datetime) -> set[str]:
        """Channels a digest was delivered to since `since`."""
        c = alert_notifications.c
        with database_errors(str(self.engine.url)), self.engine.connect() as conn:
            return set(
                conn.scalars(
                    select(c.channel).where(
                        c.kind == "digest", c.status == "sent", c.attempted_at >= since
                    )
                )
            )

    def settle(self, incident_ids: Iterable[int]) -> None:
        """Mark the pending message of these incidents as delivered everywhere."""
        ids = list(incident_ids)
        if not ids:
            return
        with database_errors(str(self.engine.url)), self.engine.begin() as conn:
            conn.execute(
                update(alert_incidents)
                .where(self.mine, alert_incidents.c.id.in_(ids))
                .values(pending_kind=None, pending_at=None)
            )

    def set_open(self, incident_id: int, **values: Any) -> bool:
        """Set `values` on an open incident (acknowledge, snooze); True if it was open."""
        with database_errors(str(self.engine.url)), self.engine.begin() as conn:
            done = conn.execute(
                update(alert_incidents)
                .where(
                    self.mine,
                    alert_incidents.c.id == incident_id,
                    alert_incidents.c.status == "open",
                )
                .values(**values)
            ).rowcount
            # A message not yet delivered is no longer needed once a human has seen it.
            conn.execute(
                update(alert_incidents)
                .where(
                    self.mine,
                    alert_incidents.c.id == incident_id,
                    alert_incidents.c.pending_kind.in_(("open", "repeat")),
                )
                .values(pending_kind=None, pending_at=None)
            )
        return done == 1

    def open_incidents(self) -> list[Incident]:
        """Open incidents, most severe first, then oldest first."""
        with database_errors(str(self.engine.url)), self.engine.connect() as conn:
            rows = conn.execute(
                select(alert_incidents)
                .where(self.mine, alert_incidents.c.status == "open")
                .order_by(alert_incidents.c.opened_at, alert_incidents.c.id)
            ).all()
        incidents = [Incident.from_row(r._mapping) for r in rows]
        return sorted(incidents, key=lambda i: -rank(i.severity))

    def get_incident(self, incident_id: int) -> Incident | None:
        """One incident by id."""
        with database_errors(str(self.engine.url)), self.engine.connect() as conn:
            row = conn.execute(
                select(alert_incidents).where(self.mine, alert_incidents.c.id == incident_id)
            ).first()
        return Incident.from_row(row._mapping) if row else None

    def resolved_since(self, since: datetime) -> list[Incident]:
        """Incidents resolved after `since` (for the digest)."""
        with database_errors(str(self.engine.url)), self.engine.connect() as conn:
            rows = conn.execute(
                select(alert_incidents)
                .where(self.mine, alert_incidents.c.resolved_at >= since)
                .order_by(alert_incidents.c.resolved_at)
            ).all()
        return [Incident.from_row(r._mapping) for r in rows]

    def record_attempts(self, rows: list[dict[str, Any]]) -> None:
        """Insert alert_notifications rows (one per delivery attempt)."""
        if rows:
            with database_errors(str(self.engine.url)), self.engine.begin() as conn:
                conn.execute(insert(alert_notifications), rows)
