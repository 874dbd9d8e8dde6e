"""Alert incidents and notifications over REST (the rules and the row type are in
sync.storage.incidents); mirrors sync.storage.sql.incidents.

PostgREST has no transaction across requests: one evaluator at a time holds the 'alerts'
lease, and the partial unique index still refuses a second open incident of a rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from postgrest.exceptions import APIError
from postgrest.types import ReturnMethod

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
from sync.storage.rest.db import RestBase, parse_time

_TIMES = (
    "since",
    "opened_at",
    "last_seen_at",
    "resolved_at",
    "acknowledged_at",
    "snoozed_until",
    "last_notified_at",
    "pending_at",
)


def _json(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in values.items()}


def _incident(row: dict[str, Any]) -> Incident:
    return Incident.from_row({**row, **{k: parse_time(row.get(k)) for k in _TIMES}})


class RestIncidents:
    """The incident book of one store (`rest.prefix`) over PostgREST."""

    def __init__(self, rest: RestBase) -> None:
        self.rest = rest
        self.store = rest.prefix

    def _table(self) -> Any:
        return self.rest.table("alert_incidents")

    def _update(self, incident_id: int, values: dict[str, Any]) -> None:
        self.rest.execute(
            self._table()
            .update(_json(values), returning=ReturnMethod.minimal)
            .eq("store", self.store)
            .eq("id", incident_id)
        )

    def apply(self, wanted: Mapping[tuple[str, str], Wanted], now: datetime) -> Changes:
        """Open, update and resolve incidents so that open ones match `wanted`."""
        changes = Changes([], [], [])
        query = self._table().select("*").eq("store", self.store).eq("status", "open")
        rows = self.rest.execute(query).data
        open_rows = {(r["rule"], r["entity"]): r for r in rows}
        for key, want in wanted.items():
            row = open_rows.get(key)
            if row is None:
                new_id = self._open({**opened_values(key, want, now), "store": self.store})
                if new_id is not None:
                    changes.opened.append(new_id)
                continue
            self._update(
                row["id"], seen_values(want, row["occurrences"], row["last_observation"], now)
            )
            changes.updated.append(row["id"])
        for key, row in open_rows.items():
            if key not in wanted:
                self._update(row["id"], resolved_values(row["notified_severity"], now))
                changes.resolved.append(row["id"])
        return changes

    def _open(self, values: dict[str, Any]) -> int | None:
        try:
            inserted = self._table().insert(_json(values)).execute().data
        except APIError as exc:
            if exc.code == "23505":
                return None  # another evaluator opened it a moment ago
            raise self.rest.error(exc) from None
        except Exception as exc:  # noqa: BLE001 - network errors get one sentence
            raise self.rest.error(exc) from None
        return int(inserted[0]["id"])

    def plan_messages(self, now: datetime, cooldown: timedelta) -> list[Incident]:
        """Decide which message each incident is owed now; returns incidents with one pending."""
        owed = []
        rows = self.rest.execute(
            self._table()
            .select("*")
            .eq("store", self.store)
            .or_("status.eq.open,pending_kind.not.is.null")
        ).data
        for row in rows:
            incident = _incident(row)
            values = planned(incident, now, cooldown)
            if values:
                self._update(incident.id, values)
                incident = replace(incident, **values)
            if incident.pending_kind:
                owed.append(incident)
        return owed

    def _sent(self, **conditions: Any) -> set[str]:
        query = self.rest.table("alert_notifications").select("channel").eq("status", "sent")
        for column, value in conditions.items():
            if column == "attempted_at":
                query = query.gte(column, value.isoformat())
            else:
                query = query.eq(column, value)
        return {r["channel"] for r in self.rest.execute(query).data}

    def sent_channels(self, incident: Incident) -> set[str]:
        """Channels that already got the incident's pending message."""
        return self._sent(
            incident_id=incident.id, kind=incident.pending_kind, attempted_at=incident.pending_at
        )

    def digest_channels(self, since: datetime) -> set[str]:
        """Channels a digest was delivered to since `since`."""
        return self._sent(kind="digest", attempted_at=since)

    def settle(self, incident_ids: Iterable[int]) -> None:
        """Mark the pending message of these incidents as delivered everywhere."""
        ids = list(incident_ids)
        if ids:
            self.rest.execute(
                self._table()
                .update({"pending_kind": None, "pending_at": None}, returning=ReturnMethod.minimal)
                .eq("store", self.store)
                .in_("id", ids)
            )

    def set_open(self, incident_id: int, **values: Any) -> bool:
        """Set `values` on an open incident (acknowledge, snooze); True if it was open."""
        done = self.rest.execute(
            self._table()
            .update(_json(values))
            .eq("store", self.store)
            .eq("id", incident_id)
            .eq("status", "open")
        ).data
        # A message not yet delivered is no longer needed once a human has seen it.
        self.rest.execute(
            self._table()
            .update({"pending_kind": None, "pending_at": None}, returning=ReturnMethod.minimal)
            .eq("store", self.store)
            .eq("id", incident_id)
            .in_("pending_kind", ["open", "repeat"])
        )
        return len(done) == 1

    def open_incidents(self) -> list[Incident]:
        """Open incidents, most severe first, then oldest first."""
        rows = self.rest.execute(
            self._table()
            .select("*")
            .eq("store", self.store)
            .eq("status", "open")
            .order("opened_at")
            .order("id")
        ).data
        return sorted((_incident(r) for r in rows), key=lambda i: -rank(i.severity))

    def get_incident(self, incident_id: int) -> Incident | None:
        """One incident by id."""
        query = self._table().select("*").eq("store", self.store).eq("id", incident_id)
        rows = self.rest.execute(query).data
        return _incident(rows[0]) if rows else None

    def resolved_since(self, since: datetime) -> list[Incident]:
        """Incidents resolved after `since` (for the digest)."""
        rows = self.rest.execute(
            self._table()
            .select("*")
            .eq("store", self.store)
            .gte("resolved_at", since.isoformat())
            .order("resolved_at")
        ).data
        return [_incident(r) for r in rows]

    def record_attempts(self, rows: list[dict[str, Any]]) -> None:
        """Insert alert_notifications rows (one per delivery attempt)."""
        if rows:
            self.rest.execute(
                self.rest.table("alert_notifications").insert(
                    [_json(r) for r in rows], returning=ReturnMethod.minimal
                )
            )
