"""What every run of an entity works with, handed to the run skeleton as one frozen value."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sync.config import Settings
from sync.engine.lease import EntityLease
from sync.storage.runlog import Progress

if TYPE_CHECKING:
    from sync.storage.protocols import LeaseManager, SyncStore

PageCallback = Callable[[str, Progress, float], None]
"""Told after each page: (entity, its progress, seconds since its run started)."""


@dataclass(frozen=True)
class RunContext:
    """The store, clock, stop flag, lease and page callback of a run, and its secrets.

    `store` is the database side, bound to one Lightspeed store (`store_prefix`).

    `secrets`: texts that must never reach an error message (settings.secrets).
    `done_elsewhere`: asked under the entity's lease; a note (the entity was already synced
    this cycle, by another scheduler) skips the run.
    """

    store: SyncStore
    clock: Callable[[], datetime]
    stop: threading.Event
    lease: EntityLease
    on_page: PageCallback | None = None
    secrets: tuple[str, ...] = ()
    done_elsewhere: Callable[[str], str | None] | None = None
    stores_at_once: Callable[[], int] | None = None  # stores syncing in this process now

    @classmethod
    def of(
        cls,
        settings: Settings,
        store: SyncStore,
        *,
        clock: Callable[[], datetime],
        stop: threading.Event,
        on_page: PageCallback | None = None,
        leases: LeaseManager | None = None,
        lock_wait_seconds: float = 0.0,
        done_elsewhere: Callable[[str], str | None] | None = None,
        stores_at_once: Callable[[], int] | None = None,
    ) -> RunContext:
        """The context of runs on `store`: the store's own leases unless `leases` is given;
        `lock_wait_seconds`: how long to wait for an entity another process is syncing."""
        if leases is None:
            leases = store.leases(settings.lock_ttl_seconds)
        return cls(
            store=store,
            clock=clock,
            stop=stop,
            lease=EntityLease(leases, clock, stop, lock_wait_seconds),
            on_page=on_page,
            secrets=settings.secrets,
            done_elsewhere=done_elsewhere,
            stores_at_once=stores_at_once,
        )

    @property
    def store_prefix(self) -> str:
        """The Lightspeed store (domain prefix) this run copies: the store's rows carry it."""
        return self.store.prefix

    @property
    def stopping(self) -> bool:
        """True once a shutdown asked the run to stop between pages."""
        return self.stop.is_set()
