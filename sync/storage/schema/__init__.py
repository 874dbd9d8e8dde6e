"""SQLAlchemy Core tables: the one description of the database for SQLite and Postgres.

One module per subject; every table belongs to `metadata` (base.py). Import tables from here.
"""

from __future__ import annotations

from sqlalchemy import Boolean

from sync.storage.column_types import ExactNumber, UtcDateTime
from sync.storage.schema.access import (
    api_key_stores,
    api_keys,
    lightspeed_app_tokens,
    lightspeed_store_tokens,
    login_attempts,
)
from sync.storage.schema.alerts import alert_incidents, alert_notifications
from sync.storage.schema.base import metadata
from sync.storage.schema.copies import ENTITY_TABLES, lightspeed_stores, store_readers
from sync.storage.schema.run_log import (
    reconciliations,
    scheduler_heartbeat,
    schema_migrations,
    sync_locks,
    sync_log,
    sync_rejects,
    sync_requests,
    sync_run_totals,
    sync_state,
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
