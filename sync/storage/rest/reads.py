"""The read model over REST: one RunLogSnapshot from a Supabase project's tables.

PostgREST has no GROUP BY or per-group LIMIT, so this reads rows and `storage.reads`
aggregates them: a few small requests per entity, every one an indexed range.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from postgrest.types import CountMethod

from sync.entities import STATE_ENTITIES
from sync.health.snapshot import (
    BASELINE_RUNS,
    RECENT_RUNS,
    Beat,
    Check,
    RunLogSnapshot,
    RunRow,
    SalesHours,
    Streak,
)
from sync.runs import SUCCEEDED, RequestStatus, RunStatus
from sync.storage.reads import (
    MTTR_WINDOW,
    RUN_COLUMNS,
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


def _rows(rest: RestBase, builder: Any) -> list[dict[str, Any]]:
    return [_parsed(r) for r in rest.execute(builder).data]


def _count(rest: RestBase, builder: Any) -> int:
    return int(rest.execute(builder.limit(1)).count or 0)


def _runs(rest: RestBase, entity: str) -> tuple[RunRow, ...]:
    query = (
        rest.table("sync_log")
        .select(",".join(RUN_COLUMNS))
        .eq("entity_type", entity)
        .order("started_at", desc=True)
        .order("id", desc=True)
        .limit(RECENT_RUNS)
    )
    return tuple(run_row(r) for r in _rows(rest, query))


def _streak(rest: RestBase, entity: str) -> Streak:
    """Failed runs since the latest successful one, counted over the whole log."""
    log = rest.table("sync_log")
    ok = _rows(
        rest,
        log.select("started_at")
        .eq("entity_type", entity)
        .filter("status", "in", _SUCCEEDED)
        .order("started_at", desc=True)
        .limit(1),
    )
    query = (
        rest.table("sync_log")
        .select("started_at", count=CountMethod.exact)
        .eq("entity_type", entity)
        .eq("status", RunStatus.FAILED)
    )
    if ok:
        query = query.gt("started_at", ok[0]["started_at"].isoformat())
    response = rest.execute(query.order("started_at").limit(1))
    first = parse_time(response.data[0]["started_at"]) if response.data else None
    return Streak(int(response.count or 0), first)


def _checks(rest: RestBase, sales_day: str | None = None) -> tuple[Check, ...]:
    def filtered(query: Any) -> Any:
        if sales_day is None:
            return query
        return query.eq("entity_type", "sales").like("scope", f"{sales_day}%")

    table = rest.table("reconciliations")
    latest = _rows(rest, filtered(table.select("run_id")).order("checked_at", desc=True).limit(1))
    if not latest:
        return ()
    query = filtered(rest.table("reconciliations").select("*").eq("run_id", latest[0]["run_id"]))
    return tuple(check_row(r) for r in _rows(rest, query))


def _baseline(rest: RestBase, anchor: RunRow) -> tuple[int, ...]:
    rows = _rows(
        rest,
        rest.table("sync_log")
        .select("duration_ms")
        .eq("entity_type", anchor.entity_type)
        .eq("action", anchor.action)
        .filter("status", "in", _SUCCEEDED)
        .not_.is_("duration_ms", "null")
        .lt("started_at", anchor.started_at.isoformat())
        .order("started_at", desc=True)
        .limit(BASELINE_RUNS),
    )
    return tuple(int(r["duration_ms"]) for r in rows)


def _sales_hours(rest: RestBase, runs: tuple[RunRow, ...]) -> SalesHours | None:
    ends = sales_hour_ends(runs)
    if not ends:
        return None
    counts = tuple(
        _count(
            rest,
            rest.table("lightspeed_sales")
            .select("id", count=CountMethod.exact)
            .gte("sale_date", (end - timedelta(hours=1)).isoformat())
            .lt("sale_date", end.isoformat()),
        )
        for end in ends
    )
    return SalesHours(end=ends[0], counts=counts)


def _incidents(rest: RestBase, now: datetime) -> tuple[dict[str, int], int, float | None]:
    """(open incidents by severity, resolved in 30 days, their summed seconds open)."""
    table = rest.table("alert_incidents")
    by_severity: dict[str, int] = {}
    for row in _rows(rest, table.select("severity").eq("status", "open")):
        by_severity[row["severity"]] = by_severity.get(row["severity"], 0) + 1
    resolved = _rows(
        rest,
        rest.table("alert_incidents")
        .select("opened_at,resolved_at")
        .gte("resolved_at", (now - MTTR_WINDOW).isoformat()),
    )
    seconds = [(_time(r["resolved_at"]) - _time(r["opened_at"])).total_seconds() for r in resolved]
    return by_severity, len(resolved), sum(seconds) if seconds else None


def read_snapshot(
    rest: RestBase,
    now: datetime,
    day_start: datetime | None = None,
    *,
    zone: str | None = None,
) -> RunLogSnapshot:
    """Everything the views show about the run log, read over REST.

    "Today" and "yesterday" are the store's days (`zone`: STORE_TIME_ZONE, else the zone
    most outlets share); `day_start` overrides the start of today.
    """
    outlets = _rows(rest, rest.table("lightspeed_outlets").select("id,time_zone,deleted_at"))
    midnight, day = store_clock(
        now, zone, [(o["id"], o.get("time_zone"), bool(o.get("deleted_at"))) for o in outlets]
    )
    day_start = day_start or midnight
    states = tuple(state_row(r) for r in _rows(rest, rest.table("sync_state").select("*")))
    runs = {e: _runs(rest, e) for e in STATE_ENTITIES}
    streaks = {e: streak_from(runs[e]) or _streak(rest, e) for e in STATE_ENTITIES}
    baselines = {}
    for entity, rows in runs.items():
        anchor = baseline_anchor(rows)
        if anchor is not None:
            baselines[entity] = _baseline(rest, anchor)
    day_rows = _rows(
        rest,
        rest.table("sync_log")
        .select("entity_type,status,error_type,duration_ms,records_upserted,started_at")
        .gte("started_at", (now - timedelta(hours=24)).isoformat()),
    )
    beats = _rows(
        rest,
        rest.table("scheduler_heartbeat")
        .select("last_beat_at,activity,next_run_at")
        .order("last_beat_at", desc=True),
    )
    open_incidents, resolved, seconds = _incidents(rest, now)
    queued = _count(
        rest,
        rest.table("sync_requests")
        .select("id", count=CountMethod.exact)
        .eq("status", RequestStatus.QUEUED),
    )
    totals = _rows(rest, rest.table("sync_run_totals").select("entity_type,status,runs"))
    return RunLogSnapshot(
        read_at=now,
        day_start=day_start,
        states=states,
        runs=runs,
        streaks=streaks,
        day=day_groups(day_rows, day_start),
        beats=tuple(
            Beat(
                _time(b["last_beat_at"]),
                dict(b.get("activity") or {}),
                parse_time(b.get("next_run_at")),
            )
            for b in beats
        ),
        reconciliation=_checks(rest),
        sales_reconciliation=_checks(rest, day),
        open_incidents=open_incidents,
        resolved_30d=resolved,
        incident_seconds_30d=seconds,
        queue_depth=queued,
        run_totals=tuple((r["entity_type"], r["status"], int(r["runs"])) for r in totals),
        baselines=baselines,
        sales_hours=_sales_hours(rest, runs["sales"]),
    )
