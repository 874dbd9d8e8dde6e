"""The throttle's table attacked with the roles that use it: a row dated 9999, outcome
'cleared', someone else's or an old row, deletes. The database refuses each one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from sqlalchemy import insert, select

from sync.storage.schema import login_attempts as la
from sync.storage.sql.db import create_db_engine, migrate
from tests.support.api_login import api_url
from tests.support.dashboard_login import dashboard_url

REFUSED = psycopg.errors.InsufficientPrivilege


@pytest.fixture
def logins(pg_url, reader_logins) -> tuple[str, str, str]:
    """(admin, dashboard login, API login) URLs of a migrated database, for psycopg."""
    engine = create_db_engine(pg_url)
    migrate(engine)
    engine.dispose()
    plain = (u.replace("+psycopg", "") for u in (pg_url, dashboard_url(pg_url), api_url(pg_url)))
    return tuple(plain)  # type: ignore[return-value]


def run(url: str, statement: str) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(statement)
        return cursor.fetchall() if cursor.description else []


def take(url: str) -> int:
    ((row_id,),) = run(
        url,
        "INSERT INTO login_attempts (username, client, outcome) "
        "VALUES ('cfo', '203.0.113.66', 'checking') RETURNING id",
    )
    return row_id


@pytest.mark.postgres
@pytest.mark.parametrize("role", [1, 2], ids=["dashboard", "api"])
def test_a_row_dated_9999_is_refused(logins, role):
    with pytest.raises(REFUSED):
        run(
            logins[role],
            "INSERT INTO login_attempts (username, client, outcome, attempted_at) "
            "VALUES ('cfo', 'x', 'failed', '9999-01-01')",
        )
    row_id = take(logins[role])
    with pytest.raises(REFUSED):
        run(
            logins[role],
            f"UPDATE login_attempts SET attempted_at = '9999-01-01' WHERE id = {row_id}",
        )
    ((when, who),) = run(
        logins[0], f"SELECT attempted_at, db_user FROM login_attempts WHERE id = {row_id}"
    )
    assert abs(datetime.now(UTC) - when) < timedelta(minutes=1) and who.startswith("lsync_")


def _stored_date_of_a_9999_attempt(engine) -> datetime:
    """Insert a failed attempt dated 9999 as `engine`'s login; the date the database kept."""
    with engine.begin() as conn:
        conn.execute(
            insert(la).values(
                username="cfo",
                client="x",
                outcome="failed",
                attempted_at=datetime(9999, 1, 1, tzinfo=UTC),
            )
        )
        stored = conn.scalar(select(la.c.attempted_at))
    engine.dispose()
    return stored


@pytest.mark.postgres
def test_even_the_writer_cannot_date_an_attempt(logins, pg_url):
    stored = _stored_date_of_a_9999_attempt(create_db_engine(pg_url))
    assert abs(datetime.now(UTC) - stored) < timedelta(minutes=1)


@pytest.mark.postgres
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE login_attempts SET outcome = 'cleared'",
        "UPDATE login_attempts SET outcome = 'checking'",
        "UPDATE login_attempts SET username = 'nobody'",
        "DELETE FROM login_attempts",
        "INSERT INTO login_attempts (username, client, outcome) VALUES ('cfo', 'x', 'unlocked')",
        "INSERT INTO login_attempts (username, client, outcome) VALUES ('cfo', 'x', 'succeeded')",
        "TRUNCATE login_attempts",
    ],
    ids=["cleared", "reopen", "username", "delete", "unlock", "succeeded", "truncate"],
)
def test_the_dashboard_role_cannot_rewrite_the_throttle(logins, statement):
    failed = take(logins[1])
    run(logins[1], f"UPDATE login_attempts SET outcome = 'failed' WHERE id = {failed}")
    take(logins[1])
    before = run(logins[0], "SELECT id, username, outcome FROM login_attempts ORDER BY id")
    with pytest.raises(REFUSED):
        run(logins[1], statement)
    assert run(logins[0], "SELECT id, username, outcome FROM login_attempts ORDER BY id") == before


@pytest.mark.postgres
def test_a_slot_is_closed_only_by_its_own_login_within_a_minute(logins):
    admin, dashboard, api = logins
    mine = take(dashboard)
    with pytest.raises(REFUSED, match="login that took it"):
        run(api, f"UPDATE login_attempts SET outcome = 'succeeded' WHERE id = {mine}")
    old = take(dashboard)
    with psycopg.connect(admin, autocommit=True) as conn:  # an attempt from two minutes ago
        conn.execute("SET session_replication_role = replica")
        conn.execute(
            "UPDATE login_attempts SET attempted_at = now() - interval '2 minutes' "
            f"WHERE id = {old}"
        )
    with pytest.raises(REFUSED, match="within a minute"):
        run(dashboard, f"UPDATE login_attempts SET outcome = 'succeeded' WHERE id = {old}")
    run(dashboard, f"UPDATE login_attempts SET outcome = 'failed' WHERE id = {mine}")
    assert run(admin, f"SELECT outcome FROM login_attempts WHERE id = {mine}") == [("failed",)]


def test_sqlite_dates_attempts_itself(sqlite_url):
    engine = create_db_engine(sqlite_url)
    migrate(engine)
    assert abs(datetime.now(UTC) - _stored_date_of_a_9999_attempt(engine)) < timedelta(minutes=1)
