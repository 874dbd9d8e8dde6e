"""What the sync keeps about its own work: per-entity state, the run log, run-now requests,
the scheduler's heartbeat, rejects, leases, reconciliations, run totals and migrations."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Double,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    Table,
    Text,
    text,
)

from sync.runs import NEVER, OPEN_REQUESTS, Action, RequestStatus
from sync.storage.column_types import BigId, ExactNumber, JsonDocument, UtcDateTime
from sync.storage.schema.base import metadata

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
    # Stores syncing at once in the run's scheduler process (migration 0021; null: one).
    Column("stores_at_once", Integer),
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
