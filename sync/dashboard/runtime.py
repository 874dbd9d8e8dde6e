"""What every dashboard module reads at call time: the clock, the settings, the read engine."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from sync.config import Settings, load_settings
from sync.errors import SyncError
from sync.runs import utcnow
from sync.storage.sql.db import Engine, create_db_engine


def clock() -> datetime:
    """Now, in UTC. Tests replace `sync.dashboard.runtime.clock` to pin the time."""
    return utcnow()


def settings() -> Settings:
    """The settings of this run; a bad setting draws one sentence and stops the page."""
    try:
        return load_settings()
    except SyncError as exc:
        st.error(f"**Configuration problem.** {exc.message}", icon=":material/settings:")
        st.stop()
        raise  # unreachable: st.stop() raises


@st.cache_resource(show_spinner=False)
def engine_for(url: str) -> Engine:
    """The read-only engine of `url`, shared by every session of this process."""
    return create_db_engine(url, readonly=True)


def engine() -> Engine:
    """The shared read engine of DASHBOARD_DATABASE_URL (default DATABASE_URL)."""
    return engine_for(settings().reader_database_url)


@st.cache_data(ttl=60, show_spinner=False)
def _reading_store(url: str) -> str:
    from sync.storage.sql.stores import reading_store

    return reading_store(engine_for(url), None)


def store() -> str:
    """The store the pages show: LIGHTSPEED_DOMAIN_PREFIX, else the database's first store.

    A database that cannot be read gives the configured (or default) one: the page's own
    read then draws the database panel.
    """
    cfg = settings()
    if cfg.lightspeed_domain_prefix:
        return cfg.lightspeed_domain_prefix
    try:
        return _reading_store(cfg.reader_database_url)
    except SyncError:
        return cfg.store_prefix


def reader_login_problem() -> str | None:
    """The sentence for the admin when the dashboard reads Postgres with the writer's login."""
    return settings().reader_login_problem


def clear_caches() -> None:
    """The refresh control: forget cached query results."""
    st.cache_data.clear()
