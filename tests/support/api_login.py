"""A login role in `sync_api`, as an admin creates one for the health API's host."""

from __future__ import annotations

from sqlalchemy.engine import make_url

from tests.support.roles import ensure_login

API_LOGIN = "lsync_api_test"


def ensure_api_login(admin_url: str) -> None:
    """Create (or reset) the cluster-wide login in sync_api (created by migrate)."""
    ensure_login(admin_url, API_LOGIN, ["sync_api"])


def api_url(db_url: str) -> str:
    """`db_url` logged in as the API's login instead of postgres."""
    return make_url(db_url).set(username=API_LOGIN).render_as_string(hide_password=False)
