"""Shared panels: the database-failure panel, the page-body guard and the page header.

Everything a user can meet as a failure is drawn here as one clear panel; no traceback
reaches the page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import streamlit as st

from sync.config import Settings, load_settings
from sync.dashboard import queries as dq
from sync.dashboard import runtime
from sync.dashboard.formatting import exact, local, md
from sync.errors import ErrorKind, SyncError, redact
from sync.storage.sql.db import safe_url

log = logging.getLogger("sync.dashboard")
RETRY_SECONDS = 10
T = TypeVar("T")


def load(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Call a query; on a database failure draw the friendly panel and stop the page."""
    try:
        return fn(*args, **kwargs)
    except SyncError as exc:
        if exc.kind is ErrorKind.RATE_LIMIT:  # the database's cap on run-now requests
            st.warning(exc.message, icon=":material/hourglass_top:")
        else:
            database_problem(exc)
        st.stop()
        raise


def database_problem(exc: SyncError) -> None:
    """What failed and what to check; the page retries by itself."""
    try:
        cfg = load_settings()
    except SyncError:
        cfg = Settings()
    message = redact(exc.message, *cfg.secrets)
    missing = any(s in message for s in ("no such table", "does not exist", "UndefinedTable"))
    with st.container(border=True):
        if exc.kind is ErrorKind.CONFIG:
            st.error("**The database setting is not usable.**", icon=":material/settings:")
        elif missing:
            st.error("**The database has no sync tables yet.**", icon=":material/database:")
        else:
            st.error("**The sync database cannot be read right now.**", icon=":material/database:")
        st.text(message)
        st.markdown(
            "**What to check**\n"
            "- Is the database server running and reachable from this host?\n"
            f"- Is `DASHBOARD_DATABASE_URL` (or `DATABASE_URL`) right? Now: "
            f"`{safe_url(cfg.reader_database_url)}`\n"
            "- Were the tables created? Run `python -m sync migrate` once."
        )
        st.caption(f"This page checks again every {RETRY_SECONDS} seconds by itself.")
        _retry_when_back()


@st.fragment(run_every=RETRY_SECONDS)
def _retry_when_back() -> None:
    # Reload the page once the database answers again (only after it was seen down, so a
    # failure that ping cannot see never loops).
    try:
        dq.ping(runtime.engine_for(load_settings().reader_database_url))
    except SyncError:
        st.session_state["_db_seen_down"] = True
        return
    if st.session_state.pop("_db_seen_down", False):
        st.rerun()


def safe(render: Callable[[], None]) -> None:
    """Run a page body; any unexpected error becomes one sentence (details in the log)."""
    try:
        render()
    except SyncError as exc:
        database_problem(exc)
    except Exception:
        log.exception("dashboard page failed")
        st.error(
            "Something went wrong while drawing this page. Reload it; if it keeps happening, "
            "the details are in the dashboard's log.",
            icon=":material/error:",
        )


def page_header(title: str, *, key: str) -> Callable[[datetime | None], None]:
    """Draw the title now; the returned function adds 'Data as of HH:MM · Refresh' on the
    right once the data is loaded (a failed load leaves the title and the panel only)."""
    left, right = st.columns([3, 2], vertical_alignment="center")
    left.title(title, anchor=False)
    if len(runtime.stores()) > 1 and title != "Stores":  # which store, also on a phone
        name, prefix = runtime.store_name(), runtime.store()
        left.caption(f"Store: **{md(name)}**" + (f" ({md(prefix)})" if name != prefix else ""))

    def stamp(fetched_at: datetime | None) -> None:
        with right.container(
            horizontal=True, horizontal_alignment="right", vertical_alignment="center"
        ):
            st.caption(
                f"Data as of {local(fetched_at, '%H:%M')}",
                help=exact(fetched_at),
                width="content",
            )
            if st.button("Refresh", key=key, icon=":material/refresh:", type="tertiary"):
                runtime.clear_caches()
                st.rerun()

    return stamp
