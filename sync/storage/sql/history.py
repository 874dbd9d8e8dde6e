"""The run log's history reads over SQL: runs in a range, per-bucket aggregates computed in
SQL (the dashboard's History page, the API's performance history), the run-now queue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, case, func, literal_column, select, text
from sqlalchemy.sql import ColumnElement

from sync.days import UtcOffsets
from sync.runs import OPEN_REQUESTS, Action, RunStatus
from sync.storage.reads import HistoryFilter
from sync.storage.schema import sync_log, sync_requests
from sync.storage.sql.db import database_errors

# Everything the pages show about a run (not the version range or the process).
LOG_COLUMNS = tuple(
    c.name for c in sync_log.c if c.name not in ("id", "version_from", "version_to", "host", "pid")
)
REQUEST_COLUMNS = tuple(c.name for c in sync_requests.c if c.name != "claimed_by")
# What history_rows adds to LOG_COLUMNS: where the cursor started (none: a first import)
# and the reason given with the run-now request that started the run.
HISTORY_EXTRA = ("version_from", "reason")


def _conditions(store: str, flt: HistoryFilter) -> list[ColumnElement[bool]]:
    where = [
        sync_log.c.store == store,
        sync_log.c.started_at >= flt.start,
        sync_log.c.started_at < flt.end,
    ]
    if flt.entities:
        where.append(sync_log.c.entity_type.in_(flt.entities))
    if flt.statuses:
        where.append(sync_log.c.status.in_(flt.statuses))
    return where


def _rows(engine: Engine, query: Any) -> list[Any]:
    with database_errors(str(engine.url)), engine.connect() as conn:
        return list(conn.execute(query).all())


def history_rows(
    engine: Engine, store: str, flt: HistoryFilter, limit: int = 1000
) -> list[dict[str, Any]]:
    """The newest `limit` runs of `store` matching `flt`: id, LOG_COLUMNS and HISTORY_EXTRA
    (uses ix_sync_log_started)."""
    reasons = (
        select(sync_requests.c.run_id, func.max(sync_requests.c.reason).label("reason"))
        .where(sync_requests.c.store == store, sync_requests.c.run_id.is_not(None))
        .group_by(sync_requests.c.run_id)
        .subquery("reasons")
    )
    query = (
        select(
            sync_log.c.id,
            *(sync_log.c[c] for c in LOG_COLUMNS),
            sync_log.c.version_from,
            reasons.c.reason,
        )
        .select_from(sync_log.outerjoin(reasons, reasons.c.run_id == sync_log.c.run_id))
        .where(*_conditions(store, flt))
        .order_by(sync_log.c.started_at.desc(), sync_log.c.id.desc())
        .limit(limit)
    )
    return [dict(r._mapping) for r in _rows(engine, query)]


def _shifted_bucket(engine: Engine, unit: str, minutes: int) -> ColumnElement[Any]:
    """started_at truncated to `unit` on a clock `minutes` ahead of UTC, as naive time."""
    offset = int(minutes)
    if engine.dialect.name == "postgresql":
        shifted = func.timezone("UTC", sync_log.c.started_at) + literal_column(
            f"interval '{offset} minutes'"
        )
        return func.date_trunc(literal_column(f"'{unit}'"), shifted)
    fmt = "%Y-%m-%d 00:00:00" if unit == "day" else "%Y-%m-%d %H:00:00"
    return func.strftime(
        literal_column(f"'{fmt}'"), sync_log.c.started_at, literal_column(f"'{offset:+d} minutes'")
    )


def _local_bucket(engine: Engine, unit: str, offsets: UtcOffsets) -> ColumnElement[Any]:
    """started_at truncated to the local `unit` ('day' or 'hour'), as naive local time,
    each run with the offset in force when it started (`sync.days.utc_offsets`)."""
    if unit not in ("day", "hour"):
        raise ValueError(unit)
    (_, first), *changes = offsets
    if not changes:
        return _shifted_bucket(engine, unit, first)
    # Latest change first: a run takes the offset of the last change at or before it.
    whens = [
        (sync_log.c.started_at >= since, _shifted_bucket(engine, unit, minutes))
        for since, minutes in reversed(changes)
    ]
    return case(*whens, else_=_shifted_bucket(engine, unit, first))


def runs_per_bucket(
    engine: Engine, store: str, flt: HistoryFilter, unit: str, offsets: UtcOffsets
) -> list[tuple[Any, str, int]]:
    """(bucket, status, runs) per local day (or hour), counted in SQL."""
    bucket = _local_bucket(engine, unit, offsets).label("bucket")
    query = (
        select(bucket, sync_log.c.status, func.count().label("runs"))
        .where(*_conditions(store, flt))
        .group_by(text("bucket"), sync_log.c.status)
        .order_by(text("bucket"))
    )
    return [tuple(r) for r in _rows(engine, query)]


def duration_per_bucket(
    engine: Engine, store: str, flt: HistoryFilter, unit: str, offsets: UtcOffsets
) -> list[tuple[Any, str, Any, Any, int]]:
    """(bucket, entity, average s, longest s, runs) of finished runs per local day (or hour)."""
    bucket = _local_bucket(engine, unit, offsets).label("bucket")
    query = (
        select(
            bucket,
            sync_log.c.entity_type.label("entity"),
            (func.avg(sync_log.c.duration_ms) / 1000.0).label("avg_s"),
            (func.max(sync_log.c.duration_ms) / 1000.0).label("max_s"),
            func.count().label("runs"),
        )
        .where(*_conditions(store, flt), sync_log.c.duration_ms.is_not(None))
        .group_by(text("bucket"), sync_log.c.entity_type)
        .order_by(text("bucket"))
    )
    return [tuple(r) for r in _rows(engine, query)]


def _utc_bucket(engine: Engine, unit: str) -> ColumnElement[Any]:
    """started_at truncated to the UTC hour or day, as text 'YYYY-MM-DD HH:00:00'."""
    if engine.dialect.name == "postgresql":
        truncated = func.date_trunc(
            literal_column(f"'{unit}'"), func.timezone("UTC", sync_log.c.started_at)
        )
        return func.to_char(truncated, literal_column("'YYYY-MM-DD HH24:MI:SS'"))
    fmt = "%Y-%m-%d 00:00:00" if unit == "day" else "%Y-%m-%d %H:00:00"
    return func.strftime(literal_column(f"'{fmt}'"), sync_log.c.started_at)


def performance_groups(
    engine: Engine, store: str, since: datetime, unit: str, entity: str | None = None
) -> list[Any]:
    """Finished runs since `since` grouped by UTC bucket and error class, one pass.

    Each row: bucket, error_type, runs, failed, sum_ms, timed, max_ms, records, peak_rss,
    api_p95, retries.
    """
    c = sync_log.c
    where = [c.store == store, c.started_at >= since, c.status != RunStatus.RUNNING]
    if entity:
        where.append(c.entity_type == entity)
    query = (
        select(
            _utc_bucket(engine, unit).label("bucket"),
            c.error_type,
            func.count().label("runs"),
            func.sum(case((c.status == RunStatus.FAILED, 1), else_=0)).label("failed"),
            func.sum(c.duration_ms).label("sum_ms"),
            func.count(c.duration_ms).label("timed"),
            func.max(c.duration_ms).label("max_ms"),
            func.sum(c.records_upserted).label("records"),
            func.max(c.peak_rss_bytes).label("peak_rss"),
            func.max(c.api_ms_p95).label("api_p95"),
            func.sum(func.coalesce(c.api_retries, 0)).label("retries"),
        )
        .where(*where)
        .group_by(text("bucket"), c.error_type)
    )
    return _rows(engine, query)


def recent_requests(engine: Engine, store: str, limit: int = 15) -> list[dict[str, Any]]:
    """Open run-now requests of `store` first (oldest first), then its latest `limit`
    finished ones."""
    cols = [sync_requests.c[c] for c in REQUEST_COLUMNS]
    open_first = sync_requests.c.status.in_(OPEN_REQUESTS)
    mine = sync_requests.c.store == store
    with database_errors(str(engine.url)), engine.connect() as conn:
        active = conn.execute(
            select(*cols).where(mine, open_first).order_by(sync_requests.c.requested_at)
        ).all()
        done = conn.execute(
            select(*cols)
            .where(mine, ~open_first)
            .order_by(sync_requests.c.requested_at.desc())
            .limit(limit)
        ).all()
    return [dict(r._mapping) for r in (*active, *done)]


def request_info(engine: Engine, store: str, request_id: int) -> dict[str, Any] | None:
    """One request row of `store` as a dict, or None."""
    query = select(*(sync_requests.c[c] for c in REQUEST_COLUMNS)).where(
        sync_requests.c.store == store, sync_requests.c.id == request_id
    )
    rows = _rows(engine, query)
    return dict(rows[0]._mapping) if rows else None


def run_progress(engine: Engine, store: str, run_id: str) -> list[dict[str, Any]]:
    """The sync_log rows of one run of `store` (updated by the runner after every page)."""
    query = (
        select(*(sync_log.c[c] for c in LOG_COLUMNS))
        .where(sync_log.c.store == store, sync_log.c.run_id == run_id)
        .order_by(sync_log.c.id)
    )
    return [dict(r._mapping) for r in _rows(engine, query)]


def latest_backfill(
    engine: Engine, store: str, entity: str
) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """The entity's latest backfill request in `store` and the sync_log rows of its run."""
    r = sync_requests.c
    with database_errors(str(engine.url)), engine.connect() as conn:
        row = conn.execute(
            select(sync_requests)
            .where(r.store == store, r.entity_type == entity, r.action == Action.BACKFILL)
            .order_by(r.requested_at.desc(), r.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None, []
        runs = (
            conn.execute(
                select(
                    sync_log.c.entity_type,
                    sync_log.c.status,
                    sync_log.c.records_upserted,
                    sync_log.c.records_deleted,
                    sync_log.c.pages,
                    sync_log.c.started_at,
                    sync_log.c.finished_at,
                ).where(sync_log.c.store == store, sync_log.c.run_id == row.run_id)
            ).all()
            if row.run_id
            else []
        )
    return dict(row._mapping), [dict(run._mapping) for run in runs]
