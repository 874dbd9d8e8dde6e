"""Login rules: setup sentences, the bcrypt check and the time-windowed throttle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import bcrypt
import pytest

from sync.auth import (
    MAX_PER_ADDRESS,
    check_password,
    credentials,
    is_bcrypt_hash,
    lockout_for,
    setup_problem,
    throttle_key,
)
from sync.config import load_settings

HASH = bcrypt.hashpw(b"a long passphrase", bcrypt.gensalt(4)).decode()
T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


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


def test_five_checks_within_the_window_lock_until_the_oldest_leaves_it():
    attempts = [T0 + timedelta(minutes=3 * i) for i in range(4)]
    now = T0 + timedelta(minutes=12)
    assert lockout_for("cfo", attempts, attempts, now) is None
    lock = lockout_for("cfo", [*attempts, now], [], now)
    assert lock is not None and lock.until == T0 + timedelta(minutes=15)
    assert lockout_for("cfo", [*attempts, now], [], T0 + timedelta(minutes=15)) is None


def test_attempts_older_than_the_window_do_not_count():
    old = [T0 - timedelta(minutes=15)] * 10
    assert lockout_for("cfo", old, old, T0) is None


def test_one_address_is_limited_across_usernames():
    sprayed = [T0] * MAX_PER_ADDRESS
    lock = lockout_for("someone", [], sprayed, T0 + timedelta(minutes=1))
    assert lock is not None and lock.by_address
    assert "from this address" in lock.message(lambda t: f"{t:%H:%M}")


def test_the_lock_message_names_the_time_and_no_restart_advice():
    lock = lockout_for("cfo", [T0] * 5, [], T0)
    text = lock.message(lambda t: f"{t:%H:%M}")
    assert "paused until 09:15" in text and "ask the admin" not in text
    assert throttle_key("  CFO ") == "cfo"
