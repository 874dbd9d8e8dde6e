"""Performance history: runs of the last 24 h / 7 d / 30 d in UTC time buckets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sync.storage.sql.db import Engine
from sync.storage.sql.history import performance_groups


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


def performance_history(
    engine: Engine, store: str, now: datetime, period: str, entity: str | None = None
) -> dict[str, Any]:
    """Per bucket: runs, failures, durations, records, peak memory, API p95, errors by class."""
    shape = PERIODS[period]
    since = now - shape.span
    # Grouped by bucket and error class in SQL; the classes are folded into their bucket here.
    rows = performance_groups(engine, store, since, shape.unit, entity)
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
