"""The lockout attack re-run: an attacker fires wrong passwords for the CFO from one address
(all at once, then one a minute); the CFO, from a second address, still gets in at once, and
the attacker's own address gets no more than five checks within the back-off."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta

import bcrypt
import pytest

from sync.auth import MAX_FAILURES, Lockout, check_password
from sync.runs import utcnow
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.login_attempts import close_slot, take_slot
from tests.support.processes import REPO

HASH = bcrypt.hashpw(b"the right passphrase", bcrypt.gensalt(4)).decode()
ATTACKER, CFO_OFFICE = "203.0.113.66", "198.51.100.20"


def log_in(engine, client: str, password: str, now) -> bool | Lockout:
    """What the dashboard's gate does: a slot first, the bcrypt check only with one."""
    slot = take_slot(engine, "cfo", client, now)
    if isinstance(slot, Lockout):
        return slot
    ok = check_password(password, HASH)
    close_slot(engine, slot, ok=ok, now=now)
    return ok


@pytest.fixture
def dashboard_engine(db_url, request):
    """The engine the dashboard logs in with: on Postgres its own login in dashboard_reader."""
    engine = create_db_engine(db_url)
    migrate(engine)
    engine.dispose()
    url = db_url
    if db_url.startswith("postgresql"):
        from tests.support.dashboard_login import dashboard_url, ensure_dashboard_login

        ensure_dashboard_login(request.getfixturevalue("postgres_server"))
        url = dashboard_url(db_url)
    reader = create_db_engine(url, readonly=True)
    yield reader
    reader.dispose()


def test_the_cfo_gets_in_from_another_address_while_an_attacker_hammers(dashboard_engine):
    start = utcnow()
    barrier = threading.Barrier(15)
    burst: list[bool | Lockout] = []

    def guess() -> None:
        barrier.wait()
        burst.append(log_in(dashboard_engine, ATTACKER, "wrong guess", utcnow()))

    threads = [threading.Thread(target=guess) for _ in range(15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    checked = [r for r in burst if not isinstance(r, Lockout)]
    assert len(burst) == 15 and len(checked) == MAX_FAILURES and not any(checked)
    # One guess a minute for the next four minutes (inside the first 5-minute pause).
    for minute in range(1, 5):
        assert isinstance(
            log_in(dashboard_engine, ATTACKER, "wrong", start + timedelta(minutes=minute)),
            Lockout,
        )
    # Meanwhile the CFO, from the office: in at the first try, nothing to wait for.
    assert log_in(dashboard_engine, CFO_OFFICE, "the right passphrase", utcnow()) is True
    # Even the right password from the attacker's address waits out the back-off.
    paused = log_in(dashboard_engine, ATTACKER, "the right passphrase", utcnow())
    assert isinstance(paused, Lockout) and paused.until > utcnow()


def test_the_admin_lifts_the_pause_with_the_unlock_command(dashboard_engine, db_url, tmp_path):
    for _ in range(MAX_FAILURES):
        log_in(dashboard_engine, ATTACKER, "wrong guess", utcnow())
    assert isinstance(log_in(dashboard_engine, ATTACKER, "the right passphrase", utcnow()), Lockout)
    result = subprocess.run(
        [sys.executable, "-m", "sync", "--env-file", "/dev/null", "unlock", "CFO"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPO), "DATABASE_URL": db_url},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Login pauses of 'cfo' lifted: 5 failed attempt(s)" in result.stdout
    assert log_in(dashboard_engine, ATTACKER, "the right passphrase", utcnow()) is True
