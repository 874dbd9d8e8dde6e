"""What the engine and the scheduler need from a store, one Protocol per role.

`SyncStore` combines the roles; the SQL store (sync.storage.sql.store.Store) and the
Supabase REST store (sync.storage.rest.store.RestStore) are both one. A caller that needs
only one role can ask for just that role.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from sync.runs import Action

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from sync.entities import EntitySpec, MappedPage
    from sync.health.snapshot import RunLogSnapshot
    from sync.storage.incidents import Changes, Incident, Wanted
    from sync.storage.leasing import LeaseHolder
    from sync.storage.position import PagePosition
    from sync.storage.queueing import Claim, Enqueued
    from sync.storage.runlog import Outcome, Progress, RunInfo, RunMetrics


class RunLog(Protocol):
    """Opens and closes runs: sync_log rows and the entities' sync_state."""

    def ensure_state_rows(self) -> None:
        """Create the sync_state row of every entity that has none."""
        ...

    def cursor(self, entity: str) -> int:
        """The stored version cursor of `entity` (0 when never synced)."""
        ...

    def last_attempt(self, entity: str) -> tuple[datetime | None, str]:
        """When a run of `entity` last started, by any process (None: never), and the
        entity's sync status since."""
        ...

    def start_run(
        self, info: RunInfo, *, entities: Sequence[str], version_from: int, now: datetime
    ) -> list[Progress]:
        """Open a `running` sync_log row per entity; returns their progress trackers."""
        ...

    def finish_run(
        self,
        spec: EntitySpec,
        trackers: Sequence[Progress],
        outcome: Outcome,
        *,
        started_at: datetime,
        now: datetime,
        is_sync: bool = True,
        metrics: RunMetrics | None = None,
    ) -> None:
        """Close the run's sync_log rows (with the run's metrics) and update sync_state."""
        ...


class PageWriter(Protocol):
    """Writes the copy page by page, each page with its cursor and progress."""

    def write_page(self, spec: EntitySpec, page: MappedPage, at: PagePosition) -> None:
        """Write one page (rows, line items, rejects, cursor, progress) atomically."""
        ...

    def bulk_writes(self) -> AbstractContextManager[object]:
        """Entered around a run's page writes (SQLite: WAL checkpoints in the background)."""
        ...

    @property
    def maps_source_pages(self) -> bool:
        """True when `write_source_page` may write pages (it maps the JSON itself)."""
        ...

    @property
    def checks_repeated_keys(self) -> bool:
        """True when `write_source_page` must look for objects that repeat a key unless
        told `keys_distinct` (SQLite's JSON functions read the first of two values)."""
        ...

    def write_source_page(
        self, spec: EntitySpec, body: bytes, at: PagePosition, *, keys_distinct: bool = False
    ) -> bool:
        """Write one page from its source JSON like `write_page`; False: nothing written,
        map the page in Python and call `write_page`. `keys_distinct`: the body is proved
        to hold no object with a key twice."""
        ...

    def record_reject(self, run_id: str, entity: str, reason: str, raw: Any, now: datetime) -> None:
        """Record one rejected record (or page) in sync_rejects."""
        ...

    def mark_missing_deleted(
        self, spec: EntitySpec, seen: set[str], *, trackers: Sequence[Progress], now: datetime
    ) -> int:
        """After a complete full pass: mark live rows whose id was not `seen` deleted.

        Their line items too; returns how many, added to the run's `deleted` count.
        """
        ...


class RunQueue(Protocol):
    """The run-now queue (sync_requests): enqueue, claim once, finish."""

    def request_sync(
        self,
        entity: str,
        *,
        requested_by: str | None,
        reason: str | None,
        now: datetime,
        action: str = Action.INCREMENTAL,
        date_from: date | None = None,
        date_to: date | None = None,
    ) -> Enqueued:
        """Queue a run-now request (merged into an equivalent one)."""
        ...

    def claim_request(
        self,
        holder: str,
        now: datetime,
        *,
        action: str | None = None,
        entities: Collection[str] | None = None,
    ) -> Claim | None:
        """Take the next queued request (and those it satisfies) for `holder`.

        Run-now syncs come before backfills, then the oldest; `action` and `entities`
        narrow what may be taken (a request for 'all' concerns every entity).
        """
        ...

    def set_request_run(self, ids: Sequence[int], run_id: str) -> None:
        """Attach a run to its requests."""
        ...

    def finish_requests(
        self,
        ids: Sequence[int],
        *,
        run_id: str | None,
        failed: bool,
        error: str | None,
        now: datetime,
    ) -> None:
        """Close claimed requests as done or failed."""
        ...

    def fail_orphan_requests(self, now: datetime, stale_after: timedelta) -> int:
        """Fail requests left running by a scheduler that is gone; returns how many."""
        ...


class LeaseManager(Protocol):
    """Per-entity leases of one process."""

    def acquire(self, entity: str, now: datetime) -> LeaseHolder | None:
        """Take the lease of `entity`; None on success, else who holds it."""
        ...

    def renew(self, entity: str, now: datetime) -> None:
        """Push the expiry of a lease this process holds."""
        ...

    def release(self, entity: str) -> None:
        """Drop a lease this process holds (no-op otherwise)."""
        ...


class Leasing(Protocol):
    """Entity leases (sync_locks), and the runs whose holder died."""

    def leases(self, ttl_seconds: float) -> LeaseManager:
        """This process's entity leases."""
        ...

    def mark_orphans(self, now: datetime) -> int:
        """Mark runs left `running` by a dead process as interrupted; returns how many."""
        ...


class StatusBoard(Protocol):
    """The scheduler's heartbeat in, the read model out."""

    def write_heartbeat(self, instance_id: str, values: dict[str, Any]) -> None:
        """Insert or refresh the scheduler_heartbeat row of `instance_id`."""
        ...

    def read_snapshot(
        self, now: datetime, zone: str | None = None, *, day_start: datetime | None = None
    ) -> RunLogSnapshot:
        """Everything the views show about the run log, in one read (sync.storage.reads).

        Its "today" and "yesterday" are store days: `zone` is STORE_TIME_ZONE (None: the
        zone most outlets share).
        """
        ...


class IncidentBook(Protocol):
    """Alert incidents and delivery attempts (sync.storage.incidents has the rules)."""

    def apply(self, wanted: Mapping[tuple[str, str], Wanted], now: datetime) -> Changes:
        """Open, update and resolve incidents so that open ones match `wanted`."""
        ...

    def plan_messages(self, now: datetime, cooldown: timedelta) -> list[Incident]:
        """Decide which message each incident is owed now; those with one pending."""
        ...

    def sent_channels(self, incident: Incident) -> set[str]:
        """Channels that already got the incident's pending message."""
        ...

    def digest_channels(self, since: datetime) -> set[str]:
        """Channels a digest was delivered to since `since`."""
        ...

    def settle(self, incident_ids: Iterable[int]) -> None:
        """Mark the pending message of these incidents as delivered everywhere."""
        ...

    def set_open(self, incident_id: int, **values: Any) -> bool:
        """Set `values` on an open incident (acknowledge, snooze); True if it was open."""
        ...

    def open_incidents(self) -> list[Incident]:
        """Open incidents, most severe first, then oldest first."""
        ...

    def get_incident(self, incident_id: int) -> Incident | None:
        """One incident by id."""
        ...

    def resolved_since(self, since: datetime) -> list[Incident]:
        """Incidents resolved after `since`."""
        ...

    def record_attempts(self, rows: list[dict[str, Any]]) -> None:
        """Insert alert_notifications rows (one per delivery attempt)."""
        ...


class Alerting(Protocol):
    """What the alert service needs of a store: the read model, a lease, the incidents."""

    def read_snapshot(
        self, now: datetime, zone: str | None = None, *, day_start: datetime | None = None
    ) -> RunLogSnapshot:
        """Everything the views show about the run log, in one read (store days in `zone`)."""
        ...

    def leases(self, ttl_seconds: float) -> LeaseManager:
        """This process's leases (the alert evaluator takes the 'alerts' one)."""
        ...

    def incidents(self) -> IncidentBook:
        """The store's alert incidents."""
        ...

    def store_count(self) -> int:
        """How many stores the database holds (alerts name the store when several)."""
        ...


class SqlAccess(Protocol):
    """The SQL engine behind a store, for the features that need SQL.

    The SQL/REST decision is made here and only here: `sql` is the store's engine on the
    SQL store and None on the Supabase REST store, so reconciliation, pruning and
    command-line backfills check `store.sql is None` and say they need a database URL.
    """

    @property
    def sql(self) -> Engine | None:
        """The SQLAlchemy engine, or None when the store has no SQL access (REST)."""
        ...


class SyncStore(RunLog, PageWriter, RunQueue, Leasing, StatusBoard, Alerting, SqlAccess, Protocol):
    """Everything the runner and the scheduler do to the copy, over SQL or REST."""

    url: str
    prefix: str  # the Lightspeed store (domain prefix) whose rows it writes and reads

    def pending_migrations(self) -> list[int]:
        """Shipped migrations the database has not applied."""
        ...
