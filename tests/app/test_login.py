"""Login: setup instructions, the password check, the throttle, logout."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from sync.dashboard import runtime
from sync.storage.schema import login_attempts
from tests.app.conftest import PASSWORD, SUBMIT, log_in, texts


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("DASHBOARD_PASSWORD_HASH", "", "python -m sync set-password"),
        ("DASHBOARD_PASSWORD_HASH", "hunter2", "not a bcrypt hash"),
        ("DASHBOARD_COOKIE_KEY", "", "DASHBOARD_COOKIE_KEY is not set"),
        ("DASHBOARD_COOKIE_KEY", "short-key-31-characters-long-xx", "DASHBOARD_COOKIE_KEY is too"),
    ],
)
def test_it_shows_one_setup_instruction_instead_of_a_login_box(
    app_db, framed_app, monkeypatch, variable, value, expected
):
    monkeypatch.setenv(variable, value)
    at = framed_app().run()
    assert not at.exception
    assert [w.value for w in at.warning] and expected in at.warning[0].value
    assert len(at.warning) == 1
    assert not at.text_input
    assert "hunter2" not in texts(at)


def test_it_logs_in_with_the_right_password(app_db, framed_app):
    at = log_in(framed_app().run())
    assert not at.exception
    assert at.session_state["username"] == "cfo"
    assert "Status" in [t.value for t in at.title]
    assert [s.value for s in at.sidebar.subheader] == ["Harbour Street Store"]
    assert "Signed in as **cfo**" in [c.value for c in at.sidebar.caption]
    secrets = ("test-cookie-key", "$2b$")
    assert not any(s in texts(at) for s in secrets)


def test_a_wrong_password_is_refused_with_a_message(app_db, framed_app):
    at = log_in(framed_app().run(), password="not the password")
    assert at.session_state["authentication_status"] is False
    assert "Wrong username or password (4 more tries" in at.error[0].value
    with app_db.engine.connect() as conn:
        rows = conn.execute(select(login_attempts.c.username, login_attempts.c.outcome)).all()
    assert [tuple(r) for r in rows] == [("cfo", "failed")]
    assert not at.metric


def test_five_failures_pause_logins_even_with_the_right_password(app_db, framed_app):
    at = framed_app().run()
    for _ in range(5):
        log_in(at, password="wrong password")
    assert "Too many wrong passwords" in at.error[0].value
    log_in(at)  # the right password is refused while paused
    assert at.session_state["authentication_status"] is not True
    assert "Too many wrong passwords" in at.error[0].value
    # A new browser session is paused too: the attempts are in the database.
    other = log_in(framed_app().run())
    assert other.session_state["authentication_status"] is not True
    assert "Too many wrong passwords" in other.error[0].value
    assert "ask the admin" not in other.error[0].value
    with app_db.engine.connect() as conn:
        outcomes = conn.execute(select(login_attempts.c.outcome)).scalars().all()
    assert outcomes.count("failed") == 5 and outcomes.count("refused") == 2


def test_the_first_pause_ends_after_five_minutes(app_db, framed_app, monkeypatch):
    start = runtime.clock()
    now = [start]
    monkeypatch.setattr(runtime, "clock", lambda: now[0])
    at = framed_app().run()
    for _ in range(5):
        log_in(at, password="wrong password")
    now[0] = start + timedelta(minutes=4, seconds=50)
    log_in(at)
    assert at.session_state["authentication_status"] is not True
    now[0] = start + timedelta(minutes=5, seconds=10)
    log_in(at)
    assert at.session_state["authentication_status"] is True


def test_a_pause_holds_one_address_and_not_the_next(app_db, framed_app, monkeypatch):
    from sync.dashboard import login

    monkeypatch.setattr(login, "client_address", lambda: "203.0.113.66")
    attacker = framed_app().run()
    for _ in range(7):
        log_in(attacker, password="wrong password")
    assert "Too many wrong passwords from this address" in attacker.error[0].value
    assert "python -m sync unlock cfo" in attacker.error[0].value
    monkeypatch.setattr(login, "client_address", lambda: "198.51.100.20")
    cfo = log_in(framed_app().run())
    assert cfo.session_state["authentication_status"] is True


def test_a_passphrase_over_bcrypts_limit_is_a_wrong_password_not_a_traceback(app_db, framed_app):
    at = log_in(framed_app().run(), password="x" * 100)
    assert not at.exception
    assert at.session_state["authentication_status"] is False
    assert "Wrong username or password" in at.error[0].value


def test_logout_returns_to_the_login_form(app_db, framed_app):
    at = log_in(framed_app().run())
    at.sidebar.button(key="sign-out").click().run()
    assert at.session_state["authentication_status"] is None
    at.run()
    assert at.button(key=SUBMIT)
    assert not at.metric
    assert PASSWORD not in texts(at)
