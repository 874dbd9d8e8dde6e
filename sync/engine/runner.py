"""Sync one entity at a time: cursor → pages → one transaction per page → sync_log."""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from sync.config import Settings
from sync.engine.connection import open_client
from sync.engine.context import PageCallback, RunContext
from sync.engine.decode import Decoding, Page
from sync.engine.pages import fetch_page, write_page
from sync.engine.skeleton import EntityResult, EntityRun, not_started, run_skeleton
from sync.entities import ENTITIES, ENTITY_BY_NAME, EntitySpec
from sync.errors import ErrorKind, SyncError
from sync.lightspeed.paging import VersionFeed
from sync.lightspeed.transport import LightspeedClient
from sync.runs import SKIPPED, Action, RunStatus, Trigger, utcnow
from sync.storage.runlog import Outcome, RunInfo

if TYPE_CHECKING:
    from sync.storage.protocols import LeaseManager, SyncStore

log = logging.getLogger(__name__)

__all__ = ["EntityResult", "PageCallback", "Runner"]

# How long a shutdown waits for a page still being fetched (then the process may exit).
STOP_WAIT_SECONDS = 5.0


class _Prefetch:
    """Fetches the next page in a daemon thread while the current one is written.

    A daemon thread (not an executor) so that a shutdown never waits for a slow request.
    """

    def __init__(self, fetch: Callable[[int], Page], after: int, name: str) -> None:
        self._page: Page | None = None
        self._error: BaseException | None = None
        self._done = threading.Event()
        self.thread = threading.Thread(
            target=self._run, args=(fetch, after), name=f"prefetch {name}", daemon=True
        )
        self.thread.start()

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

    def settle(self, timeout: float | None = None) -> bool:
        """Wait for the request to finish, ignoring its outcome; False if it still runs."""
        self.thread.join(timeout)
        return not self.thread.is_alive()


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
        done_elsewhere: Callable[[str], str | None] | None = None,
        yield_busy_store: bool = False,
        stores_at_once: Callable[[], int] | None = None,
    ) -> None:
        """`yield_busy_store`: when an entity's lease is held by another process before this
        run synced anything (every entity so far skipped), that process has begun the store's
        cycle: leave the store to it (the rest not attempted). `stores_at_once`: how many
        stores sync in this process now (a scheduler over several stores), recorded with
        each run's peak memory."""
        self.settings = settings
        self.yield_busy_store = yield_busy_store
        self.store = store
        self.client_factory = client_factory or (lambda: open_client(settings, store))
        self.clock = clock
        self.stop = stop or threading.Event()
        self.prefetch = prefetch
        self.context = RunContext.of(
            settings,
            store,
            clock=clock,
            stop=self.stop,
            on_page=on_page,
            leases=leases,
            lock_wait_seconds=lock_wait_seconds,
            done_elsewhere=done_elsewhere,
            stores_at_once=stores_at_once,
        )

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
        try:
            client = self.client_factory()
        except SyncError as exc:
            return [not_started(spec, info.run_id, exc) for spec in specs]
        try:
            with self.store.bulk_writes():
                return self._run_all(specs, client, info)
        finally:
            client.close()

    def _run_all(
        self, specs: list[EntitySpec], client: LightspeedClient, info: RunInfo
    ) -> list[EntityResult]:
        results: list[EntityResult] = []
        fatal: SyncError | None = None
        for spec in specs:
            if self.stop.is_set():
                # Shutting down: no further lease, `running` row or API call.
                log.info("Stopping: %s and any later entity not started.", spec.name)
                break
            if fatal is not None:
                # The token or settings are wrong: every further call would fail the same way.
                results.append(self._record_skip(spec, info, fatal))
                continue
            result = self.run_entity(spec, client, info)
            results.append(result)
            if self.yield_busy_store and result.busy and all(r.status == SKIPPED for r in results):
                log.info("Another process is syncing this store: the rest waits for it.")
                break
            if result.error is not None and result.error.kind in (ErrorKind.AUTH, ErrorKind.CONFIG):
                fatal = result.error
        return results

    def run_entity(
        self,
        spec: EntitySpec,
        client: LightspeedClient,
        info: RunInfo,
    ) -> EntityResult:
        """One entity under its lease: skipped (with a note) while another process syncs it."""
        return run_skeleton(
            self.context,
            spec,
            client,
            info,
            self._walk,
            version_from=0 if info.action == Action.FULL else None,
        )

    def _walk(self, run: EntityRun) -> None:
        """Follow the version feed from the run's cursor, one transaction per page."""
        spec, client = run.spec, run.client

        decoding = Decoding.for_store(self.store)

        def fetch(after: int) -> Page:
            return fetch_page(client, spec, after, decoding)

        feed = VersionFeed(spec.path, run.version_from)
        if self.stop.is_set():
            return
        run.at = f"page after version {feed.cursor}"
        pending: list[_Prefetch] = []
        # A full pass lists every record the source still has: ids it no longer returns
        # (inventory of a deleted product, a removed outlet) are marked deleted at the end.
        seen: set[str] | None = set() if run.info.action == Action.FULL else None
        try:
            self._pages(run, feed, fetch, pending, seen)
            if seen is not None and feed.finished and not self.stop.is_set():
                gone = self.store.mark_missing_deleted(
                    spec, seen, trackers=run.trackers.all, now=self.clock()
                )
                if gone:
                    log.info("%s: %d record(s) no longer listed, marked deleted", spec.name, gone)
        finally:
            # The prefetch must not outlive its entity: the client (and its HTTP session)
            # goes on to the next entity. On shutdown wait a little only.
            for prefetch in pending:
                if not prefetch.settle(STOP_WAIT_SECONDS if self.stop.is_set() else None):
                    log.warning("%s: a prefetched page is still in flight", spec.name)

    def _pages(
        self,
        run: EntityRun,
        feed: VersionFeed,
        fetch: Callable[[int], Page],
        pending: list[_Prefetch],
        seen: set[str] | None,
    ) -> None:
        spec = run.spec
        page = fetch(feed.cursor)
        while not self.stop.is_set():
            feed.advance(page)
            if feed.finished:
                break
            if seen is not None:
                seen.update(page.ids())
            run.at = f"page after version {feed.cursor}"
            if self.prefetch:
                pending.append(_Prefetch(fetch, feed.cursor, spec.name))
            write_page(self.store, spec, page, run.position(feed.cursor))
            run.page_written()
            if self.stop.is_set():
                break  # do not wait for the next page: shutdown must be quick
            page = pending.pop().result() if pending else fetch(feed.cursor)

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
