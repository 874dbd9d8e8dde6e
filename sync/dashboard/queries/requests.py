"""The Sync now page's data: the run-now queue, one request, one run's progress."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sync.storage.sql import history as reads
from sync.storage.sql.db import Engine
from sync.storage.sql.history import REQUEST_COLUMNS


def recent_requests(engine: Engine, store: str, limit: int = 15) -> pd.DataFrame:
    """Open requests of `store` first, then its latest finished ones."""
    return pd.DataFrame(reads.recent_requests(engine, store, limit), columns=REQUEST_COLUMNS)


def request_info(engine: Engine, store: str, request_id: int) -> dict[str, Any] | None:
    """One request row of `store` as a dict, or None."""
    return reads.request_info(engine, store, request_id)


def run_progress(engine: Engine, store: str, run_id: str) -> list[dict[str, Any]]:
    """The sync_log rows of one run of `store` (updated by the runner after every page)."""
    return reads.run_progress(engine, store, run_id)
