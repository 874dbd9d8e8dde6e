"""The Status page's facts (from one RunLogSnapshot) and the verdict; pure, no I/O."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sync.health import (
    Colour,
    Thresholds,
    consecutive_failures,
    entity_health,
    scheduler_alive,
    split_error,
    success_rate,
)
from sync.health.snapshot import RECENT_RUNS, Beat, RunLogSnapshot
from sync.runs import ENTITY_NAMES, NEVER, RunStatus
from sync.storage.status_report import scheduler_liveness

#: "sale_line_items" → "Sale line items", in the vocabulary's order.
ENTITY_LABELS = {name: name.replace("_", " ").capitalize() for name in ENTITY_NAMES}
#: Every run status, in the order the pages offer and colour them.
RUN_STATUSES: tuple[RunStatus, ...] = (
    RunStatus.SUCCESS,
    RunStatus.PARTIAL,
    RunStatus.FAILED,
    RunStatus.INTERRUPTED,
    RunStatus.RUNNING,
)
STREAK_DEPTH = RECENT_RUNS  # failures counted per entity; more shows as "50+"


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
    heartbeat: Beat | None
    fetched_at: datetime


def facts_of(snap: RunLogSnapshot) -> Facts:
    """The Status page's facts: state, the latest run per entity, 24 h statistics, heartbeat."""
    entities = []
    for name in ENTITY_NAMES:
        runs = snap.runs_of(name)
        row = snap.state(name)
        entities.append(
            EntityFacts(
                entity=name,
                status=row.status if row else NEVER,
                last_success=row.last_sync_time if row else None,
                error_type=row.error_type if row else None,
                error_message=row.error_message if row else None,
                records_total=row.records_total if row else 0,
                last_run=asdict(runs[0]) if runs else None,
                failure_streak=consecutive_failures(r.status for r in runs),
            )
        )
    counts: dict[str, int] = {}
    by_status: dict[str, tuple[int, bool]] = {}  # status -> (summed ms, any row timed)
    for g in snap.day:
        counts[g.status] = counts.get(g.status, 0) + g.runs
        ms, timed = by_status.get(g.status, (0, False))
        by_status[g.status] = (ms + g.duration_ms, timed or g.timed_runs > 0)
    total_ms = finished = 0
    for status, (ms, timed) in by_status.items():
        if timed and status != RunStatus.RUNNING:
            total_ms += ms
            finished += counts[status]
    return Facts(
        entities=tuple(entities),
        status_counts_24h=counts,
        avg_duration_ms_24h=total_ms / finished if finished else None,
        records_today=sum(g.records_today for g in snap.day),
        heartbeat=snap.beat,
        fetched_at=snap.read_at,
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
    beat = facts.heartbeat
    activity = dict(beat.activity) if beat else {}
    state = str(activity.get("state") or ("never" if beat is None else "idle"))
    last_beat = beat.last_beat_at if beat else None
    stale_after = timedelta(seconds=3 * heartbeat_seconds)
    scheduler = SchedulerView(
        alive=scheduler_alive(last_beat, state, now, heartbeat_seconds),
        text=scheduler_liveness(last_beat, now, stale_after, stopped=state == "stopped"),
        state=state,
        next_run_at=beat.next_run_at if beat else None,
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
