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


@contextlib.contextmanager
def roles_in_use(admin_url: str) -> Iterator[None]:
    """Hold the role lock shared while a test logs in through the cluster's group roles: a
    test that puts a role in a wrong state on purpose (sync_api NOINHERIT, which its members'
    reads inherit through) waits until no such test runs, and they wait for it. Take it
    after every `ensure_*` of the test: those wait for the lock exclusively."""
    with psycopg.connect(conninfo(admin_url), autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock_shared(%s)", (ROLE_LOCK,))
        try:
            yield
        finally:
            conn.execute("SELECT pg_advisory_unlock_shared(%s)", (ROLE_LOCK,))


# Role options and the pg_roles column each one sets.
_ATTRIBUTES = {
    "LOGIN": "rolcanlogin",
    "INHERIT": "rolinherit",
    "BYPASSRLS": "rolbypassrls",
    "SUPERUSER": "rolsuper",
    "CREATEDB": "rolcreatedb",
    "CREATEROLE": "rolcreaterole",
}


def _wanted(options: str) -> dict[str, bool]:
    wanted = {}
    for word in options.upper().split():
        negated = word.startswith("NO") and word[2:] in _ATTRIBUTES
        wanted[_ATTRIBUTES[word[2:] if negated else word]] = not negated
    return wanted


def role_is(conn: psycopg.Connection, name: str, options: str, member_of: Sequence[str]) -> bool:
    """Whether role `name` exists with `options` and in every group of `member_of`."""
    wanted = _wanted(options)
    row = conn.execute(
        f"SELECT {', '.join(wanted)} FROM pg_roles WHERE rolname = %s", (name,)
    ).fetchone()
    if row is None or list(row) != list(wanted.values()):
        return False
    groups = {
        g
        for (g,) in conn.execute(
            "SELECT pg_get_userbyid(roleid) FROM pg_auth_members "
            "WHERE member = (SELECT oid FROM pg_roles WHERE rolname = %s)",
            (name,),
        )
    }
    return set(member_of) <= groups


def ensure_role(
    conn: psycopg.Connection, name: str, options: str, member_of: Sequence[str] = ()
) -> None:
    """Role `name` with exactly `options` (e.g. 'LOGIN NOINHERIT BYPASSRLS'), in `member_of`
    (changed only when it differs: every change is a write to the cluster's catalog)."""
    if role_is(conn, name, options, member_of):
        return
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
