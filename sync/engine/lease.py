"""An entity's lease for the length of its run: taken (waiting a while if asked), kept, released."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sync.errors import SyncError

if TYPE_CHECKING:
    from sync.storage.leasing import LeaseHolder
    from sync.storage.protocols import LeaseManager

log = logging.getLogger(__name__)

# A renewal every 10 s keeps the lease far from its expiry at little cost.
RENEW_EVERY_SECONDS = 10.0


class EntityLease:
    """The leases one run takes, one entity at a time, over a store's `LeaseManager`.

    `wait_seconds`: how long `acquire` waits for another process's run to end; a set
    `stop` ends the wait at once.
    """

    def __init__(
        self,
        leases: LeaseManager,
        clock: Callable[[], datetime],
        stop: threading.Event,
        wait_seconds: float = 0.0,
    ) -> None:
        self.leases = leases
        self.clock = clock
        self.stop = stop
        self.wait_seconds = wait_seconds
        self._renewed_at = 0.0

    def acquire(self, entity: str) -> LeaseHolder | None:
        """Take the lease of `entity`: None when taken, else who holds it (SyncError: no answer)."""
        deadline = time.monotonic() + self.wait_seconds
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

    def renew(self, entity: str) -> None:
        """Push the lease's expiry, at most every RENEW_EVERY_SECONDS."""
        if time.monotonic() - self._renewed_at >= RENEW_EVERY_SECONDS:
            self.leases.renew(entity, self.clock())
            self._renewed_at = time.monotonic()

    def release(self, entity: str) -> None:
        """Drop the lease; a failure is only logged (the lease then expires)."""
        try:
            self.leases.release(entity)
        except SyncError as exc:
            log.warning("%s: lease not released (it will expire): %s", entity, exc)
