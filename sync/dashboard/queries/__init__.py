"""Read-only queries behind the dashboard: dataclasses and pandas DataFrames, no Streamlit.

Every query is bounded (an indexed WHERE plus LIMIT, or an aggregate computed in SQL), so
pages stay fast with millions of `sync_log` rows. One module per page: `status` (facts and
the verdict, pure over a RunLogSnapshot), `history` (runs and per-bucket counts),
`requests` (the run-now queue).
"""

from __future__ import annotations

from sync.dashboard.queries.history import (
    LOG_COLUMNS,
    HistoryFilter,
    duration_per_bucket,
    history_rows,
    runs_per_bucket,
)
from sync.dashboard.queries.requests import recent_requests, request_info, run_progress
from sync.dashboard.queries.status import (
    ENTITY_LABELS,
    RUN_STATUSES,
    STREAK_DEPTH,
    Colour,
    EntityFacts,
    Facts,
    Overview,
    SchedulerView,
    Tile,
    build_overview,
    facts_of,
)
from sync.storage.sql.reads import ping

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
    "facts_of",
    "history_rows",
    "ping",
    "recent_requests",
    "request_info",
    "run_progress",
    "runs_per_bucket",
]
