"""An entity's lease over a run: taken, waited for, renewed at most every 10 s, released."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from sync.engine import lease as lease_module
from sync.engine.lease import EntityLease
from sync.errors import ErrorKind, SyncError
from sync.storage.leasing import LeaseHolder

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
OTHER = LeaseHolder("other:1:x", "other", 1, NOW, NOW)


class Leases:
    """A lease table of one row per entity, held by `busy` until `free_after` asks."""

    def __init__(self, busy: bool = False, free_after: int = 0) -> None:
        self.busy, self.free_after = busy, free_after
        self.asked = 0
        self.calls: list[str] = []

    def acquire(self, entity: str, now: datetime) -> LeaseHolder | None:
        self.asked += 1
        self.calls.append(f"acquire {entity}")
        if self.busy and (not self.free_after or self.asked <= self.free_after):
            return OTHER
        return None

    def renew(self, entity: str, now: datetime) -> None:
        self.calls.append(f"renew {entity}")

    def release(self, entity: str) -> None:
        self.calls.append(f"release {entity}")
        if entity == "broken":
            raise SyncError(ErrorKind.DATABASE, "the database is gone")


def test_a_free_lease_is_taken_at_once_and_released():
    leases = Leases()
    lease = EntityLease(leases, lambda: NOW, threading.Event())
    assert lease.acquire("sales") is None
    lease.release("sales")
    assert leases.calls == ["acquire sales", "release sales"]


def test_a_busy_lease_names_its_holder_without_waiting_by_default():
    lease = EntityLease(Leases(busy=True), lambda: NOW, threading.Event())
    started = time.monotonic()
    assert lease.acquire("sales") == OTHER
    assert time.monotonic() - started < 0.5


def test_it_waits_for_a_busy_lease_until_it_is_free():
    leases = Leases(busy=True, free_after=1)
    lease = EntityLease(leases, lambda: NOW, threading.Event(), wait_seconds=5)
    assert lease.acquire("sales") is None and leases.asked == 2


def test_a_stop_ends_the_wait_at_once():
    stop = threading.Event()
    stop.set()
    lease = EntityLease(Leases(busy=True), lambda: NOW, stop, wait_seconds=60)
    started = time.monotonic()
    assert lease.acquire("sales") == OTHER
    assert time.monotonic() - started < 0.5


def test_it_renews_at_most_every_ten_seconds(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(lease_module.time, "monotonic", lambda: clock[0])
    leases = Leases()
    lease = EntityLease(leases, lambda: NOW, threading.Event())
    lease.acquire("sales")
    for step in (1.0, 5.0, 4.0, 0.5):  # 1, 6, 10, 10.5 s after taking it
        clock[0] += step
        lease.renew("sales")
    assert leases.calls.count("renew sales") == 1


def test_a_release_that_fails_is_only_logged(caplog):
    EntityLease(Leases(), lambda: NOW, threading.Event()).release("broken")
    assert "lease not released" in caplog.text


@pytest.mark.parametrize("wait", [0.0, 2.0])
def test_an_acquire_that_fails_raises_the_storage_error(wait):
    class Down(Leases):
        def acquire(self, entity: str, now: datetime) -> LeaseHolder | None:
            raise SyncError(ErrorKind.DATABASE, "down")

    with pytest.raises(SyncError):
        EntityLease(Down(), lambda: NOW, threading.Event(), wait).acquire("sales")
