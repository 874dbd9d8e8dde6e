"""SQLAlchemy Core tables: the one description of the database for SQLite and Postgres."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)

from sync.entities import ENTITIES, Field
from sync.runs import NEVER, OPEN_REQUESTS, Action, RequestStatus
from sync.storage.column_types import SQL_TYPES, BigId, ExactNumber, JsonDocument, UtcDateTime

metadata = MetaData()


def _columns(fields: tuple[Field, ...]) -> list[Column[Any]]:
    return [Column(f.name, SQL_TYPES[f.kind]()) for f in fields]


def _common_tail() -> list[Column[Any]]:
    return [
        Column("deleted_at", UtcDateTime()),
        Column("raw", JsonDocument, nullable=False),
        Column("synced_at", UtcDateTime(), nullable=False),
    ]


def _entity_tables() -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for spec in ENTITIES:
        table = Table(
            spec.table,
            metadata,
            Column("store", Text, nullable=False),
            Column("id", Text, nullable=False),
            Column("version", BigInteger, nullable=False),
            *_columns(spec.fields),
            *_common_tail(),
            PrimaryKeyConstraint("store", "id"),
        )
        for cols in spec.indexes:
            Index(f"ix_{spec.table}_{'_'.join(cols)}", *(table.c[c] for c in cols))
        tables[spec.name] = table
        if spec.child is not None:
            child = spec.child
            child_table = Table(
                child.table,
                metadata,
                Column("store", Text, nullable=False),
                Column(child.parent_column, Text, nullable=False),
                Column("id", Text, nullable=False),
                Column("version", BigInteger, nullable=False),
                *_columns(child.fields),
                *_common_tail(),
                PrimaryKeyConstraint("store", child.parent_column, "id", name=f"pk_{child.table}"),
            )
            Index(f"ix_{child.table}_product_id", child_table.c.product_id)
            tables[child.name] = child_table
    return tables


ENTITY_TABLES = _entity_tables()

# The Lightspeed stores this database holds (migration 0016): the domain prefix is the key
# every row of store data carries in its `store` column. No secret lives here.
lightspeed_stores = Table(
    "lightspeed_stores",
    metadata,
    Column("prefix", Text, primary_key=True),
    Column("name", Text, nullable=False),
    Column("time_zone", Text),  # null until known
    Column("connection", Text, nullable=False, server_default="token"),  # token / app
    Column("added_at", UtcDateTime(), nullable=False),
    Column("enabled", Boolean, nullable=False, server_default=text("true")),
    CheckConstraint("connection IN ('token', 'app')", name="ck_lightspeed_stores_connection"),
)

# The stores a database role may read (migration 0018): row-level security limits a role
# listed here, or a member of one, to the rows of its stores (`python -m sync store grant`).
store_readers = Table(
    "store_readers",
    metadata,
    Column("role", Text, primary_key=True),
    Column(
        "store",
        Text,
        ForeignKey("lightspeed_stores.prefix", name="fk_store_readers_store"),
        primary_key=True,
    ),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("store", Text, primary_key=True),
    Column("entity_type", Text, primary_key=True),
    Column("last_sync_time", UtcDateTime()),
    Column("last_attempt_at", UtcDateTime()),
    Column("status", Text, nullable=False, server_default=NEVER),
    Column("error_type", Text),
    Column("error_message", Text),
    Column("cursor_version", BigInteger, nullable=False, server_default="0"),
    Column("last_run_id", Text),
    Column("records_total", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", UtcDateTime()),
)

sync_log = Table(
    "sync_log",
    metadata,
    Column("id", BigId, Identity(), primary_key=True),
    Column("run_id", Text, nullable=False),
    Column("store", Text, nullable=False),
    Column("entity_type", Text, nullable=False),
    Column("action", Text, nullable=False),
    Column("trigger", Text, nullable=False),
    Column("triggered_by", Text),
    Column("status", Text, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("finished_at", UtcDateTime()),
    Column("duration_ms", BigInteger),
    Column("records_upserted", BigInteger, nullable=False, server_default="0"),
    Column("records_deleted", BigInteger, nullable=False, server_default="0"),
    Column("records_rejected", BigInteger, nullable=False, server_default="0"),
    Column("api_calls", Integer, nullable=False, server_default="0"),
    Column("pages", Integer, nullable=False, server_default="0"),
    Column("version_from", BigInteger),
    Column("version_to", BigInteger),
    Column("error_type", Text),
    Column("error_details", Text),
    Column("host", Text),
    Column("pid", Integer),
    # Run metrics (migration 0009), written when the run finishes.
    Column("peak_rss_bytes", BigInteger),
    Column("api_ms_mean", Double),
    Column("api_ms_p95", Double),
    Column("api_retries", Integer),
)
# The latest runs of one store's entity, newest first with the id as tiebreak (0020).
Index(
    "ix_sync_log_store_entity_started_id",
    sync_log.c.store,
    sync_log.c.entity_type,
    sync_log.c.started_at,
    sync_log.c.id,
)
# The health summary's latest success before a failure streak, per entity (0009, 0016).
Index(
    "ix_sync_log_store_entity_status_started",
    sync_log.c.store,
    sync_log.c.entity_type,
    sync_log.c.status,
    sync_log.c.started_at,
)
Index("ix_sync_log_started", sync_log.c.started_at)
Index("ix_sync_log_run_id", sync_log.c.run_id)
Index("ix_sync_log_status", sync_log.c.status)

sync_requests = Table(
    "sync_requests",
    metadata,
    Column("id", BigId, Identity(), primary_key=True),
    Column("store", Text, nullable=False),
    Column("entity_type", Text, nullable=False),
    Column("requested_by", Text),
    Column("reason", Text),
    Column("requested_at", UtcDateTime(), nullable=False),
    Column("status", Text, nullable=False, server_default=RequestStatus.QUEUED.value),
    Column("started_at", UtcDateTime()),
    Column("finished_at", UtcDateTime()),
    Column("run_id", Text),
    Column("error", Text),
    Column("claimed_by", Text),
    Column("action", Text, nullable=False, server_default="incremental"),
    Column("date_from", Date),
    Column("date_to", Date),
)
Index("ix_sync_requests_status_requested", sync_requests.c.status, sync_requests.c.requested_at)
# Requests per requester and hour are capped by a trigger (migration 0013).
Index("ix_sync_requests_requested_by", sync_requests.c.requested_by, sync_requests.c.requested_at)
_OPEN_BACKFILL = text(
    f"action = '{Action.BACKFILL}' AND status IN ({', '.join(repr(str(s)) for s in OPEN_REQUESTS)})"
)
# At most one open backfill per entity (migration 0007). The partial predicate lives in the
# migration and in `info`: a `postgresql_where=` here would import the Postgres dialect on
# every start, SQLite included.
Index(
    "ux_sync_requests_open_backfill",
    sync_requests.c.store,
    sync_requests.c.entity_type,
    unique=True,
    info={"where": _OPEN_BACKFILL},
)

scheduler_heartbeat = Table(
    "scheduler_heartbeat",
    metadata,
    Column("instance_id", Text, primary_key=True),
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UtcDateTime(), nullable=False),
    Column("last_beat_at", UtcDateTime(), nullable=False),
    Column("next_run_at", UtcDateTime()),
    Column("activity", JsonDocument),
    Column("store", Text),  # the store its loop syncs (None: written before migration 0020)
)

sync_rejects = Table(
    "sync_rejects",
    metadata,
    Column("id", BigId, Identity(), primary_key=True),
    Column("run_id", Text, nullable=False),
    Column("store", Text, nullable=False),
    Column("entity_type", Text, nullable=False),
    Column("source_id", Text),
    Column("reason", Text, nullable=False),
    Column("raw", JsonDocument),
    Column("rejected_at", UtcDateTime(), nullable=False),
)
Index("ix_sync_rejects_entity", sync_rejects.c.entity_type, sync_rejects.c.rejected_at)

sync_locks = Table(
    "sync_locks",
    metadata,
    Column("store", Text, primary_key=True),
    Column("entity_type", Text, primary_key=True),
    Column("holder", Text, nullable=False),
    Column("host", Text, nullable=False),
    Column("pid", Integer, nullable=False),
    Column("acquired_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
)

reconciliations = Table(
    "reconciliations",
    metadata,
    Column("id", BigId, Identity(), primary_key=True),
    Column("run_id", Text, nullable=False),
    Column("store", Text, nullable=False),
    Column("entity_type", Text, nullable=False),
    Column("scope", Text, nullable=False),  # 'all', or 'YYYY-MM-DD outlet <id>'
    Column("measure", Text, nullable=False),  # records / closed_sales / sales_total / line_total
    Column("source_value", ExactNumber()),
    Column("db_value", ExactNumber()),
    Column("difference", ExactNumber()),
    Column("status", Text, nullable=False),  # matched / mismatch / error
    Column("details", Text),
    Column("checked_at", UtcDateTime(), nullable=False),
)
Index("ix_reconciliations_checked", reconciliations.c.checked_at)
Index(
    "ix_reconciliations_store_entity",
    reconciliations.c.store,
    reconciliations.c.entity_type,
    reconciliations.c.checked_at,
)

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

# Dashboard password checks: a row is taken before the check (outcome 'checking') and
# closed after it, so attempts in flight count against the limit (sync.auth). The database
# sets attempted_at and db_user (the login that took the row) itself (migration 0013).
login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", BigId, Identity(), primary_key=True),
    Column("username", Text, nullable=False),
    Column("client", Text, nullable=False),
    Column("outcome", Text, nullable=False),  # checking/failed/succeeded/refused/unlocked
    Column("attempted_at", UtcDateTime(), nullable=False),
    Column("db_user", Text),
)
Index("ix_login_attempts_username", login_attempts.c.username, login_attempts.c.attempted_at)
Index("ix_login_attempts_client", login_attempts.c.client, login_attempts.c.attempted_at)

# The OAuth tokens of each store connected as an app (0008: one row; 0016: one row per store,
# written by `connect`), read only by the writer. The dashboard role has no privilege on it
# (0008 revokes it; RLS on Supabase).
lightspeed_app_tokens = Table(
    "lightspeed_app_tokens",
    metadata,
    Column("store", Text, primary_key=True),
    Column("domain_prefix", Text),
    Column("access_token", Text),
    Column("refresh_token", Text),
    Column("expires_at", BigInteger),  # epoch seconds, as Lightspeed's `expires`
    Column("scope", Text),
    Column("refreshed_at", BigInteger),  # epoch seconds of the last exchange or refresh
    Column("connected_at", UtcDateTime()),
)

# The personal token of each store added with `store add` (migration 0017), read only by
# the writer: no read-only role has a privilege on it (RLS on, no policy).
lightspeed_store_tokens = Table(
    "lightspeed_store_tokens",
    metadata,
    Column("store", Text, primary_key=True),
    Column("token", Text, nullable=False),
    Column("saved_at", UtcDateTime(), nullable=False),
)

# Health API keys (migration 0010): only a SHA-256 hash of each key is kept. The API's role
# (sync_api) reads them and stamps last_used_at; dashboard_reader has no privilege on it.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", BigId, Identity(), primary_key=True),
    Column("name", Text, nullable=False),
    Column("prefix", Text, nullable=False),
    Column("key_hash", Text, nullable=False),
    Column("scope", Text, nullable=False),  # read / admin
    Column("created_at", UtcDateTime(), nullable=False),
    Column("last_used_at", UtcDateTime()),
    Column("revoked_at", UtcDateTime()),
    CheckConstraint("scope IN ('read', 'admin')", name="ck_api_keys_scope"),
)
Index("ux_api_keys_name", api_keys.c.name, unique=True)
Index("ix_api_keys_prefix", api_keys.c.prefix)

# The stores each API key may see (migration 0019); a key with no row sees every store.
api_key_stores = Table(
    "api_key_stores",
    metadata,
    Column("key_id", BigInteger, primary_key=True),
    Column("store", Text, primary_key=True),
)

# Finished runs per entity and status, counted by a trigger on sync_log (migration 0009)
# so that pruning sync_log never lowers them: Prometheus' lightspeed_sync_runs_total.
sync_run_totals = Table(
    "sync_run_totals",
    metadata,
    Column("store", Text, nullable=False),
    Column("entity_type", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("runs", BigInteger, nullable=False, server_default="0"),
    PrimaryKeyConstraint("store", "entity_type", "status"),
)

schema_migrations = Table(
    "schema_migrations",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("description", Text, nullable=False),
    Column("applied_at", UtcDateTime(), nullable=False),
)

__all__ = [
    "ENTITY_TABLES",
    "Boolean",
    "ExactNumber",
    "UtcDateTime",
    "alert_incidents",
    "alert_notifications",
    "api_key_stores",
    "api_keys",
    "lightspeed_app_tokens",
    "lightspeed_store_tokens",
    "lightspeed_stores",
    "login_attempts",
    "metadata",
    "reconciliations",
    "scheduler_heartbeat",
    "schema_migrations",
    "store_readers",
    "sync_locks",
    "sync_log",
    "sync_rejects",
    "sync_requests",
    "sync_run_totals",
    "sync_state",
]
