"""Login rules: setup sentences, the bcrypt check and the time-windowed throttle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import bcrypt
import pytest

from sync.auth import (
    FIRST_PAUSE,
    LONGEST_PAUSE,
    MAX_PER_ADDRESS,
    MEMORY,
    SLOW_CHECK_SECONDS,
    USER_CEILING,
    WINDOW,
    check_password,
    credentials,
    is_bcrypt_hash,
    lockout_for,
    pause_after,
    setup_problem,
    slowdown,
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


def test_five_failures_from_one_address_pause_it_for_five_minutes():
    attempts = [T0 + timedelta(minutes=3 * i) for i in range(4)]
    now = T0 + timedelta(minutes=12)
    assert lockout_for("cfo", attempts, attempts, now) is None
    lock = lockout_for("cfo", [*attempts, now], [], now)
    assert lock is not None and lock.until == now + FIRST_PAUSE
    assert lockout_for("cfo", [*attempts, now], [], now + FIRST_PAUSE) is None


def test_each_further_failure_doubles_the_pause_up_to_an_hour():
    assert [pause_after(n) for n in (4, 5, 6, 7)] == [
        timedelta(0),
        FIRST_PAUSE,
        2 * FIRST_PAUSE,
        4 * FIRST_PAUSE,
    ]
    assert pause_after(40) == pause_after(10_000) == LONGEST_PAUSE
    lock = lockout_for("cfo", [T0] * 7, [], T0 + timedelta(minutes=19))
    assert lock is not None and lock.until == T0 + 4 * FIRST_PAUSE


def test_failures_older_than_a_day_do_not_count():
    old = [T0 - MEMORY] * 10
    assert lockout_for("cfo", old, [], T0) is None


def test_the_per_user_ceiling_only_slows_checks():
    below = [T0] * (USER_CEILING - 1)
    assert slowdown(below, T0) == 0
    assert slowdown([*below, T0], T0) == SLOW_CHECK_SECONDS
    assert slowdown([*below, T0], T0 + WINDOW) == 0


def test_attempts_older_than_the_window_do_not_count_per_address():
    old = [T0 - timedelta(minutes=15)] * 30
    assert lockout_for("cfo", [], old, T0) is None


def test_one_address_is_limited_across_usernames():
    sprayed = [T0] * MAX_PER_ADDRESS
    lock = lockout_for("someone", [], sprayed, T0 + timedelta(minutes=1))
    assert lock is not None and lock.by_address
    assert "from this address" in lock.message(lambda t: f"{t:%H:%M}")


def test_the_lock_message_names_the_time_and_no_restart_advice():
    lock = lockout_for("cfo", [T0] * 5, [], T0)
    text = lock.message(lambda t: f"{t:%H:%M}")
    assert "paused until 09:05" in text and "ask the admin" not in text
    assert "python -m sync unlock cfo" in text and "Other addresses are not affected" in text
    assert throttle_key("  CFO ") == "cfo"
