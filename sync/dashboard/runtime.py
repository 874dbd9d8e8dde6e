"""What every dashboard module reads at call time: the clock, the settings, the read engine."""

from __future__ import annotations

from datetime import datetime

import streamlit as st

from sync.auth import user_stores
from sync.config import Settings, load_settings
from sync.errors import SyncError
from sync.runs import utcnow
from sync.storage.sql.db import Engine, create_db_engine
from sync.storage.stores import StoreRow, visible_stores, zone_setting

STORE_QUERY = "store"  # ?store=PREFIX: the store the pages show
_PICKED = "_dashboard_store"
NO_STORE = (
    "Your login may see none of the stores this database holds: ask the admin to give it "
    "one (`python -m sync user stores NAME PREFIX`)."
)


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


def _all_stores() -> list[StoreRow]:
    try:
        return _stores(settings().reader_database_url)
    except SyncError:
        return []


def limit() -> frozenset[str] | None:
    """The stores the logged-in user may see (None: every store). Nobody logged in sees
    none; a malformed users file draws one sentence and stops the page."""
    if st.session_state.get("authentication_status") is not True:
        return frozenset()
    try:
        return user_stores(settings(), str(st.session_state.get("username")))
    except SyncError as exc:
        st.error(f"**Configuration problem.** {exc.message}", icon=":material/settings:")
        st.stop()
        raise  # unreachable: st.stop() raises


def stores() -> list[StoreRow]:
    """The database's stores the logged-in user may see (none while it cannot be read:
    the page's own read says so)."""
    return visible_stores(_all_stores(), limit())


def configured_store() -> str:
    """LIGHTSPEED_DOMAIN_PREFIX, else the database's first store, else the default one: the
    store STORE_TIME_ZONE and STORE_NAME describe."""
    cfg = settings()
    if cfg.lightspeed_domain_prefix:
        return cfg.lightspeed_domain_prefix
    found = _all_stores()
    return found[0].prefix if found else cfg.store_prefix


def default_store() -> str:
    """The store shown when none is picked: the configured one when the user (and the
    database login, limited by row-level security) may see it, else the first store they
    may see. A user who may see none is stopped here."""
    mine, allowed = configured_store(), limit()
    if st.session_state.get("authentication_status") is not True:
        return mine  # logged out: only the login screen's clock reads it
    visible = [s.prefix for s in stores()]
    if mine in visible:
        return mine
    if not visible:
        if allowed is None or not _all_stores():
            return mine  # nothing readable (yet): the page's own read says why
        st.warning(NO_STORE, icon=":material/storefront:")
        st.stop()
    return visible[0]


def store() -> str:
    """The store the pages show: the one picked (`?store=` in the URL, kept for the
    session), else `default_store()`. A store the database does not hold, or the user may
    not see, is ignored."""
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
    entry = store_entry()
    recorded = entry.time_zone if entry else None
    return zone_setting(settings(), store(), recorded, mine=configured_store())


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
