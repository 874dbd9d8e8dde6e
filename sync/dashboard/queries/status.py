"""The Status page's reads: state, latest runs, 24 h statistics, heartbeat; and the verdict."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, func, select

from sync.entities import STATE_ENTITIES
from sync.health import (
    Colour,
    Thresholds,
    consecutive_failures,
    entity_health,
    scheduler_alive,
    split_error,
    success_rate,
)
from sync.runs import RunStatus
from sync.storage.schema import scheduler_heartbeat, sync_log, sync_state
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
#: Every run status, in the order the pages offer and colour them.
RUN_STATUSES: tuple[RunStatus, ...] = (
    RunStatus.SUCCESS,
    RunStatus.PARTIAL,
    RunStatus.FAILED,
    RunStatus.INTERRUPTED,
    RunStatus.RUNNING,
)
STREAK_DEPTH = 50  # failures counted per entity; more shows as "50+"
# Everything the pages show about a run (not the version range or the process).
LOG_COLUMNS = tuple(
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
                select(*(sync_log.c[c] for c in LOG_COLUMNS))
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
            if ms is not None and status != RunStatus.RUNNING:
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
    """The Status page's numbers, scheduler and tiles (the verdict is the health model's)."""

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
        if f.status == RunStatus.FAILED or (f.error_type and f.status != RunStatus.SUCCESS):
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
        tiles=tuple(tiles),
        success_rate_24h=success_rate(counts),
        runs_24h=sum(n for s, n in counts.items() if s != RunStatus.RUNNING),
        consecutive_failures=worst.failure_streak if worst else 0,
        failing_entity=worst.entity if worst and worst.failure_streak else None,
        avg_duration_s_24h=(
            facts.avg_duration_ms_24h / 1000 if facts.avg_duration_ms_24h is not None else None
        ),
        records_today=facts.records_today,
        scheduler=scheduler,
        fetched_at=facts.fetched_at,
    )


def ping(engine: Engine) -> None:
    """Raise a DATABASE SyncError unless the database answers and has the sync tables."""
    with database_errors(str(engine.url)), engine.connect() as conn:
        conn.execute(select(func.count()).select_from(sync_state)).scalar()
