"""Every enabled store of the database under one scheduler process (issue 27 §3).

Each store gets its own `SchedulerService` on its own thread: its own settings (prefix and
token), storage handle bound to it, client and pacer (the rate budget is per API base URL,
so per store), schedule, heartbeat row and alerts. Runs of different stores overlap, at most
SYNC_MAX_PARALLEL_STORES at once (one semaphore); runs of one (store, entity) never do (its
lease). Stores added, disabled or removed are picked up every RESCAN_SECONDS. Several
processes share the work through the leases and the due check (sync.service.due).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sync.config import Settings
from sync.engine.connection import store_settings
from sync.errors import SyncError
from sync.runs import utcnow
from sync.service.maintenance import NightlyPrune
from sync.service.scheduler import SchedulerService
from sync.service.signals import stop_on_signals
from sync.service.slots import StoreSlots
from sync.storage.backend import SharedEngineStores, open_store
from sync.storage.leasing import PROCESS_HOLDER
from sync.storage.protocols import SyncStore

log = logging.getLogger(__name__)

RESCAN_SECONDS = 30.0
JOIN_SECONDS = 60.0


def enabled_store_settings(settings: Settings, store: SyncStore) -> dict[str, Settings]:
    """Each enabled store's settings: the configured store (unless it was disabled) first,
    then the stores of lightspeed_stores; over REST (no SQL) the configured store alone."""
    engine = store.sql
    if engine is None:
        return {settings.store_prefix: settings}
    from sync.storage.sql.store_admin import list_stores, store_token

    rows = list_stores(engine)
    found: dict[str, Settings] = {}
    if all(row.prefix != settings.store_prefix for row in rows):
        found[settings.store_prefix] = settings  # a database migrated without the settings
    for row in rows:
        if row.enabled:
            found[row.prefix] = store_settings(settings, row, store_token(engine, row.prefix))
    return found


@dataclass
class _Running:
    service: SchedulerService
    thread: threading.Thread
    handle: SyncStore
    owned: bool  # opened here and closed with its store (REST), not a shared engine's


def shared_pool_size(parallel: int) -> tuple[int, int]:
    """(pool size, overflow) of the one engine the other stores of a process share: a
    syncing store holds up to two connections (its page and its lease or log row); the
    stores that wait only check one out now and then (heartbeat, queue)."""
    return 2 * parallel + 2, 4


class StoreFleet:
    """The scheduler process over several stores. `stop` ends every store's loop."""

    def __init__(
        self,
        settings: Settings,
        store: SyncStore,
        *,
        clock: Callable[[], datetime] = utcnow,
        stop: threading.Event | None = None,
        sync_on_start: bool | None = None,
        rescan_seconds: float = RESCAN_SECONDS,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self.stop = stop or threading.Event()
        self.sync_on_start = sync_on_start
        self.rescan_seconds = rescan_seconds
        self.gate = StoreSlots(settings.sync_max_parallel_stores)
        self.pruning = NightlyPrune()
        self.running: dict[str, _Running] = {}
        # On SQL, every store but the configured one shares one engine, so the connections
        # grow with SYNC_MAX_PARALLEL_STORES, not with the number of stores.
        size, overflow = shared_pool_size(settings.sync_max_parallel_stores)
        self.shared = SharedEngineStores(
            settings.database_url, pool_size=size, max_overflow=overflow
        )

    def install_signal_handlers(self) -> None:
        """SIGTERM / SIGINT: every store finishes its current page, then the process exits."""
        stop_on_signals(self.stop, "the current pages")

    def rescan(self) -> None:
        """Start the services of newly enabled stores, stop those of disabled or removed ones."""
        wanted = enabled_store_settings(self.settings, self.store)
        for prefix in [p for p in self.running if p not in wanted]:
            log.info("Store %s is no longer enabled: its scheduling stops.", prefix)
            self._end(prefix)
        for prefix, settings in wanted.items():
            if prefix in self.running and not self.running[prefix].thread.is_alive():
                self._end(prefix)  # its loop ended: closed, then started afresh
            if prefix not in self.running:
                self._start(prefix, settings)

    def _start(self, prefix: str, settings: Settings) -> None:
        configured = prefix == self.settings.store_prefix
        handle = self.store if configured else self._handle(settings)
        if not configured:
            handle.ensure_state_rows()
        service = SchedulerService(
            settings,
            handle,
            clock=self.clock,
            stop=threading.Event(),
            sync_on_start=self.sync_on_start,
            gate=self.gate,
            pruning=self.pruning,
            instance_id=PROCESS_HOLDER if configured else f"{PROCESS_HOLDER}/{prefix}",
        )
        thread = threading.Thread(
            target=service.run_forever, name=f"scheduler-{prefix}", daemon=True
        )
        owned = not configured and handle.sql is None
        self.running[prefix] = _Running(service, thread, handle, owned=owned)
        log.info("Store %s: scheduling starts.", prefix)
        thread.start()

    def _handle(self, settings: Settings) -> SyncStore:
        """Another store's handle: on the shared engine (SQL), or its own (REST)."""
        return open_store(settings) if self.store.sql is None else self.shared.open(settings)

    def _end(self, prefix: str) -> None:
        running = self.running.pop(prefix)
        running.service.stop.set()
        running.thread.join(JOIN_SECONDS)
        if running.owned:
            _close(running.handle)

    def run_forever(self) -> int:
        """Serve every enabled store until stopped; 0 after a clean shutdown."""
        log.info(
            "Scheduler %s starting: every enabled store, at most %d syncing at once.",
            PROCESS_HOLDER,
            self.settings.sync_max_parallel_stores,
        )
        while not self.stop.is_set():
            try:
                self.rescan()
            except SyncError as exc:
                log.error("Could not read the stores to sync: %s", exc)
            self.stop.wait(self.rescan_seconds)
        for prefix in list(self.running):
            self.running[prefix].service.stop.set()
        for prefix in list(self.running):
            self._end(prefix)
        self.shared.close()
        log.info("Scheduler stopped cleanly.")
        return 0


def _close(handle: SyncStore) -> None:
    close = getattr(handle, "close", None)
    if close is not None:
        close()
