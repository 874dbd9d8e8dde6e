"""Performance history: runs of the last 24 h / 7 d / 30 d in UTC time buckets (SQL)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, case, func, literal_column, select, text
from sqlalchemy.sql import ColumnElement

from sync.storage.schema import sync_log
from sync.storage.sql.db import database_errors


@dataclass(frozen=True)
class Period:
    """A period the endpoint accepts and the bucket it is cut into."""

    span: timedelta
    unit: str  # 'hour' or 'day'


PERIODS = {
    "24h": Period(timedelta(hours=24), "hour"),
    "7d": Period(timedelta(days=7), "hour"),
    "30d": Period(timedelta(days=30), "day"),
}


def _bucket(engine: Engine, unit: str) -> ColumnElement[Any]:
    """started_at truncated to the UTC hour or day, as text 'YYYY-MM-DD HH:00:00'."""
    if engine.dialect.name == "postgresql":
        truncated = func.date_trunc(
            literal_column(f"'{unit}'"), func.timezone("UTC", sync_log.c.started_at)
        )
        return func.to_char(truncated, literal_column("'YYYY-MM-DD HH24:MI:SS'"))
    fmt = "%Y-%m-%d 00:00:00" if unit == "day" else "%Y-%m-%d %H:00:00"
    return func.strftime(literal_column(f"'{fmt}'"), sync_log.c.started_at)


def performance_history(
    engine: Engine, now: datetime, period: str, entity: str | None = None
) -> dict[str, Any]:
    """Per bucket: runs, failures, durations, records, peak memory, API p95, errors by class."""
    shape = PERIODS[period]
    since = now - shape.span
    c = sync_log.c
    where = [c.started_at >= since, c.status != "running"]
    if entity:
        where.append(c.entity_type == entity)
    # One pass over the period, grouped by bucket and error class; the classes are folded
    # into their bucket below.
    query = (
        select(
            _bucket(engine, shape.unit).label("bucket"),
            c.error_type,
            func.count().label("runs"),
            func.sum(case((c.status == "failed", 1), else_=0)).label("failed"),
            func.sum(c.duration_ms).label("sum_ms"),
            func.count(c.duration_ms).label("timed"),
            func.max(c.duration_ms).label("max_ms"),
            func.sum(c.records_upserted + c.records_deleted).label("records"),
            func.max(c.peak_rss_bytes).label("peak_rss"),
            func.max(c.api_ms_p95).label("api_p95"),
            func.sum(func.coalesce(c.api_retries, 0)).label("retries"),
        )
        .where(*where)
        .group_by(text("bucket"), c.error_type)
    )
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(query).all()
    buckets: dict[str, dict[str, Any]] = {}
    for r in rows:
        b = buckets.setdefault(r.bucket, _empty(r.bucket))
        b["runs"] += int(r.runs)
        b["failed"] += int(r.failed or 0)
        b["_ms"] += int(r.sum_ms or 0)
        b["_timed"] += int(r.timed or 0)
        b["max_duration_s"] = _larger(b["max_duration_s"], _seconds(r.max_ms))
        b["records"] += int(r.records or 0)
        b["peak_memory_bytes"] = _larger(
            b["peak_memory_bytes"], int(r.peak_rss) if r.peak_rss is not None else None
        )
        b["api_ms_p95"] = _larger(
            b["api_ms_p95"], float(r.api_p95) if r.api_p95 is not None else None
        )
        b["api_retries"] += int(r.retries or 0)
        if r.error_type is not None:
            b["errors_by_class"][r.error_type] = int(r.runs)
    for b in buckets.values():
        ms, timed = b.pop("_ms"), b.pop("_timed")
        b["average_duration_s"] = _seconds(ms / timed) if timed else None
    return {
        "period": period,
        "entity": entity,
        "bucket": shape.unit,
        "from": since.isoformat(),
        "to": now.isoformat(),
        "buckets": [buckets[k] for k in sorted(buckets)],
    }


def _empty(bucket: str) -> dict[str, Any]:
    return {
        "start": f"{bucket.replace(' ', 'T')}+00:00",
        "runs": 0,
        "failed": 0,
        "average_duration_s": None,
        "max_duration_s": None,
        "records": 0,
        "peak_memory_bytes": None,
        "api_ms_p95": None,
        "api_retries": 0,
        "errors_by_class": {},
        "_ms": 0,
        "_timed": 0,
    }


def _larger(a: Any, b: Any) -> Any:
    if a is None:
        return b
    return a if b is None else max(a, b)


def _seconds(ms: Any) -> float | None:
    return round(float(ms) / 1000, 3) if ms is not None else None
