"""The login throttle's slots hold under bursts, on SQLite and Postgres, for the dashboard role."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from sync.auth import MAX_FAILURES, SLOW_CHECK_SECONDS, USER_CEILING, Lockout
from sync.runs import utcnow
from sync.storage.schema import login_attempts
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.login_attempts import Slot, close_slot, standing, take_slot, unlock


def burst(url: str, n: int) -> list[Slot | Lockout]:
    """`n` sessions take a slot at the same instant, each on its own connection."""
    engine = create_db_engine(url, readonly=True)
    start = threading.Barrier(n)
    results: list[Slot | Lockout] = []

    def attempt() -> None:
        start.wait()
        results.append(take_slot(engine, "CFO", "203.0.113.7", utcnow()))

    threads = [threading.Thread(target=attempt) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    engine.dispose()
    return results


def test_fifteen_attempts_at_once_get_at_most_five_checks(db_url):
    engine = create_db_engine(db_url)
    migrate(engine)
    results = burst(db_url, 15)
    slots = [r for r in results if isinstance(r, Slot)]
    assert len(results) == 15 and len(slots) == MAX_FAILURES
    for slot in slots:
        close_slot(engine, slot, ok=False, now=utcnow())
    checks, lock = standing(engine, "cfo", "203.0.113.7", utcnow())
    assert checks == 5 and lock is not None and lock.until > utcnow()
    # A fresh engine (a restarted dashboard) still meets the pause from that address...
    again = create_db_engine(db_url, readonly=True)
    assert isinstance(take_slot(again, "cfo", "203.0.113.7", utcnow()), Lockout)
    # ...and another address is not paused at all.
    assert isinstance(take_slot(again, "cfo", "198.51.100.1", utcnow()), Slot)
    again.dispose()
    with engine.connect() as conn:
        outcomes = conn.execute(select(login_attempts.c.outcome)).scalars().all()
    assert sorted(set(outcomes)) == ["checking", "failed", "refused"]
    engine.dispose()


def fail(engine, client: str, now) -> Slot | Lockout:
    slot = take_slot(engine, "cfo", client, now)
    if isinstance(slot, Slot):
        close_slot(engine, slot, ok=False, now=now)
    return slot


def test_each_failure_past_the_limit_doubles_the_pause(db_url):
    engine = create_db_engine(db_url)
    migrate(engine)
    start = utcnow()
    for _ in range(MAX_FAILURES):
        assert isinstance(fail(engine, "203.0.113.7", start), Slot)
    # The database dates the rows (all about `start`); the clock passed in moves on.
    lock = fail(engine, "203.0.113.7", start + timedelta(minutes=4, seconds=50))
    assert isinstance(lock, Lockout) and lock.until - start < timedelta(minutes=5, seconds=5)
    assert isinstance(fail(engine, "203.0.113.7", start + timedelta(minutes=5, seconds=10)), Slot)
    lock = fail(engine, "203.0.113.7", start + timedelta(minutes=9, seconds=50))
    assert isinstance(lock, Lockout), "the sixth failure pauses for 10 minutes, not 5"
    assert isinstance(fail(engine, "203.0.113.7", start + timedelta(minutes=10, seconds=10)), Slot)
    assert isinstance(fail(engine, "203.0.113.7", start + timedelta(minutes=19)), Lockout)
    engine.dispose()


def test_a_right_password_clears_the_failures_of_its_address(sqlite_url):
    engine = create_db_engine(sqlite_url)
    migrate(engine)
    now = utcnow()
    for _ in range(4):
        fail(engine, "local", now)
        fail(engine, "203.0.113.9", now)
    slot = take_slot(engine, "cfo", "local", now)
    assert isinstance(slot, Slot)
    close_slot(engine, slot, ok=True, now=now)
    assert standing(engine, "cfo", "local", now + timedelta(seconds=1)) == (0, None)
    assert standing(engine, "cfo", "203.0.113.9", now + timedelta(seconds=1))[0] == 4
    engine.dispose()


def test_unlock_lifts_the_pause_of_every_address(db_url):
    engine = create_db_engine(db_url)
    migrate(engine)
    now = utcnow()
    for client in ("203.0.113.7", "203.0.113.8"):
        for _ in range(MAX_FAILURES):
            fail(engine, client, now)
    assert isinstance(take_slot(engine, "cfo", "203.0.113.7", now), Lockout)
    assert unlock(engine, "CFO", now) == 2 * MAX_FAILURES
    for client in ("203.0.113.7", "203.0.113.8"):
        assert standing(engine, "cfo", client, now) == (0, None)
    engine.dispose()


def test_the_per_user_ceiling_slows_checks_and_never_refuses_them(sqlite_url):
    engine = create_db_engine(sqlite_url)
    migrate(engine)
    now = utcnow()
    for i in range(USER_CEILING // MAX_FAILURES):
        for _ in range(MAX_FAILURES):
            fail(engine, f"198.51.100.{i}", now)
    slot = take_slot(engine, "cfo", "203.0.113.50", now)
    assert isinstance(slot, Slot) and slot.delay == SLOW_CHECK_SECONDS
    other = take_slot(engine, "someone-else", "203.0.113.50", now)
    assert isinstance(other, Slot) and other.delay == 0
    engine.dispose()


@pytest.mark.postgres
def test_the_dashboard_login_may_take_and_close_slots(pg_url, postgres_server):
    from tests.support.dashboard_login import dashboard_url, ensure_dashboard_login

    engine = create_db_engine(pg_url)
    migrate(engine)
    engine.dispose()
    ensure_dashboard_login(postgres_server)
    results = burst(dashboard_url(pg_url), 8)
    assert sum(isinstance(r, Slot) for r in results) == MAX_FAILURES
    reader = create_db_engine(dashboard_url(pg_url), readonly=True)
    slot = next(r for r in results if isinstance(r, Slot))
    close_slot(reader, slot, ok=False, now=utcnow())
    reader.dispose()
