"""The History page's data: runs in a date range and per-bucket counts, as DataFrames.

The SQL (bounded, aggregates computed in the database) is sync.storage.sql.history's.
"""

from __future__ import annotations

import pandas as pd

from sync.days import UtcOffsets
from sync.storage.reads import HistoryFilter
from sync.storage.sql import history as reads
from sync.storage.sql.db import Engine
from sync.storage.sql.history import HISTORY_EXTRA, LOG_COLUMNS

__all__ = [
    "LOG_COLUMNS",
    "HistoryFilter",
    "duration_per_bucket",
    "history_rows",
    "runs_per_bucket",
]


def history_rows(engine: Engine, store: str, flt: HistoryFilter, limit: int = 1000) -> pd.DataFrame:
    """The newest `limit` runs of `store` matching `flt`."""
    frame = pd.DataFrame(
        reads.history_rows(engine, store, flt, limit), columns=["id", *LOG_COLUMNS, *HISTORY_EXTRA]
    )
    for column in ("started_at", "finished_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def runs_per_bucket(
    engine: Engine, store: str, flt: HistoryFilter, unit: str, offsets: UtcOffsets
) -> pd.DataFrame:
    """Runs per local day (or hour) and status."""
    rows = reads.runs_per_bucket(engine, store, flt, unit, offsets)
    return _bucketed(pd.DataFrame(rows, columns=["bucket", "status", "runs"]))


def duration_per_bucket(
    engine: Engine, store: str, flt: HistoryFilter, unit: str, offsets: UtcOffsets
) -> pd.DataFrame:
    """Average and longest finished-run duration per entity and local day (or hour)."""
    rows = reads.duration_per_bucket(engine, store, flt, unit, offsets)
    frame = _bucketed(pd.DataFrame(rows, columns=["bucket", "entity", "avg_s", "max_s", "runs"]))
    frame[["avg_s", "max_s"]] = frame[["avg_s", "max_s"]].astype(float)
    return frame


def _bucketed(frame: pd.DataFrame) -> pd.DataFrame:
    frame["bucket"] = pd.to_datetime(frame["bucket"])
    return frame
