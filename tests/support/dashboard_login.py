"""A login role in `dashboard_reader`, as an admin creates one for the dashboard host."""

from __future__ import annotations

import contextlib

import psycopg
from sqlalchemy.engine import make_url

DASHBOARD_LOGIN = "lsync_dashboard_test"


def ensure_dashboard_login(admin_url: str) -> None:
    """Create (or reset) the cluster-wide login in dashboard_reader (created by migrate)."""
    with psycopg.connect(admin_url.replace("+psycopg", ""), autocommit=True) as conn:
        with contextlib.suppress(psycopg.errors.DuplicateObject):  # a concurrent run
            conn.execute(f"CREATE ROLE {DASHBOARD_LOGIN} LOGIN")
        conn.execute(
            f"ALTER ROLE {DASHBOARD_LOGIN} LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE "
            "NOBYPASSRLS"
        )
        conn.execute(f"GRANT dashboard_reader TO {DASHBOARD_LOGIN}")


def dashboard_url(db_url: str) -> str:
    """`db_url` logged in as the dashboard's login instead of postgres."""
    return make_url(db_url).set(username=DASHBOARD_LOGIN).render_as_string(hide_password=False)
