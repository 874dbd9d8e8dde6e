"""Roles limited to some stores (migration 0018), as an admin creates them: a NOLOGIN role
in dashboard_reader that `store grant` limits, and a login that is a member of it.

Roles belong to the whole cluster: each is created when absent and then altered to what the
tests need, never assumed."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from tests.support.roles import ensure_role, role_changes

LIMITED = "lsync_rls_limited"  # limited by store_readers; PostgREST switches to it
LIMITED_LOGIN = "lsync_rls_limited_login"  # a login IN ROLE the limited role
LIMITED_KEY = "eyJhbGciOiJIUzI1NiJ9.bHNfcmxzX2xpbWl0ZWQtdGVzdA.TGltaXRlZEtleVNpZ25hdHVyZTQ1"


def ensure_limited_roles(admin_url: str) -> None:
    """Create (or reset) the limited role and its login, under the cluster's role lock."""
    with role_changes(admin_url) as conn:
        options = "INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS"
        ensure_role(conn, LIMITED, f"NOLOGIN {options}", ["dashboard_reader"])
        ensure_role(conn, LIMITED_LOGIN, f"LOGIN {options}", [LIMITED])
        if conn.execute("SELECT FROM pg_roles WHERE rolname = 'authenticator'").fetchone():
            conn.execute(f"GRANT {LIMITED} TO authenticator")  # PostgREST's SET ROLE


def login_url(db_url: str, role: str = LIMITED_LOGIN) -> str:
    """`db_url` logged in as `role` instead of postgres."""
    return make_url(db_url).set(username=role).render_as_string(hide_password=False)
