"""Which store the sync writes to: a SQL database, or a Supabase project over REST.

`SyncStore` is what the runner and the scheduler need from either; `open_store` picks
one from the settings and checks that its schema is current.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sync.config import Settings
from sync.errors import ErrorKind, SyncError

if TYPE_CHECKING:
    from sync.entities import EntitySpec, MappedPage
    from sync.storage.sql.leases import LeaseHolder
    from sync.storage.sql.queue import Claim, Enqueued
    from sync.storage.sql.status import StatusReport
    from sync.storage.sql.store import Outcome, Progress, RunInfo


class LeaseManager(Protocol):
    """Per-entity leases of one process."""

    def acquire(self, entity: str, now: datetime) -> LeaseHolder | None: ...
    def renew(self, entity: str, now: datetime) -> None: ...
    def release(self, entity: str) -> None: ...


class SyncStore(Protocol):
    """Everything the runner and the scheduler do to the copy."""

    url: str
    supports_sql: bool

    def ensure_state_rows(self) -> None: ...
    def cursor(self, entity: str) -> int: ...
    def start_run(
        self, info: RunInfo, *, entities: Sequence[str], version_from: int, now: datetime
    ) -> list[Progress]: ...
    def write_page(
        self,
        spec: EntitySpec,
        page: MappedPage,
        *,
        cursor: int | None,
        run_id: str,
        trackers: Sequence[Progress],
        now: datetime,
    ) -> None: ...
    def finish_run(
        self,
        spec: EntitySpec,
        trackers: Sequence[Progress],
        outcome: Outcome,
        *,
        started_at: datetime,
        now: datetime,
        is_sync: bool = True,
    ) -> None: ...
    def record_reject(
        self, run_id: str, entity: str, reason: str, raw: Any, now: datetime
    ) -> None: ...
    def write_heartbeat(self, instance_id: str, values: dict[str, Any]) -> None: ...
    def leases(self, ttl_seconds: float) -> LeaseManager: ...
    def request_sync(
        self,
        entity: str,
        *,
        requested_by: str | None,
        reason: str | None,
        now: datetime,
        action: str = "incremental",
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> Enqueued: ...
    def claim_request(self, holder: str, now: datetime) -> Claim | None: ...
    def set_request_run(self, ids: Sequence[int], run_id: str) -> None: ...
    def finish_requests(
        self,
        ids: Sequence[int],
        *,
        run_id: str | None,
        failed: bool,
        error: str | None,
        now: datetime,
    ) -> None: ...
    def fail_orphan_requests(self, now: datetime, stale_after: timedelta) -> int: ...
    def mark_orphans(self, now: datetime) -> int: ...
    def status_report(self, now: datetime, settings: Settings) -> StatusReport: ...
    def pending_migrations(self) -> list[int]: ...


def uses_supabase_rest(settings: Settings) -> bool:
    """True when the Supabase REST backend is configured and DATABASE_URL is not."""
    return bool(
        settings.supabase_url
        and settings.supabase_service_role_key
        and not settings.database_url_set
    )


def open_store(settings: Settings, *, check_schema: bool = True) -> SyncStore:
    """The configured store, its schema checked (one clear sentence when behind)."""
    missing_key = not settings.supabase_service_role_key
    if settings.supabase_url and missing_key and not settings.database_url_set:
        raise SyncError(
            ErrorKind.CONFIG,
            "SUPABASE_URL is set but SUPABASE_SERVICE_ROLE_KEY is not, and there is no "
            "DATABASE_URL: the sync has no database to write to.",
            recovery="Put the project's service_role (secret) key in "
            "SUPABASE_SERVICE_ROLE_KEY, or set DATABASE_URL.",
        )
    if uses_supabase_rest(settings):
        from sync.storage.rest.store import RestStore

        assert settings.supabase_url and settings.supabase_service_role_key
        store: SyncStore = RestStore(
            settings.supabase_url,
            settings.supabase_service_role_key,
            timeout_seconds=settings.http_timeout_seconds,
        )
        where = f"The Supabase project {settings.supabase_url}"
        how = (
            "Run `python -m sync migrate` with DATABASE_URL set to the project's Postgres "
            "connection string, or paste sql/supabase/setup.sql into the Supabase SQL editor."
        )
    else:
        from sync.storage.sql.db import create_db_engine, safe_url
        from sync.storage.sql.store import Store

        store = Store(create_db_engine(settings.database_url))
        where = f"The database {safe_url(settings.database_url)}"
        how = "Run `python -m sync migrate` first."
    if check_schema and store.pending_migrations():
        raise SyncError(
            ErrorKind.CONFIG,
            f"{where} has not been migrated to this version.",
            recovery=how,
        )
    return store
