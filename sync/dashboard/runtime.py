"""What every dashboard module reads at call time: the clock, the settings, the read engine."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from sync.config import Settings, load_settings
from sync.errors import SyncError
from sync.runs import utcnow
from sync.storage.sql.db import Engine, create_db_engine
from sync.storage.stores import StoreRow

STORE_QUERY = "store"  # ?store=PREFIX: the store the pages show
_PICKED = "_dashboard_store"


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
def _stores(url: str) -> list[StoreRow]:
    from sync.storage.sql.stores import list_stores

    return list_stores(engine_for(url))


def stores() -> list[StoreRow]:
    """The database's stores (none while it cannot be read: the page's own read says so)."""
    try:
        return _stores(settings().reader_database_url)
    except SyncError:
        return []


def configured_store() -> str:
    """LIGHTSPEED_DOMAIN_PREFIX, else the database's first store, else the default one: the
    store STORE_TIME_ZONE and STORE_NAME describe."""
    cfg = settings()
    if cfg.lightspeed_domain_prefix:
        return cfg.lightspeed_domain_prefix
    found = stores()
    return found[0].prefix if found else cfg.store_prefix


def default_store() -> str:
    """The store shown first: `configured_store()`, unless the login may not read it (a role
    limited to other stores by row-level security), then the first store it may read."""
    mine = configured_store()
    found = [s.prefix for s in stores()]
    return mine if not found or mine in found else found[0]


def store() -> str:
    """The store the pages show: the one picked (`?store=` in the URL, kept for the
    session), else `default_store()`. A store the database does not hold is ignored."""
    known = {s.prefix for s in stores()}
    asked = st.query_params.get(STORE_QUERY)
    if asked in known:
        st.session_state[_PICKED] = asked
        return str(asked)
    picked = st.session_state.get(_PICKED)
    return str(picked) if picked in known else default_store()


def store_entry() -> StoreRow | None:
    """The lightspeed_stores row of the store shown (None before it has one)."""
    shown = store()
    return next((s for s in stores() if s.prefix == shown), None)


def store_time_zone() -> str | None:
    """The zone setting of the store shown: STORE_TIME_ZONE for the configured store,
    its own recorded zone for another (None: the zone most of its outlets share)."""
    if store() == configured_store():
        return settings().store_time_zone
    entry = store_entry()
    return entry.time_zone if entry else None


def store_name() -> str:
    """The name the sidebar shows: STORE_NAME for the configured store, else its own."""
    entry = store_entry()
    if store() == configured_store() or entry is None:
        return settings().display_name
    return entry.name


def reader_login_problem() -> str | None:
    """The sentence for the admin when the dashboard reads Postgres with the writer's login."""
    return settings().reader_login_problem


def clear_caches() -> None:
    """The refresh control: forget cached query results."""
    st.cache_data.clear()
