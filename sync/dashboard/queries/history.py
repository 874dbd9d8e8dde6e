"""The History page's reads: runs in a date range, and per-bucket counts computed in SQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, literal_column, select, text
from sqlalchemy.sql import ColumnElement

from sync.storage.schema import sync_log
from sync.storage.sql.db import database_errors

# Everything the pages show about a run (not the version range or the process).
LOG_COLUMNS = tuple(
    c.name for c in sync_log.c if c.name not in ("id", "version_from", "version_to", "host", "pid")
)


@dataclass(frozen=True)
class HistoryFilter:
    """Runs started in [start, end), of these entities and statuses (empty = all)."""

    start: datetime
    end: datetime
    entities: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses of this filter on `sync_log`."""
        where = [sync_log.c.started_at >= self.start, sync_log.c.started_at < self.end]
        if self.entities:
            where.append(sync_log.c.entity_type.in_(self.entities))
        if self.statuses:
            where.append(sync_log.c.status.in_(self.statuses))
        return where


def history_rows(engine: Engine, flt: HistoryFilter, limit: int = 1000) -> pd.DataFrame:
    """The newest `limit` runs matching `flt` (uses ix_sync_log_started)."""
    query = (
        select(sync_log.c.id, *(sync_log.c[c] for c in LOG_COLUMNS))
        .where(*flt.conditions())
        .order_by(sync_log.c.started_at.desc(), sync_log.c.id.desc())
        .limit(limit)
    )
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame([dict(r._mapping) for r in rows], columns=["id", *LOG_COLUMNS])
    for column in ("started_at", "finished_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def _bucket(engine: Engine, unit: str, offset_minutes: int) -> ColumnElement[Any]:
    """started_at truncated to the local `unit` ('day' or 'hour'), as naive local time."""
    if unit not in ("day", "hour"):
        raise ValueError(unit)
    offset = int(offset_minutes)
    if engine.dialect.name == "postgresql":
        shifted = func.timezone("UTC", sync_log.c.started_at) + literal_column(
            f"interval '{offset} minutes'"
        )
        return func.date_trunc(literal_column(f"'{unit}'"), shifted)
    fmt = "%Y-%m-%d 00:00:00" if unit == "day" else "%Y-%m-%d %H:00:00"
    return func.strftime(
        literal_column(f"'{fmt}'"), sync_log.c.started_at, literal_column(f"'{offset:+d} minutes'")
    )


def runs_per_bucket(
    engine: Engine, flt: HistoryFilter, unit: str = "day", offset_minutes: int = 0
) -> pd.DataFrame:
    """Runs per local day (or hour) and status, counted in SQL."""
    bucket = _bucket(engine, unit, offset_minutes).label("bucket")
    query = (
        select(bucket, sync_log.c.status, func.count().label("runs"))
        .where(*flt.conditions())
        .group_by(text("bucket"), sync_log.c.status)
        .order_by(text("bucket"))
    )
    return _frame(engine, query, ["bucket", "status", "runs"])


def duration_per_bucket(
    engine: Engine, flt: HistoryFilter, unit: str = "day", offset_minutes: int = 0
) -> pd.DataFrame:
    """Average and longest finished-run duration per entity and local day (or hour)."""
    bucket = _bucket(engine, unit, offset_minutes).label("bucket")
    query = (
        select(
            bucket,
            sync_log.c.entity_type.label("entity"),
            (func.avg(sync_log.c.duration_ms) / 1000.0).label("avg_s"),
            (func.max(sync_log.c.duration_ms) / 1000.0).label("max_s"),
            func.count().label("runs"),
        )
        .where(*flt.conditions(), sync_log.c.duration_ms.is_not(None))
        .group_by(text("bucket"), sync_log.c.entity_type)
        .order_by(text("bucket"))
    )
    frame = _frame(engine, query, ["bucket", "entity", "avg_s", "max_s", "runs"])
    frame[["avg_s", "max_s"]] = frame[["avg_s", "max_s"]].astype(float)
    return frame


def _frame(engine: Engine, query: Any, columns: list[str]) -> pd.DataFrame:
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    frame["bucket"] = pd.to_datetime(frame["bucket"])
    return frame
