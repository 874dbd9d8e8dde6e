"""Cluster-wide roles for tests: created when absent, altered to what the tests need when
present (another suite on this server may have made them differently), one caller at a time.

Roles live in the whole cluster, so parallel test workers (and other suites) meet on them:
two `ALTER ROLE`s of one role at once fail with "tuple concurrently updated". Every change
here holds one advisory lock, taken in the admin database that all callers connect to.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import psycopg

ROLE_LOCK = 727_001  # pg_advisory_lock key: "tests are changing cluster roles"


def conninfo(url: str) -> str:
    """A SQLAlchemy URL as libpq's."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


@contextlib.contextmanager
def role_changes(admin_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit admin connection holding the role lock."""
    with psycopg.connect(conninfo(admin_url), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (ROLE_LOCK,))
        try:
            yield conn
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (ROLE_LOCK,))


def ensure_role(
    conn: psycopg.Connection, name: str, options: str, member_of: Sequence[str] = ()
) -> None:
    """Role `name` with exactly `options` (e.g. 'LOGIN NOINHERIT BYPASSRLS'), in `member_of`."""
    exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,)).fetchone()
    conn.execute(f"{'ALTER' if exists else 'CREATE'} ROLE {name} {options}")
    for group in member_of:
        conn.execute(f"GRANT {group} TO {name}")


def ensure_login(admin_url: str, name: str, member_of: Sequence[str]) -> None:
    """A plain login (no superuser, no BYPASSRLS) in `member_of`."""
    with role_changes(admin_url) as conn:
        ensure_role(
            conn,
            name,
            "LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
            member_of,
        )
