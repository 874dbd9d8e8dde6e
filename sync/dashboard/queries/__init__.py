"""Read-only queries behind the dashboard: dataclasses and pandas DataFrames, no Streamlit.

Every query is bounded (an indexed WHERE plus LIMIT, or an aggregate computed in SQL), so
pages stay fast with millions of `sync_log` rows. One module per page: `status` (facts and
the verdict), `history` (runs and per-bucket counts), `requests` (the run-now queue).
"""

from __future__ import annotations

from sync.dashboard.queries.history import (
    HistoryFilter,
    duration_per_bucket,
    history_rows,
    runs_per_bucket,
)
from sync.dashboard.queries.requests import recent_requests, request_info, run_progress
from sync.dashboard.queries.status import (
    ENTITY_LABELS,
    LOG_COLUMNS,
    RUN_STATUSES,
    STREAK_DEPTH,
    Colour,
    EntityFacts,
    Facts,
    Overview,
    SchedulerView,
    Tile,
    build_overview,
    load_facts,
    ping,
)

__all__ = [
    "ENTITY_LABELS",
    "LOG_COLUMNS",
    "RUN_STATUSES",
    "STREAK_DEPTH",
    "Colour",
    "EntityFacts",
    "Facts",
    "HistoryFilter",
    "Overview",
    "SchedulerView",
    "Tile",
    "build_overview",
    "duration_per_bucket",
    "history_rows",
    "load_facts",
    "ping",
    "recent_requests",
    "request_info",
    "run_progress",
    "runs_per_bucket",
]
