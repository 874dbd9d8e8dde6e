"""An in-process scheduler on a thread, with the quick settings the scheduler tests use."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sync.config import Settings
from sync.service.scheduler import SchedulerService

# Polls the queue every 0.3 s and beats every second; no scheduled job falls due in a test.
FAST = {
    "SCHEDULER_POLL_SECONDS": "0.3",
    "HEARTBEAT_SECONDS": "1",
    "SYNC_INTERVAL_MINUTES": "600",
    "NIGHTLY_FULL_TIME": "off",
}


@contextmanager
def scheduler_thread(settings: Settings, store: Any) -> Iterator[SchedulerService]:
    """Run a SchedulerService until the block ends; it must stop within 15 s."""
    service = SchedulerService(settings, store)
    thread = threading.Thread(target=service.run_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        service.stop.set()
        thread.join(timeout=15)
    assert not thread.is_alive()
