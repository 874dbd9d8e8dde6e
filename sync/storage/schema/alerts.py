"""Alert incidents and the notifications sent about them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Identity,
    Index,
    Integer,
    Table,
    Text,
)

from sync.storage.column_types import BigId, UtcDateTime
from sync.storage.schema.base import metadata

alert_incidents = Table(
    "alert_incidents",
    metadata,
    Column("id", BigId, Identity(), primary_key=True),
    Column("store", Text, nullable=False),
    Column("rule", Text, nullable=False),
    Column("entity", Text, nullable=False),  # an entity name, or 'scheduler'
    Column("status", Text, nullable=False),  # open / resolved
    Column("severity", Text, nullable=False),  # warning / error / critical
    Column("title", Text, nullable=False),
    Column("message", Text, nullable=False),  # the latest description of the condition
    Column("error_type", Text),
    Column("recovery", Text),
    Column("since", UtcDateTime(), nullable=False),  # when the condition began
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("last_seen_at", UtcDateTime(), nullable=False),
    Column("resolved_at", UtcDateTime()),
    Column("occurrences", Integer, nullable=False, server_default="1"),
    Column("last_observation", Text),  # what was counted last (a run id, a beat time)
    Column("acknowledged_at", UtcDateTime()),
    Column("acknowledged_by", Text),
    Column("ack_note", Text),
    Column("snoozed_until", UtcDateTime()),
    Column("snoozed_by", Text),
    Column("notified_severity", Text),  # the highest severity already announced
    Column("last_notified_at", UtcDateTime()),
    Column("pending_kind", Text),  # a message still owed to some channel
    Column("pending_at", UtcDateTime()),
)
# At most one open incident per (store, rule, entity), even with two evaluators racing.
Index(
    "ux_alert_incidents_open",
    alert_incidents.c.store,
    alert_incidents.c.rule,
    alert_incidents.c.entity,
    unique=True,
    info={"where": alert_incidents.c.status == "open"},  # partial, see the migration
)
Index("ix_alert_incidents_status", alert_incidents.c.status, alert_incidents.c.severity)
Index("ix_alert_incidents_opened", alert_incidents.c.opened_at)

alert_notifications = Table(
    "alert_notifications",
    metadata,
    Column("id", BigId, Identity(), primary_key=True),
    Column("incident_id", BigInteger),  # null for digest and test messages
    Column("kind", Text, nullable=False),  # open/repeat/escalation/resolved/digest/test
    Column("severity", Text),
    Column("channel", Text, nullable=False),  # the URL with its secrets masked
    Column("status", Text, nullable=False),  # sent / failed
    Column("error", Text),
    Column("title", Text),
    Column("attempted_at", UtcDateTime(), nullable=False),
)
Index("ix_alert_notifications_attempted", alert_notifications.c.attempted_at)
Index(
    "ix_alert_notifications_incident",
    alert_notifications.c.incident_id,
    alert_notifications.c.attempted_at,
)
