"""The dashboard: the only Streamlit-aware part of `sync`, and the one import of the pages.

Pages and streamlit_app.py do `from sync import dashboard` and use what `__all__` lists.
The work lives in modules by job:

- `runtime`: the clock, the settings, the shared read engine, the cache reset
- `data`, `alert_data`: the pages' cached reads and their actions (queue, acknowledge)
- `panels`: the database-failure panel, the page-body guard, the page header
- `login`: the login gate, its throttle, the sidebar, the legacy pages/ guard
- `navigation`: page links that survive a reload and a login; the phone's sidebar
- `history_view`: the History runs table and its CSV, in the same units
- `formatting`: times on the store's clock with their zone, durations, Markdown escaping
- `status_tiles`: the Status page's entity tiles and its grid
- `wording`: the sentences a CFO reads (score, nightly check, changes, estimates)
- `queries`, `alert_queries`: the SQL behind them, returning dataclasses and DataFrames
  (no Streamlit)

`clock` and `LOGIN_SLEEP_SECONDS` are looked up in their home module on every use, so
replace them there (`sync.dashboard.runtime.clock`, `sync.dashboard.login.LOGIN_SLEEP_SECONDS`)
and every reader, here or inside the package, sees the new value.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

from sync.dashboard import alert_queries as da
from sync.dashboard import login, runtime
from sync.dashboard import queries as dq
from sync.dashboard.alert_data import (
    acknowledge_incident,
    alert_notifications,
    data_trust,
    incident_history,
    incident_store,
    open_incident_count,
    open_incidents,
    reconciliation_rows,
    rule_text,
    snooze_choices,
    snooze_incident,
)
from sync.dashboard.data import (
    CSV_LIMIT,
    LIVE_REFRESH_SECONDS,
    STATUS_REFRESH_SECONDS,
    backfill_estimate,
    backfill_problem,
    enqueue,
    enqueue_backfill,
    enqueue_reconcile,
    health,
    history,
    history_csv,
    open_alerts,
    open_reconcile,
    overview,
    request_info,
    requests_table,
    run_progress,
    store_group,
)
from sync.dashboard.formatting import (
    ago,
    exact,
    local,
    md,
    run_time,
    store_tz,
    zone_abbreviation,
    zone_name,
)
from sync.dashboard.history_view import FIRST_IMPORT, csv_name, runs_view
from sync.dashboard.login import (
    Session,
    current_user,
    leave_legacy_pages_mode,
    login_gate,
    sidebar,
)
from sync.dashboard.navigation import close_sidebar_on_phone, remember_page, restore_page
from sync.dashboard.panels import database_problem, load, page_header, safe
from sync.dashboard.queries import ENTITY_LABELS, RUN_STATUSES, HistoryFilter
from sync.dashboard.runtime import (
    STORE_QUERY,
    clear_caches,
    engine,
    reader_login_problem,
    settings,
    stores,
)
from sync.dashboard.status_tiles import grid_css, tile, tiles
from sync.dashboard.wording import (
    changes,
    deduction_text,
    estimate_words,
    score_explanation,
    sla_sentence,
    when_nightly,
)
from sync.health import HealthSummary
from sync.health.stores import group_verdict
from sync.runs import OPEN_REQUESTS, RequestStatus, RunStatus
from sync.storage.queueing import REQUESTABLE

__all__ = [
    "CSV_LIMIT",
    "ENTITY_LABELS",
    "FIRST_IMPORT",
    "LIVE_REFRESH_SECONDS",
    "LOGIN_SLEEP_SECONDS",
    "OPEN_REQUESTS",
    "REQUESTABLE",
    "RUN_STATUSES",
    "STATUS_REFRESH_SECONDS",
    "STORE_QUERY",
    "HealthSummary",
    "HistoryFilter",
    "RequestStatus",
    "RunStatus",
    "Session",
    "acknowledge_incident",
    "ago",
    "alert_notifications",
    "backfill_estimate",
    "backfill_problem",
    "changes",
    "clear_caches",
    "clock",
    "close_sidebar_on_phone",
    "csv_name",
    "current_user",
    "da",
    "data_trust",
    "database_problem",
    "deduction_text",
    "dq",
    "engine",
    "enqueue",
    "enqueue_backfill",
    "enqueue_reconcile",
    "estimate_words",
    "exact",
    "grid_css",
    "group_verdict",
    "health",
    "history",
    "history_csv",
    "incident_history",
    "incident_store",
    "leave_legacy_pages_mode",
    "load",
    "local",
    "login_gate",
    "md",
    "open_alerts",
    "open_incident_count",
    "open_incidents",
    "open_reconcile",
    "overview",
    "page_header",
    "reader_login_problem",
    "reconciliation_rows",
    "remember_page",
    "request_info",
    "requests_table",
    "restore_page",
    "rule_text",
    "run_progress",
    "run_time",
    "runs_view",
    "safe",
    "score_explanation",
    "settings",
    "sidebar",
    "sla_sentence",
    "snooze_choices",
    "snooze_incident",
    "store_group",
    "store_tz",
    "stores",
    "tile",
    "tiles",
    "when_nightly",
    "zone_abbreviation",
    "zone_name",
]

# Names a test may replace: they live in one module each and are read there at call time.
_LIVE: dict[str, ModuleType] = {"clock": runtime, "LOGIN_SLEEP_SECONDS": login}


def __getattr__(name: str) -> Any:
    if name in _LIVE:
        return getattr(_LIVE[name], name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
