"""The login throttle's slots hold under bursts, on SQLite and Postgres, for the dashboard role."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from sync.auth import MAX_FAILURES, Lockout
from sync.runs import utcnow
from sync.storage.schema import login_attempts
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.login_attempts import Slot, close_slot, standing, take_slot


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
    checks, lock = standing(engine, "cfo", "elsewhere", utcnow())
    assert checks == 5 and lock is not None and lock.until > utcnow()
    # A fresh engine (a restarted dashboard) still meets the pause.
    again = create_db_engine(db_url, readonly=True)
    assert isinstance(take_slot(again, "cfo", "198.51.100.1", utcnow()), Lockout)
    again.dispose()
    with engine.connect() as conn:
        outcomes = conn.execute(select(login_attempts.c.outcome)).scalars().all()
    assert sorted(set(outcomes)) == ["failed", "refused"]
    engine.dispose()


def test_a_right_password_clears_the_failures(sqlite_url):
    engine = create_db_engine(sqlite_url)
    migrate(engine)
    now = utcnow()
    for _ in range(4):
        close_slot(engine, take_slot(engine, "cfo", "local", now), ok=False, now=now)
    slot = take_slot(engine, "cfo", "local", now)
    assert isinstance(slot, Slot)
    close_slot(engine, slot, ok=True, now=now)
    assert standing(engine, "cfo", "local", now + timedelta(seconds=1)) == (0, None)
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
