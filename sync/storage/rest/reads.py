"""The read model over REST: one RunLogSnapshot from one call to `sync_read_model`.

PostgREST has no GROUP BY or per-group LIMIT, so the function (migration 0014) returns
the rows (each part an index range or a few rows) and `storage.reads` aggregates them.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from postgrest.types import CountMethod

from sync.entities import STATE_ENTITIES
from sync.health.snapshot import (
    BASELINE_RUNS,
    HISTORY_WEEKS,
    RECENT_RUNS,
    Beat,
    RunLogSnapshot,
    RunRow,
    SalesHours,
    Streak,
)
from sync.runs import COMPLETED, SUCCEEDED
from sync.storage.reads import (
    baseline_anchor,
    check_row,
    day_groups,
    run_row,
    sales_hour_ends,
    state_row,
    store_clock,
    streak_from,
)
from sync.storage.rest.db import RestBase, parse_time

_TIMES = ("last_sync_time", "last_attempt_at", "started_at", "finished_at", "checked_at")
_SUCCEEDED = f"({','.join(sorted(SUCCEEDED))})"


def _parsed(row: dict[str, Any]) -> dict[str, Any]:
    for key in _TIMES:
        if key in row:
            row[key] = parse_time(row[key])
    return row


def _time(value: Any) -> datetime:
    """A NOT NULL timestamp column's value."""
    moment = parse_time(value)
    assert moment is not None
    return moment


def _count(rest: RestBase, builder: Any) -> int:
    return int(rest.execute(builder.limit(1)).count or 0)


def _streak_of(part: dict[str, Any] | None) -> Streak:
    """The streak the function counted over the whole log."""
    part = part or {}
    return Streak(int(part.get("n") or 0), parse_time(part.get("first")))


def _baselines(
    runs: dict[str, tuple[RunRow, ...]], rows: list[dict[str, Any]]
) -> dict[str, tuple[int, ...]]:
    """Per entity, the durations of the successful runs before its anchor, newest first."""
    baselines = {}
    for entity, entity_runs in runs.items():
        anchor = baseline_anchor(entity_runs)
        if anchor is None:
            continue
        earlier = sorted(
            (
                (_time(r["started_at"]), int(r["duration_ms"]))
                for r in rows
                if r["entity_type"] == entity and r["action"] == anchor.action
            ),
            reverse=True,
        )
        before = [ms for started, ms in earlier if started < anchor.started_at]
        baselines[entity] = tuple(before[:BASELINE_RUNS])
    return baselines


def _sales_hours(
    rest: RestBase, runs: tuple[RunRow, ...], part: dict[str, Any] | None
) -> SalesHours | None:
    """The function's counts when they are of the hours the rule wants, else counted here."""
    ends = sales_hour_ends(runs)
    if not ends:
        return None
    if part and parse_time(part.get("anchor_started_at")) == ends[0]:
        counts = tuple(int(n) for n in part["counts"])
    else:  # the log changed between the two reads: count the hours the rule wants
        counts = tuple(
            _count(
                rest,
                rest.table("lightspeed_sales")
                .select("id", count=CountMethod.exact)
                .eq("store", rest.prefix)
                .gte("sale_date", (end - timedelta(hours=1)).isoformat())
                .lt("sale_date", end.isoformat()),
            )
            for end in ends
        )
    return SalesHours(end=ends[0], counts=counts)


def read_snapshot(
    rest: RestBase,
    now: datetime,
    day_start: datetime | None = None,
    *,
    zone: str | None = None,
) -> RunLogSnapshot:
    """Everything the views show about the run log of `rest.prefix`'s store, read over REST
    in one request.

    The `sync_read_model` function (migrations 0014, 0016) returns the rows; the rules here and
    in sync.storage.reads turn them into the snapshot the SQL store builds. "Today" and
    "yesterday" are the store's days (`zone`: STORE_TIME_ZONE, else the zone most outlets
    share); `day_start` overrides the start of today.
    """
    today = now.date()
    # The store's yesterday is one of these whatever its zone (UTC-12 to UTC+14).
    days = [(today - timedelta(days=n)).isoformat() for n in range(-1, 3)]
    params = {
        "p_store": rest.prefix,
        "p_now": now.isoformat(),
        "p_entities": list(STATE_ENTITIES),
        "p_recent": RECENT_RUNS,
        "p_baseline": BASELINE_RUNS + RECENT_RUNS,
        "p_weeks": HISTORY_WEEKS,
        "p_days": days,
        "p_succeeded": sorted(SUCCEEDED),
        "p_completed": sorted(COMPLETED),
    }
    model = rest.execute(rest.rest.rpc("sync_read_model", params)).data
    outlets = [(o["id"], o.get("time_zone"), bool(o.get("deleted_at"))) for o in model["outlets"]]
    clock = store_clock(now, zone, outlets)
    day_start = day_start or clock.midnight
    runs = {e: tuple(run_row(_parsed(r)) for r in model["runs"].get(e, [])) for e in STATE_ENTITIES}
    streaks = {
        e: streak_from(runs[e]) or _streak_of(model["streaks"].get(e)) for e in STATE_ENTITIES
    }
    resolved = model["resolved"] or {}
    seconds = resolved.get("seconds")
    return RunLogSnapshot(
        read_at=now,
        day_start=day_start,
        states=tuple(state_row(_parsed(r)) for r in model["states"]),
        runs=runs,
        streaks=streaks,
        day=day_groups([_parsed(r) for r in model["day"]], day_start),
        beats=tuple(
            Beat(
                _time(b["last_beat_at"]),
                dict(b.get("activity") or {}),
                parse_time(b.get("next_run_at")),
            )
            for b in model["beats"]
        ),
        reconciliation=tuple(check_row(_parsed(r)) for r in model["checks"]),
        sales_reconciliation=tuple(
            check_row(_parsed(r)) for r in (model["sales_checks"].get(clock.yesterday) or [])
        ),
        open_incidents={str(k): int(v) for k, v in model["open_incidents"].items()},
        resolved_30d=int(resolved.get("n") or 0),
        incident_seconds_30d=float(seconds) if seconds is not None else None,
        queue_depth=int(model["queue_depth"] or 0),
        run_totals=tuple((r["entity_type"], r["status"], int(r["runs"])) for r in model["totals"]),
        baselines=_baselines(runs, model["baselines"]),
        sales_hours=_sales_hours(rest, runs["sales"], model.get("sales_hours")),
        zone=clock.zone,
    )
