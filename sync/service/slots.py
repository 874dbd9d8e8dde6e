"""The slots of SYNC_MAX_PARALLEL_STORES in one scheduler process, and how many are taken.

The stores of a process share its memory: a run's peak memory is the whole process's, so
each run records how many stores were syncing at once in it (`busy`), and the memory alert
allows ALERT_MEMORY_MB per store at once (sync.alerts.rules.memory).
"""

from __future__ import annotations

import threading
from types import TracebackType


class StoreSlots:
    """A bounded semaphore of `size` slots that counts the slots taken."""

    def __init__(self, size: int) -> None:
        self._slots = threading.BoundedSemaphore(size)
        self._lock = threading.Lock()
        self._busy = 0

    def busy(self) -> int:
        """How many stores hold a slot now."""
        with self._lock:
            return self._busy

    def __enter__(self) -> StoreSlots:
        self._slots.acquire()
        with self._lock:
            self._busy += 1
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        with self._lock:
            self._busy -= 1
        self._slots.release()
