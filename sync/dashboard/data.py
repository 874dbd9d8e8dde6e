"""The pages' reads and actions on runs and the run-now queue, cached where it is safe.

Reads go through `load`, so a database failure draws the friendly panel and stops the page.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from sync.dashboard import queries as dq
from sync.dashboard import runtime
from sync.dashboard.formatting import store_tz, zone_abbreviation
from sync.dashboard.history_view import runs_csv
from sync.dashboard.panels import load
from sync.dashboard.queries import HistoryFilter
from sync.dashboard.wording import estimate_words
from sync.days import UtcOffsets, utc_offsets
from sync.errors import SyncError
from sync.health import HealthSummary
from sync.health.reading import summarize
from sync.health.snapshot import RunLogSnapshot
from sync.health.stores import StoreHealth
from sync.runs import OPEN_REQUESTS
from sync.storage.queueing import ALL, MAX_BACKFILL_DAYS, RECONCILE, Enqueued
from sync.storage.sql.group_reads import read_snapshots
from sync.storage.sql.queue import request_sync
from sync.storage.sql.reads import read_snapshot
from sync.storage.status_report import thresholds_for
from sync.storage.stores import zone_setting

CACHE_TTL_SECONDS = 30
STATUS_REFRESH_SECONDS = 60
LIVE_REFRESH_SECONDS = 2
CSV_LIMIT = 100_000


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _snapshot(url: str, store: str, zone: str | None) -> RunLogSnapshot:
    return read_snapshot(runtime.engine_for(url), store, runtime.clock(), zone=zone)


def _snapshots(url: str, zones: dict[str, str | None]) -> dict[str, RunLogSnapshot]:
    return read_snapshots(runtime.engine_for(url), zones, runtime.clock())


@st.cache_data(ttl=CACHE_TTL_SECONDS, show_spinner=False)
def _history(url: str, store: str, flt: tuple, unit: str, offsets: UtcOffsets) -> tuple[Any, ...]:
    f = HistoryFilter(*flt)
    eng = runtime.engine_for(url)
    return (
        dq.history_rows(eng, store, f),
        dq.runs_per_bucket(eng, store, f, unit, offsets),
        dq.duration_per_bucket(eng, store, f, unit, offsets),
        runtime.clock(),
    )


def snapshot() -> RunLogSnapshot:
    """The read model behind the Status view: one read, cached 30 s (today is the store's)."""
    cfg = runtime.settings()
    return load(_snapshot, cfg.reader_database_url, runtime.store(), runtime.store_time_zone())


def overview() -> dq.Overview:
    """The Status page's numbers (from the cached snapshot, colours computed now)."""
    cfg = runtime.settings()
    facts = dq.facts_of(snapshot())
    limits = {e.entity: thresholds_for(cfg, e.entity) for e in facts.entities}
    return dq.build_overview(facts, runtime.clock(), limits, cfg.heartbeat_seconds)


def health() -> HealthSummary:
    """The health model's summary: verdict, score, counts, data ready (of the snapshot)."""
    return summarize(snapshot(), runtime.settings())


def store_group() -> list[StoreHealth]:
    """Every store the user may see with its health summary (a disabled one without), for
    the Stores page."""
    cfg, mine, entries = runtime.settings(), runtime.configured_store(), runtime.stores()
    zones = {
        e.prefix: zone_setting(cfg, e.prefix, e.time_zone, mine=mine) for e in entries if e.enabled
    }
    snaps = load(_snapshots, cfg.reader_database_url, zones)
    return [
        StoreHealth(
            e.prefix, e.name, e.enabled, summarize(snaps[e.prefix], cfg) if e.enabled else None
        )
        for e in entries
    ]


def open_alerts() -> int:
    """How many alert incidents are open (of the snapshot)."""
    return sum(snapshot().open_incidents.values())


def history(flt: HistoryFilter, unit: str) -> tuple[Any, ...]:
    """(rows, runs per bucket, durations per bucket, fetched_at) for `flt`."""
    # Each run is bucketed with the offset in force when it started (daylight saving).
    offsets = utc_offsets(store_tz(), flt.start, flt.end)
    key = (flt.start, flt.end, flt.entities, flt.statuses)
    cfg = runtime.settings()
    return load(_history, cfg.reader_database_url, runtime.store(), key, unit, offsets)


def history_csv(flt: HistoryFilter) -> bytes:
    """All runs matching `flt` (up to CSV_LIMIT) as the table shows them, as CSV; built when
    the button is pressed."""
    try:
        rows = dq.history_rows(runtime.engine(), runtime.store(), flt, limit=CSV_LIMIT)
    except SyncError as exc:
        return f"The database could not be read: {exc.message}\n".encode()
    return runs_csv(rows, store_tz(), zone_abbreviation())


def requests_table() -> Any:
    """Open and recent run-now requests (not cached: the page follows them live)."""
    return load(dq.recent_requests, runtime.engine(), runtime.store())


def request_info(request_id: int) -> dict[str, Any] | None:
    """One run-now request as a dict, or None when it no longer exists."""
    return load(dq.request_info, runtime.engine(), runtime.store(), request_id)


def run_progress(run_id: str) -> list[dict[str, Any]]:
    """The sync_log rows of one run, as the runner updates them."""
    return load(dq.run_progress, runtime.engine(), runtime.store(), run_id)


def enqueue(entity: str, username: str, reason: str | None) -> Enqueued:
    """Queue a run-now request as the logged-in user."""
    return load(
        request_sync,
        runtime.engine(),
        runtime.store(),
        entity,
        requested_by=username,
        reason=reason,
        now=runtime.clock(),
    )


def enqueue_reconcile(username: str) -> Enqueued:
    """Queue a reconciliation of the store's yesterday (merged into an open one)."""
    return load(
        request_sync,
        runtime.engine(),
        runtime.store(),
        ALL,
        requested_by=username,
        reason=None,
        now=runtime.clock(),
        action=RECONCILE,
    )


def open_reconcile() -> dict[str, Any] | None:
    """The queued or running reconciliation request, if any (not cached)."""
    queue = requests_table()
    if queue.empty:
        return None
    mine = queue[(queue["action"] == RECONCILE) & queue["status"].isin(OPEN_REQUESTS)]
    return None if mine.empty else dict(mine.iloc[0])


def backfill_problem(date_from: date, date_to: date) -> str | None:
    """One sentence when the range is inverted or longer than the dashboard allows."""
    from sync.engine.backfill import check_range

    try:
        check_range(date_from, date_to, max_days=MAX_BACKFILL_DAYS)
    except SyncError as exc:
        return exc.message
    return None


def backfill_estimate(entity: str, date_from: date, date_to: date) -> str:
    """What a backfill would cost, in plain words (from the copy; never calls Lightspeed)."""
    from sync.engine.backfill import estimate

    cfg = runtime.settings()
    found = load(
        estimate,
        cfg,
        runtime.engine(),
        entity,
        date_from,
        date_to,
        store=runtime.store(),
        zone=runtime.store_time_zone(),
    )
    return estimate_words(entity, found.records, found.seconds)


def enqueue_backfill(entity: str, username: str, date_from: date, date_to: date) -> Enqueued:
    """Queue a backfill of one entity's date range as the logged-in user."""
    return load(
        request_sync,
        runtime.engine(),
        runtime.store(),
        entity,
        requested_by=username,
        reason=None,
        now=runtime.clock(),
        action="backfill",
        date_from=date_from,
        date_to=date_to,
    )
