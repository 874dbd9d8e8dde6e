"""A login role in `dashboard_reader`, as an admin creates one for the dashboard host."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from tests.support.roles import ensure_login

DASHBOARD_LOGIN = "lsync_dashboard_test"


def ensure_dashboard_login(admin_url: str) -> None:
    """Create (or reset) the cluster-wide login in dashboard_reader (created by migrate)."""
    ensure_login(admin_url, DASHBOARD_LOGIN, ["dashboard_reader"])


def dashboard_url(db_url: str) -> str:
    """`db_url` logged in as the dashboard's login instead of postgres."""
    return make_url(db_url).set(username=DASHBOARD_LOGIN).render_as_string(hide_password=False)
