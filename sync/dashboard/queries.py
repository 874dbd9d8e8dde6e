"""Read-only queries behind the dashboard: dataclasses and pandas DataFrames, no Streamlit.

Every query is bounded (an indexed WHERE plus LIMIT, or an aggregate computed in SQL), so
pages stay fast with millions of `sync_log` rows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, literal_column, select, text
from sqlalchemy.sql import ColumnElement

from sync.entities import STATE_ENTITIES
from sync.health import (
    Colour,
    Overall,
    Thresholds,
    consecutive_failures,
    entity_health,
    overall,
    scheduler_alive,
    split_error,
    success_rate,
)
from sync.storage.schema import scheduler_heartbeat, sync_log, sync_requests, sync_state
from sync.storage.sql.db import database_errors
from sync.storage.status_report import scheduler_liveness

ENTITY_LABELS = {
    "customers": "Customers",
    "outlets": "Outlets",
    "products": "Products",
    "sales": "Sales",
    "sale_line_items": "Sale line items",
    "inventory": "Inventory",
}
RUN_STATUSES = ("success", "partial", "failed", "interrupted", "running")
STREAK_DEPTH = 50  # failures counted per entity; more shows as "50+"
# Everything the pages show about a run (not the version range or the process).
_LOG_COLUMNS = tuple(
    c.name for c in sync_log.c if c.name not in ("id", "version_from", "version_to", "host", "pid")
)


@dataclass(frozen=True)
class EntityFacts:
    """What the database says about one entity: its state row and latest runs."""

    entity: str
    status: str
    last_success: datetime | None
    error_type: str | None
    error_message: str | None
    records_total: int
    last_run: dict[str, Any] | None
    failure_streak: int


@dataclass(frozen=True)
class Facts:
    """Everything the Status page shows, as read at `fetched_at`."""

    entities: tuple[EntityFacts, ...]
    status_counts_24h: dict[str, int]
    avg_duration_ms_24h: float | None
    records_today: int
    heartbeat: dict[str, Any] | None
    fetched_at: datetime


def load_facts(engine: Engine, now: datetime, day_start: datetime) -> Facts:
    """Read state, the latest run per entity, 24 h statistics and the heartbeat."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        states = {r.entity_type: r for r in conn.execute(select(sync_state))}
        entities = []
        for name in STATE_ENTITIES:
            latest = conn.execute(
                select(*(sync_log.c[c] for c in _LOG_COLUMNS))
                .where(sync_log.c.entity_type == name)
                .order_by(sync_log.c.started_at.desc(), sync_log.c.id.desc())
                .limit(STREAK_DEPTH)
            ).all()
            row = states.get(name)
            entities.append(
                EntityFacts(
                    entity=name,
                    status=row.status if row else "never",
                    last_success=row.last_sync_time if row else None,
                    error_type=row.error_type if row else None,
                    error_message=row.error_message if row else None,
                    records_total=int(row.records_total) if row else 0,
                    last_run=dict(latest[0]._mapping) if latest else None,
                    failure_streak=consecutive_failures(r.status for r in latest),
                )
            )
        since = now - timedelta(hours=24)
        counts: dict[str, int] = {}
        total_ms = finished = 0
        for status, n, ms in conn.execute(
            select(sync_log.c.status, func.count(), func.sum(sync_log.c.duration_ms))
            .where(sync_log.c.started_at >= since)
            .group_by(sync_log.c.status)
        ):
            counts[status] = int(n)
            if ms is not None and status != "running":
                total_ms += int(ms)
                finished += int(n)
        records_today = conn.scalar(
            select(func.coalesce(func.sum(sync_log.c.records_upserted), 0)).where(
                sync_log.c.started_at >= day_start
            )
        )
        beat = conn.execute(
            select(scheduler_heartbeat).order_by(scheduler_heartbeat.c.last_beat_at.desc()).limit(1)
        ).first()
    return Facts(
        entities=tuple(entities),
        status_counts_24h=counts,
        avg_duration_ms_24h=total_ms / finished if finished else None,
        records_today=int(records_today or 0),
        heartbeat=dict(beat._mapping) if beat else None,
        fetched_at=now,
    )


@dataclass(frozen=True)
class Tile:
    """One entity's tile: facts plus its colour at the moment of drawing."""

    facts: EntityFacts
    colour: Colour
    reason: str
    thresholds: Thresholds
    error: tuple[str, str | None] | None = None  # (message, recovery) when it failed

    @property
    def label(self) -> str:
        return ENTITY_LABELS.get(self.facts.entity, self.facts.entity)


@dataclass(frozen=True)
class SchedulerView:
    """Is a scheduler alive, what is it doing, when does it run next."""

    alive: bool
    text: str
    state: str
    next_run_at: datetime | None
    activity: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Overview:
    """The Status page: verdict, summary numbers, scheduler and tiles."""

    overall: Overall
    tiles: tuple[Tile, ...]
    success_rate_24h: float | None
    runs_24h: int
    consecutive_failures: int
    failing_entity: str | None
    avg_duration_s_24h: float | None
    records_today: int
    scheduler: SchedulerView
    fetched_at: datetime


def build_overview(
    facts: Facts,
    now: datetime,
    thresholds: Mapping[str, Thresholds],
    heartbeat_seconds: float,
) -> Overview:
    """Apply the health rules to `facts` as of `now` (pure)."""
    tiles = []
    for f in facts.entities:
        limits = thresholds.get(f.entity, Thresholds())
        health = entity_health(f.last_success, f.status, now, limits)
        error = None
        if f.status == "failed" or (f.error_type and f.status != "success"):
            error = split_error(f.error_type, f.error_message)
        tiles.append(Tile(f, health.colour, health.reason, limits, error))
    worst = max(facts.entities, key=lambda f: f.failure_streak, default=None)
    beat = facts.heartbeat or {}
    activity = dict(beat.get("activity") or {})
    state = str(activity.get("state") or ("never" if not beat else "idle"))
    last_beat = beat.get("last_beat_at")
    stale_after = timedelta(seconds=3 * heartbeat_seconds)
    scheduler = SchedulerView(
        alive=scheduler_alive(last_beat, state, now, heartbeat_seconds),
        text=scheduler_liveness(last_beat, now, stale_after, stopped=state == "stopped"),
        state=state,
        next_run_at=beat.get("next_run_at"),
        activity=activity,
    )
    counts = facts.status_counts_24h
    return Overview(
        overall=overall(t.colour for t in tiles),
        tiles=tuple(tiles),
        success_rate_24h=success_rate(counts),
        runs_24h=sum(n for s, n in counts.items() if s != "running"),
        consecutive_failures=worst.failure_streak if worst else 0,
        failing_entity=worst.entity if worst and worst.failure_streak else None,
        avg_duration_s_24h=(
            facts.avg_duration_ms_24h / 1000 if facts.avg_duration_ms_24h is not None else None
        ),
        records_today=facts.records_today,
        scheduler=scheduler,
        fetched_at=facts.fetched_at,
    )


# -- History -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryFilter:
    """Runs started in [start, end), of these entities and statuses (empty = all)."""

    start: datetime
    end: datetime
    entities: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()

    def conditions(self) -> list[ColumnElement[bool]]:
        where = [sync_log.c.started_at >= self.start, sync_log.c.started_at < self.end]
        if self.entities:
            where.append(sync_log.c.entity_type.in_(self.entities))
        if self.statuses:
            where.append(sync_log.c.status.in_(self.statuses))
        return where


def history_rows(engine: Engine, flt: HistoryFilter, limit: int = 1000) -> pd.DataFrame:
    """The newest `limit` runs matching `flt` (uses ix_sync_log_started)."""
    query = (
        select(sync_log.c.id, *(sync_log.c[c] for c in _LOG_COLUMNS))
        .where(*flt.conditions())
        .order_by(sync_log.c.started_at.desc(), sync_log.c.id.desc())
        .limit(limit)
    )
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(query).all()
    frame = pd.DataFrame([dict(r._mapping) for r in rows], columns=["id", *_LOG_COLUMNS])
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


# -- Run-now queue -----------------------------------------------------------------------

_REQUEST_COLUMNS = tuple(c.name for c in sync_requests.c if c.name != "claimed_by")


def recent_requests(engine: Engine, limit: int = 15) -> pd.DataFrame:
    """Open requests first, then the latest finished ones."""
    cols = [sync_requests.c[c] for c in _REQUEST_COLUMNS]
    open_first = sync_requests.c.status.in_(("queued", "running"))
    with database_errors(str(engine.url)), engine.connect() as conn:
        active = conn.execute(
            select(*cols).where(open_first).order_by(sync_requests.c.requested_at)
        ).all()
        done = conn.execute(
            select(*cols)
            .where(~open_first)
            .order_by(sync_requests.c.requested_at.desc())
            .limit(limit)
        ).all()
    return pd.DataFrame([dict(r._mapping) for r in (*active, *done)], columns=_REQUEST_COLUMNS)


def request_info(engine: Engine, request_id: int) -> dict[str, Any] | None:
    """One request row as a dict, or None."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        row = conn.execute(
            select(*(sync_requests.c[c] for c in _REQUEST_COLUMNS)).where(
                sync_requests.c.id == request_id
            )
        ).first()
    return dict(row._mapping) if row else None


def run_progress(engine: Engine, run_id: str) -> list[dict[str, Any]]:
    """The sync_log rows of one run (updated by the runner after every page)."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        rows = conn.execute(
            select(*(sync_log.c[c] for c in _LOG_COLUMNS))
            .where(sync_log.c.run_id == run_id)
            .order_by(sync_log.c.id)
        ).all()
    return [dict(r._mapping) for r in rows]


def ping(engine: Engine) -> None:
    """Raise a DATABASE SyncError unless the database answers and has the sync tables."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        conn.execute(select(func.count()).select_from(sync_state)).scalar()
