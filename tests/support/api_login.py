"""A login role in `sync_api`, as an admin creates one for the health API's host."""

from __future__ import annotations

import contextlib

import psycopg
from sqlalchemy.engine import make_url

API_LOGIN = "lsync_api_test"


def ensure_api_login(admin_url: str) -> None:
    """Create (or reset) the cluster-wide login in sync_api (created by migrate)."""
    with psycopg.connect(admin_url.replace("+psycopg", ""), autocommit=True) as conn:
        with contextlib.suppress(psycopg.errors.DuplicateObject):  # a concurrent run
            conn.execute(f"CREATE ROLE {API_LOGIN} LOGIN")
        conn.execute(
            f"ALTER ROLE {API_LOGIN} LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"
        )
        conn.execute(f"GRANT sync_api TO {API_LOGIN}")


def api_url(db_url: str) -> str:
    """`db_url` logged in as the API's login instead of postgres."""
    return make_url(db_url).set(username=API_LOGIN).render_as_string(hide_password=False)
