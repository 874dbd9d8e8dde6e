"""Sync one entity at a time: cursor → pages → one transaction per page → sync_log."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sync.config import Settings
from sync.engine.connection import open_client
from sync.engine.skeleton import SKIPPED, EntityResult, EntityRun, not_started, run_skeleton
from sync.entities import ENTITIES, ENTITY_BY_NAME, EntitySpec, map_page
from sync.errors import ErrorKind, SyncError
from sync.lightspeed.client import LightspeedClient
from sync.lightspeed.paging import Page, VersionFeed
from sync.runs import Action, RunStatus, Trigger, utcnow
from sync.storage.leasing import LeaseHolder
from sync.storage.runlog import Outcome, Progress, RunInfo

if TYPE_CHECKING:
    from sync.storage.protocols import LeaseManager, SyncStore

log = logging.getLogger(__name__)

__all__ = ["EntityResult", "PageCallback", "Runner"]

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
        self.client_factory = client_factory or (lambda: open_client(settings, store))
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
        trigger: Trigger = Trigger.CLI,
        triggered_by: str | None = None,
        run_id: str | None = None,
    ) -> list[EntityResult]:
        """Sync the named entities (default all); each one is isolated from the others."""
        specs = [ENTITY_BY_NAME[name] for name in entities] if entities else list(ENTITIES)
        info = RunInfo(
            run_id=run_id or str(uuid.uuid4()),
            action=Action.FULL if full else Action.INCREMENTAL,
            trigger=trigger,
            triggered_by=triggered_by,
        )
        results: list[EntityResult] = []
        try:
            client = self.client_factory()
        except SyncError as exc:
            return [not_started(spec, info.run_id, exc) for spec in specs]
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
        return run_skeleton(
            self,
            spec,
            client,
            info,
            self._walk,
            version_from=0 if info.action == Action.FULL else None,
        )

    def with_lease(
        self, spec: EntitySpec, info: RunInfo, work: Callable[[], EntityResult]
    ) -> EntityResult:
        """Run `work` holding the entity's lease; a busy entity gives a `skipped` result."""
        try:
            holder = self._acquire(spec.name)
        except SyncError as exc:
            log.error("%s: could not take the lease: %s", spec.name, exc)
            return not_started(spec, info.run_id, exc)
        if holder is not None:
            note = f"already being synced by {holder.describe()}"
            log.info("%s: skipped, %s", spec.name, note)
            return EntityResult(entity=spec.name, run_id=info.run_id, status=SKIPPED, note=note)
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

    def _walk(self, run: EntityRun) -> None:
        """Follow the version feed from the run's cursor, one transaction per page."""
        spec, client = run.spec, run.client

        def fetch(after: int) -> Page:
            return client.list_page(spec.path, after, deleted=spec.send_deleted)

        feed = VersionFeed(spec.path, run.version_from)
        pending: _Prefetch | None = None
        run.at = f"page after version {feed.cursor}"
        page = fetch(feed.cursor)
        while not self.stop.is_set():
            feed.advance(page)
            if feed.finished:
                break
            run.at = f"page after version {feed.cursor}"
            if self.prefetch:
                pending = _Prefetch(fetch, feed.cursor)
            try:
                mapped = map_page(spec, page.rows, self.clock())
                self.store.write_page(
                    spec,
                    mapped,
                    cursor=feed.cursor,
                    run_id=run.info.run_id,
                    trackers=run.trackers.all,
                    now=self.clock(),
                )
            except BaseException:
                if pending is not None:
                    pending.settle()  # the client is shared with the next entity
                raise
            run.page_written()
            if self.stop.is_set():
                break  # do not wait for the next page: shutdown must be quick
            page = pending.result() if pending is not None else fetch(feed.cursor)
            pending = None

    def _record_skip(self, spec: EntitySpec, info: RunInfo, cause: SyncError) -> EntityResult:
        now = self.clock()
        skipped = SyncError(cause.kind, f"Not attempted: {cause.message}", recovery=cause.recovery)
        try:
            cursor = self.store.cursor(spec.name)
            trackers = self.store.start_run(
                info, entities=spec.state_names, version_from=cursor, now=now
            )
            outcome = Outcome(RunStatus.FAILED, cause.kind.value, skipped.details())
            self.store.finish_run(spec, trackers, outcome, started_at=now, now=self.clock())
        except SyncError as exc:
            log.error("%s: could not record the skip: %s", spec.name, exc)
        return EntityResult(
            entity=spec.name, run_id=info.run_id, status=RunStatus.FAILED, error=skipped
        )
