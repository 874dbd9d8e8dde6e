"""The scheduler's heartbeat row: alive, what it is doing, when it runs next."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from sync.errors import SyncError
from sync.storage.leasing import HOST, PROCESS_HOLDER
from sync.storage.runlog import Progress

log = logging.getLogger(__name__)

# Between the periodic beats, progress is written at most this often.
PROGRESS_EVERY_SECONDS = 5.0


class HeartbeatStore(Protocol):
    """Where beats go: the SQL store or the Supabase REST store."""

    def write_heartbeat(self, instance_id: str, values: dict[str, Any]) -> None: ...


class Heartbeat:
    """Keeps `scheduler_heartbeat` current from a daemon thread, plus progress updates."""

    def __init__(
        self,
        store: HeartbeatStore,
        *,
        period_seconds: float,
        clock: Callable[[], datetime],
        instance_id: str = PROCESS_HOLDER,
    ) -> None:
        self.store = store
        self.period = period_seconds
        self.clock = clock
        self.instance_id = instance_id
        self.started_at = clock()
        self.activity: dict[str, Any] = {"state": "starting", "jobs": []}
        self.next_run_at: datetime | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_write = 0.0
        self._failing = False

    def start(self) -> None:
        """Write the first beat and keep beating every period until stop()."""
        self.beat()
        self._thread = threading.Thread(target=self._loop, name="heartbeat", daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(self.period):
            self.beat()

    def stop(self) -> None:
        """Stop beating and record the scheduler as stopped."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.set_activity(state="stopped", entity=None, run_id=None)
        self.beat()

    def set_activity(self, **changes: Any) -> None:
        """Update the activity shown on the dashboard (written with the next beat)."""
        with self._lock:
            self.activity.update(changes)

    def set_plan(self, jobs: list[dict[str, str]], next_run_at: datetime | None) -> None:
        """Record the scheduled jobs and the earliest next run."""
        with self._lock:
            self.activity["jobs"] = jobs
            self.next_run_at = next_run_at

    def on_page(self, entity: str, progress: Progress, _elapsed: float) -> None:
        """Runner callback: live progress, written at most every few seconds."""
        self.set_activity(
            state="syncing", entity=entity, pages=progress.pages, records=progress.upserted
        )
        if time.monotonic() - self._last_write >= PROGRESS_EVERY_SECONDS:
            self.beat()

    def beat(self) -> bool:
        """Write the row now; False (and one log line per outage) when the DB is down."""
        with self._lock:
            activity = dict(self.activity)
            next_run_at = self.next_run_at
        now = self.clock()
        values = {
            "host": HOST,
            "pid": os.getpid(),
            "started_at": self.started_at,
            "last_beat_at": now,
            "next_run_at": next_run_at,
            "activity": activity,
        }
        try:
            self.store.write_heartbeat(self.instance_id, values)
        except SyncError as exc:
            if not self._failing:
                log.warning("Heartbeat not written: %s", exc)
            self._failing = True
            return False
        if self._failing:
            log.info("Heartbeat written again; the database is back.")
        self._failing = False
        self._last_write = time.monotonic()
        return True
