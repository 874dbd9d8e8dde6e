"""Sync one entity at a time: cursor → pages → one transaction per page → sync_log."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sync.config import Settings
from sync.entities import ENTITIES, ENTITY_BY_NAME, EntitySpec, map_page
from sync.errors import ErrorKind, SyncError, redact
from sync.lightspeed.client import LightspeedClient, MalformedResponse
from sync.lightspeed.paging import Page, VersionFeed
from sync.runs import utcnow
from sync.storage.sql.leases import LeaseHolder
from sync.storage.sql.store import Outcome, Progress, RunInfo

if TYPE_CHECKING:
    from sync.storage.backend import LeaseManager, SyncStore

log = logging.getLogger(__name__)

ACTIONS = ("incremental", "full", "backfill")
TRIGGERS = ("schedule", "manual", "cli")


@dataclass(frozen=True)
class EntityResult:
    """What one entity's run did; `error` is set when it failed."""

    entity: str
    run_id: str
    status: str
    upserted: int = 0
    deleted: int = 0
    rejected: int = 0
    children_upserted: int = 0
    api_calls: int = 0
    pages: int = 0
    version_from: int = 0
    version_to: int | None = None
    seconds: float = 0.0
    error: SyncError | None = None
    note: str | None = None


PageCallback = Callable[[str, Progress, float], None]


class _Prefetch:
    """Fetches the next page in a daemon thread while the current one is written.

    A daemon thread (not an executor) so that a shutdown never waits for a slow request.
    """

    def __init__(self, fetch: Callable[[int], Page], after: int) -> None:
        self._page: Page | None = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        threading.Thread(target=self._run, args=(fetch, after), daemon=True).start()

    def _run(self, fetch: Callable[[int], Page], after: int) -> None:
        try:
            self._page = fetch(after)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller in result()
            self._error = exc
        finally:
            self._done.set()

    def result(self) -> Page:
        self._done.wait()
        if self._error is not None:
            raise self._error
        assert self._page is not None
        return self._page

    def settle(self) -> None:
        """Wait for the request to finish, ignoring its outcome."""
        self._done.wait()


class Runner:
    """Runs syncs against one store. `stop` lets a signal end a run between pages."""

    def __init__(
        self,
        settings: Settings,
        store: SyncStore,
        *,
        client_factory: Callable[[], LightspeedClient] | None = None,
        clock: Callable[[], datetime] = utcnow,
        on_page: PageCallback | None = None,
        stop: threading.Event | None = None,
        prefetch: bool = True,
        leases: LeaseManager | None = None,
        lock_wait_seconds: float = 0.0,
    ) -> None:
        self.settings = settings
        self.store = store
        self.client_factory = client_factory or (lambda: LightspeedClient(settings))
        self.clock = clock
        self.on_page = on_page
        self.stop = stop or threading.Event()
        self.prefetch = prefetch
        self.leases = leases if leases is not None else store.leases(settings.lock_ttl_seconds)
        self.lock_wait_seconds = lock_wait_seconds
        self._renewed_at = 0.0

    def run(
        self,
        entities: Sequence[str] | None = None,
        *,
        full: bool = False,
        trigger: str = "cli",
        triggered_by: str | None = None,
        run_id: str | None = None,
    ) -> list[EntityResult]:
        """Sync the named entities (default all); each one is isolated from the others."""
        specs = [ENTITY_BY_NAME[name] for name in entities] if entities else list(ENTITIES)
        info = RunInfo(
            run_id=run_id or str(uuid.uuid4()),
            action="full" if full else "incremental",
            trigger=trigger,
            triggered_by=triggered_by,
        )
        results: list[EntityResult] = []
        try:
            client = self.client_factory()
        except SyncError as exc:
            return [self._not_started(spec, info.run_id, exc) for spec in specs]
        fatal: SyncError | None = None
        try:
            for spec in specs:
                if fatal is not None:
                    # The token or settings are wrong: every further call would fail the same way.
                    results.append(self._record_skip(spec, info, fatal))
                    continue
                result = self.run_entity(spec, client, info)
                results.append(result)
                if result.error is not None and result.error.kind in (
                    ErrorKind.AUTH,
                    ErrorKind.CONFIG,
                ):
                    fatal = result.error
        finally:
            client.close()
        return results

    def run_entity(
        self,
        spec: EntitySpec,
        client: LightspeedClient,
        info: RunInfo,
    ) -> EntityResult:
        """One entity under its lease: skipped (with a note) while another process syncs it."""
        return self.with_lease(spec, info, lambda: self._run_entity(spec, client, info))

    def with_lease(
        self, spec: EntitySpec, info: RunInfo, work: Callable[[], EntityResult]
    ) -> EntityResult:
        """Run `work` holding the entity's lease; a busy entity gives a `skipped` result."""
        try:
            holder = self._acquire(spec.name)
        except SyncError as exc:
            log.error("%s: could not take the lease: %s", spec.name, exc)
            return self._not_started(spec, info.run_id, exc)
        if holder is not None:
            note = f"already being synced by {holder.describe()}"
            log.info("%s: skipped, %s", spec.name, note)
            return EntityResult(entity=spec.name, run_id=info.run_id, status="skipped", note=note)
        try:
            return work()
        finally:
            try:
                self.leases.release(spec.name)
            except SyncError as exc:
                log.warning("%s: lease not released (it will expire): %s", spec.name, exc)

    def _acquire(self, entity: str) -> LeaseHolder | None:
        deadline = time.monotonic() + self.lock_wait_seconds
        announced = False
        while True:
            holder = self.leases.acquire(entity, self.clock())
            if holder is None:
                self._renewed_at = time.monotonic()
                return None
            if time.monotonic() >= deadline or self.stop.is_set():
                return holder
            if not announced:
                log.info("%s: waiting for the run of %s to finish", entity, holder.describe())
                announced = True
            self.stop.wait(min(1.0, max(0.0, deadline - time.monotonic())))

    def renew_lease(self, entity: str) -> None:
        # A renewal every 10 s keeps the lease far from its expiry at little cost.
        if time.monotonic() - self._renewed_at >= 10:
            self.leases.renew(entity, self.clock())
            self._renewed_at = time.monotonic()

    def _run_entity(
        self,
        spec: EntitySpec,
        client: LightspeedClient,
        info: RunInfo,
    ) -> EntityResult:
        """One entity: read the cursor, page until empty, record the outcome."""
        run_id = info.run_id
        started = self.clock()
        t0 = time.monotonic()
        try:
            cursor = 0 if info.action == "full" else self.store.cursor(spec.name)
            trackers = self.store.start_run(
                info, entities=spec.state_names, version_from=cursor, now=started
            )
        except SyncError as exc:
            log.error("%s: could not start: %s", spec.name, exc)
            return self._not_started(spec, run_id, exc)
        calls_before = client.api_calls
        version_from = cursor
        error: SyncError | None = None
        status = "success"
        try:
            cursor = self._walk(spec, client, cursor, run_id, trackers, calls_before, t0)
            if self.stop.is_set():
                status = "interrupted"
        except SyncError as exc:
            error, status = exc, "failed"
            if isinstance(exc, MalformedResponse):
                self._record_malformed(spec, run_id, trackers[0].version_to or cursor, exc)
        except Exception as exc:  # a bug must not stop the other entities
            log.exception("%s: unexpected failure", spec.name)
            error = SyncError(
                ErrorKind.API,
                f"Unexpected {type(exc).__name__} while syncing {spec.name}: "
                f"{redact(str(exc)[:200], *self.settings.secrets)}",
            )
            status = "failed"
        main = trackers[0]
        main.api_calls = client.api_calls - calls_before
        if status == "success" and main.rejected:
            status = "partial"
        outcome = Outcome(
            status=status,
            error_type=error.kind.value
            if error
            else (ErrorKind.VALIDATION.value if status == "partial" else None),
            error_details=error.details()
            if error
            else (
                f"{main.rejected} record(s) did not match the expected shape; see sync_rejects."
                if status == "partial"
                else None
            ),
        )
        try:
            self.store.finish_run(spec, trackers, outcome, started_at=started, now=self.clock())
        except SyncError as exc:
            log.error("%s: could not record the outcome: %s", spec.name, exc)
            error = error or exc
            status = "failed"
        seconds = time.monotonic() - t0
        self._log_result(spec.name, status, main, seconds, error)
        return EntityResult(
            entity=spec.name,
            run_id=run_id,
            status=status,
            upserted=main.upserted,
            deleted=main.deleted,
            rejected=main.rejected,
            children_upserted=trackers[1].upserted if len(trackers) > 1 else 0,
            api_calls=main.api_calls,
            pages=main.pages,
            version_from=version_from,
            version_to=main.version_to,
            seconds=seconds,
            error=error,
        )

    def _walk(
        self,
        spec: EntitySpec,
        client: LightspeedClient,
        cursor: int,
        run_id: str,
        trackers: list[Progress],
        calls_before: int,
        t0: float,
    ) -> int:
        def fetch(after: int) -> Page:
            return client.list_page(spec.path, after, deleted=spec.send_deleted)

        feed = VersionFeed(spec.path, cursor)
        pending: _Prefetch | None = None
        page = fetch(feed.cursor)
        while not self.stop.is_set():
            feed.advance(page)
            if feed.finished:
                break
            if self.prefetch:
                pending = _Prefetch(fetch, feed.cursor)
            try:
                mapped = map_page(spec, page.rows, self.clock())
                self.store.write_page(
                    spec,
                    mapped,
                    cursor=feed.cursor,
                    run_id=run_id,
                    trackers=trackers,
                    now=self.clock(),
                )
            except BaseException:
                if pending is not None:
                    pending.settle()  # the client is shared with the next entity
                raise
            self.renew_lease(spec.name)
            trackers[0].api_calls = client.api_calls - calls_before
            if self.on_page:
                self.on_page(spec.name, trackers[0], time.monotonic() - t0)
            if self.stop.is_set():
                break  # do not wait for the next page: shutdown must be quick
            page = pending.result() if pending is not None else fetch(feed.cursor)
            pending = None
        return feed.cursor

    def _record_malformed(
        self, spec: EntitySpec, run_id: str, cursor: int, exc: MalformedResponse
    ) -> None:
        try:
            self.store.record_reject(
                run_id,
                spec.name,
                f"{exc.message} (page after version {cursor})",
                {"excerpt": exc.excerpt},
                self.clock(),
            )
        except SyncError as db_exc:
            log.error("%s: could not record the malformed page: %s", spec.name, db_exc)

    def _record_skip(self, spec: EntitySpec, info: RunInfo, cause: SyncError) -> EntityResult:
        now = self.clock()
        skipped = SyncError(cause.kind, f"Not attempted: {cause.message}", recovery=cause.recovery)
        try:
            cursor = self.store.cursor(spec.name)
            trackers = self.store.start_run(
                info, entities=spec.state_names, version_from=cursor, now=now
            )
            outcome = Outcome("failed", cause.kind.value, skipped.details())
            self.store.finish_run(spec, trackers, outcome, started_at=now, now=self.clock())
        except SyncError as exc:
            log.error("%s: could not record the skip: %s", spec.name, exc)
        return EntityResult(entity=spec.name, run_id=info.run_id, status="failed", error=skipped)

    @staticmethod
    def _not_started(spec: EntitySpec, run_id: str, exc: SyncError) -> EntityResult:
        return EntityResult(entity=spec.name, run_id=run_id, status="failed", error=exc)

    @staticmethod
    def _log_result(
        name: str, status: str, main: Progress, seconds: float, error: SyncError | None
    ) -> None:
        rate = main.upserted / seconds if seconds > 0 else 0.0
        message = (
            f"{name}: {status} — {main.upserted} upserted, {main.deleted} deleted, "
            f"{main.rejected} rejected, {main.pages} pages, {main.api_calls} API calls, "
            f"{seconds:.1f} s ({rate:,.0f} records/s)"
        )
        if error:
            log.error("%s; %s", message, error.details())
        else:
            log.info(message)
