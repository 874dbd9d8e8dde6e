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
    bucket = _bucket(engine, shape.unit).label("bucket")
    where = [c.started_at >= since, c.status != "running"]
    if entity:
        where.append(c.entity_type == entity)
    failed = case((c.status == "failed", 1), else_=0)
    query = (
        select(
            bucket,
            func.count().label("runs"),
            func.sum(failed).label("failed"),
            func.avg(c.duration_ms).label("avg_ms"),
            func.max(c.duration_ms).label("max_ms"),
            func.sum(c.records_upserted + c.records_deleted).label("records"),
            func.max(c.peak_rss_bytes).label("peak_rss"),
            func.max(c.api_ms_p95).label("api_p95"),
            func.sum(func.coalesce(c.api_retries, 0)).label("retries"),
        )
        .where(*where)
        .group_by(text("bucket"))
        .order_by(text("bucket"))
    )
    errors = (
        select(bucket, c.error_type, func.count().label("n"))
        .where(*where, c.error_type.is_not(None))
        .group_by(text("bucket"), c.error_type)
    )
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(query).all()
        by_class: dict[str, dict[str, int]] = {}
        for r in conn.execute(errors):
            by_class.setdefault(r.bucket, {})[r.error_type] = int(r.n)
    buckets = [
        {
            "start": f"{r.bucket.replace(' ', 'T')}+00:00",
            "runs": int(r.runs),
            "failed": int(r.failed or 0),
            "average_duration_s": _seconds(r.avg_ms),
            "max_duration_s": _seconds(r.max_ms),
            "records": int(r.records or 0),
            "peak_memory_bytes": int(r.peak_rss) if r.peak_rss is not None else None,
            "api_ms_p95": float(r.api_p95) if r.api_p95 is not None else None,
            "api_retries": int(r.retries or 0),
            "errors_by_class": by_class.get(r.bucket, {}),
        }
        for r in rows
    ]
    return {
        "period": period,
        "entity": entity,
        "bucket": shape.unit,
        "from": since.isoformat(),
        "to": now.isoformat(),
        "buckets": buckets,
    }


def _seconds(ms: Any) -> float | None:
    return round(float(ms) / 1000, 3) if ms is not None else None
