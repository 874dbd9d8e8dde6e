"""Login rules: setup sentences, the bcrypt check and the time-windowed throttle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import bcrypt
import pytest

from sync.auth import LoginThrottle, check_password, credentials, is_bcrypt_hash, setup_problem
from sync.config import load_settings
from tests.support.clock import Clock

HASH = bcrypt.hashpw(b"a long passphrase", bcrypt.gensalt(4)).decode()
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def throttle(clock: Clock) -> LoginThrottle:
    return LoginThrottle(clock=clock)


def test_it_checks_passwords_against_the_bcrypt_hash():
    assert check_password("a long passphrase", HASH)
    assert not check_password("A long passphrase", HASH)
    assert not check_password("", HASH)
    assert not check_password("a long passphrase", None)
    assert not check_password("a long passphrase", "not-a-hash")
    assert is_bcrypt_hash(HASH) and not is_bcrypt_hash("$2b$12$short")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "python -m sync set-password"),
        ({"DASHBOARD_PASSWORD_HASH": "plain"}, "not a bcrypt hash"),
        ({"DASHBOARD_PASSWORD_HASH": HASH}, "DASHBOARD_COOKIE_KEY is not set"),
    ],
)
def test_each_missing_setting_gets_one_sentence(env, expected):
    problem = setup_problem(load_settings(env, env_file=None))
    assert problem is not None and expected in problem
    assert problem.count(". ") == 0 and "plain" not in problem


def test_a_complete_setup_has_no_problem_and_no_default_password():
    settings = load_settings(
        {"DASHBOARD_PASSWORD_HASH": HASH, "DASHBOARD_COOKIE_KEY": "k" * 40}, env_file=None
    )
    assert setup_problem(settings) is None
    creds = credentials(settings)
    assert list(creds["usernames"]) == ["cfo"]
    assert creds["usernames"]["cfo"]["password"] == HASH


def test_five_failures_within_the_window_lock_for_fifteen_minutes(throttle, clock):
    for _ in range(4):
        assert throttle.record_failure("cfo") is None
        clock.advance(minutes=3)
    lock = throttle.record_failure("CFO ")  # usernames are compared case-insensitively
    assert lock is not None and lock.until == clock.now + timedelta(minutes=15)
    assert throttle.locked("cfo") == lock
    clock.advance(minutes=14, seconds=59)
    assert throttle.locked("cfo") is not None
    clock.advance(seconds=1)
    assert throttle.locked("cfo") is None
    assert throttle.failures("cfo") == 0


def test_failures_older_than_the_window_do_not_count(throttle, clock):
    for _ in range(4):
        throttle.record_failure("cfo")
    clock.advance(minutes=15)
    assert throttle.failures("cfo") == 0
    assert throttle.record_failure("cfo") is None


def test_a_success_clears_the_count_and_users_are_separate(throttle):
    for _ in range(4):
        throttle.record_failure("cfo")
    throttle.record_success("cfo")
    assert throttle.failures("cfo") == 0
    for _ in range(5):
        throttle.record_failure("mallory")
    assert throttle.locked("mallory") is not None
    assert throttle.locked("cfo") is None


def test_the_lock_message_names_the_time(throttle):
    for _ in range(5):
        lock = throttle.record_failure("cfo")
    assert "paused until 09:15" in lock.message(lambda t: f"{t:%H:%M}")
