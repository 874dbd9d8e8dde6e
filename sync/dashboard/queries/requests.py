"""The Sync now page's data: the run-now queue, one request, one run's progress."""

from __future__ import annotations

from typing import Any

import pandas as pd

from sync.storage.sql import history as reads
from sync.storage.sql.db import Engine
from sync.storage.sql.history import REQUEST_COLUMNS


def recent_requests(engine: Engine, limit: int = 15) -> pd.DataFrame:
    """Open requests first, then the latest finished ones."""
    return pd.DataFrame(reads.recent_requests(engine, limit), columns=REQUEST_COLUMNS)


def request_info(engine: Engine, request_id: int) -> dict[str, Any] | None:
    """One request row as a dict, or None."""
    return reads.request_info(engine, request_id)


def run_progress(engine: Engine, run_id: str) -> list[dict[str, Any]]:
    """The sync_log rows of one run (updated by the runner after every page)."""
    return reads.run_progress(engine, run_id)
