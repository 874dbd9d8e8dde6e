"""The read model of many stores at once (the Stores page, /api/sync-health/stores, /metrics).

`read_snapshot` asks about twenty small questions of one store; for fifty stores that is a
thousand round trips. On Postgres, `read_snapshots` asks each question once for every
store (a LATERAL join per store and entity where the answer is "the latest n rows") and
builds the same RunLogSnapshot per store as `read_snapshot` does, with the same rules
(sync.storage.reads). SQLite has no LATERAL and is local: it reads store after store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, func, select, text

from sync.entities import STATE_ENTITIES
from sync.health.snapshot import (
    BASELINE_RUNS,
    RECENT_RUNS,
    Check,
    DayGroup,
    RunLogSnapshot,
    RunRow,
    SalesHours,
)
from sync.runs import SUCCEEDED, RequestStatus
from sync.storage.reads import (
    MTTR_WINDOW,
    RUN_COLUMNS,
    StoreClock,
    baseline_anchor,
    check_row,
    run_row,
    sales_hour_ends,
    state_row,
    store_clock,
    streak_from,
)
from sync.storage.schema import (
    ENTITY_TABLES,
    alert_incidents,
    reconciliations,
    scheduler_heartbeat,
    sync_requests,
    sync_run_totals,
    sync_state,
)
from sync.storage.sql.db import database_errors
from sync.storage.sql.reads import beat_of, read_snapshot, streak_of

_RUNS = text(
    f"""
SELECT p.store, r.*
FROM unnest(CAST(:stores AS text[])) AS p(store)
CROSS JOIN unnest(CAST(:entities AS text[])) AS e(entity)
CROSS JOIN LATERAL (
    SELECT {", ".join(RUN_COLUMNS)} FROM sync_log
    WHERE store = p.store AND entity_type = e.entity
    ORDER BY started_at DESC, id DESC LIMIT :recent
) AS r
"""
)
_BASELINES = text(
    """
SELECT a.store, a.entity, b.duration_ms
FROM unnest(CAST(:stores AS text[]), CAST(:entities AS text[]), CAST(:actions AS text[]),
            CAST(:befores AS timestamptz[])) AS a(store, entity, action, before)
CROSS JOIN LATERAL (
    SELECT duration_ms, started_at FROM sync_log
    WHERE store = a.store AND entity_type = a.entity AND action = a.action
      AND status = ANY (CAST(:succeeded AS text[])) AND duration_ms IS NOT NULL
      AND started_at < a.before
    ORDER BY started_at DESC LIMIT :baseline
) AS b
ORDER BY a.store, a.entity, b.started_at DESC
"""
)
_DAY = text(
    """
SELECT l.store, l.entity_type, l.status, l.error_type, count(*), sum(l.duration_ms),
       count(l.duration_ms),
       sum(CASE WHEN l.started_at >= d.day_start THEN l.records_upserted ELSE 0 END)
FROM sync_log AS l
JOIN unnest(CAST(:stores AS text[]), CAST(:starts AS timestamptz[])) AS d(store, day_start)
  ON l.store = d.store
WHERE l.started_at >= :since
GROUP BY l.store, l.entity_type, l.status, l.error_type
ORDER BY l.store, l.entity_type, l.status, l.error_type
"""
)
# The latest reconciliation run of each store (and of its yesterday's sales), then its rows.
_LATEST_CHECKS = text(
    """
SELECT p.store, p.scope, c.run_id
FROM unnest(CAST(:stores AS text[]), CAST(:scopes AS text[])) AS p(store, scope)
CROSS JOIN LATERAL (
    SELECT run_id FROM reconciliations
    WHERE store = p.store
      AND (p.scope IS NULL OR (entity_type = 'sales' AND scope LIKE p.scope || '%'))
    ORDER BY checked_at DESC LIMIT 1
) AS c
"""
)
_SALES_HOURS = text(
    """
SELECT h.store, h.hour_end, (
    SELECT count(*) FROM lightspeed_sales
    WHERE store = h.store AND sale_date >= h.hour_end - interval '1 hour'
      AND sale_date < h.hour_end
)
FROM unnest(CAST(:stores AS text[]), CAST(:ends AS timestamptz[])) AS h(store, hour_end)
"""
)


def read_snapshots(
    engine: Engine, zones: Mapping[str, str | None], now: datetime
) -> dict[str, RunLogSnapshot]:
    """The snapshot of each store of `zones` (prefix -> its zone setting, see
    `zone_setting`), as `read_snapshot` reads it, in about fifteen queries on Postgres."""
    if engine.dialect.name != "postgresql" or len(zones) < 2:
        return {s: read_snapshot(engine, s, now, zone=z) for s, z in zones.items()}
    stores = list(zones)
    with database_errors(str(engine.url)), engine.connect() as conn:
        clocks = _clocks(conn, zones, now)
        states = _grouped(
            conn.execute(
                select(sync_state)
                .where(sync_state.c.store.in_(stores))
                .order_by(sync_state.c.entity_type)
            ),
            lambda r: (r.store, state_row(r._mapping)),
        )
        return _assemble(conn, stores, clocks, states, _runs(conn, stores), now)


def _assemble(
    conn: Connection,
    stores: Sequence[str],
    clocks: Mapping[str, StoreClock],
    states: Mapping[str, list[Any]],
    runs: Mapping[str, dict[str, tuple[RunRow, ...]]],
    now: datetime,
) -> dict[str, RunLogSnapshot]:
    baselines = _baselines(conn, runs)
    day = _day(conn, stores, clocks, now)
    beats = [
        (row.store, beat_of(row))
        for row in conn.execute(
            select(scheduler_heartbeat).order_by(scheduler_heartbeat.c.last_beat_at.desc())
        )
    ]
    checks, sales_checks = _checks(conn, stores, clocks)
    open_incidents = _grouped(
        conn.execute(
            select(alert_incidents.c.store, alert_incidents.c.severity, func.count())
            .where(alert_incidents.c.store.in_(stores), alert_incidents.c.status == "open")
            .group_by(alert_incidents.c.store, alert_incidents.c.severity)
        ),
        lambda r: (r[0], (str(r[1]), int(r[2]))),
    )
    resolved = {
        store: (int(n or 0), float(seconds) if seconds is not None else None)
        for store, n, seconds in conn.execute(
            select(
                alert_incidents.c.store,
                func.count(),
                func.sum(
                    func.extract(
                        "epoch", alert_incidents.c.resolved_at - alert_incidents.c.opened_at
                    )
                ),
            )
            .where(
                alert_incidents.c.store.in_(stores),
                alert_incidents.c.resolved_at >= now - MTTR_WINDOW,
            )
            .group_by(alert_incidents.c.store)
        )
    }
    queued = dict(
        conn.execute(
            select(sync_requests.c.store, func.count())
            .where(
                sync_requests.c.store.in_(stores),
                sync_requests.c.status == RequestStatus.QUEUED,
            )
            .group_by(sync_requests.c.store)
        ).all()
    )
    totals = _grouped(
        conn.execute(
            select(
                sync_run_totals.c.store,
                sync_run_totals.c.entity_type,
                sync_run_totals.c.status,
                sync_run_totals.c.runs,
            )
            .where(sync_run_totals.c.store.in_(stores))
            .order_by(sync_run_totals.c.entity_type, sync_run_totals.c.status)
        ),
        lambda r: (r[0], (r[1], r[2], int(r[3]))),
    )
    hours = _sales_hours(conn, {s: runs[s]["sales"] for s in stores})
    snapshots = {}
    for store in stores:
        store_runs = runs[store]
        resolved_n, seconds = resolved.get(store, (0, None))
        snapshots[store] = RunLogSnapshot(
            read_at=now,
            day_start=clocks[store].midnight,
            states=tuple(states.get(store, ())),
            runs=store_runs,
            # Over the whole log only when the latest runs all failed (rare).
            streaks={
                e: streak_from(store_runs[e]) or streak_of(conn, store, e) for e in STATE_ENTITIES
            },
            day=tuple(day.get(store, ())),
            beats=tuple(b for s, b in beats if s in (store, None)),
            reconciliation=checks.get(store, ()),
            sales_reconciliation=sales_checks.get(store, ()),
            open_incidents=dict(open_incidents.get(store, ())),
            resolved_30d=resolved_n,
            incident_seconds_30d=seconds,
            queue_depth=int(queued.get(store) or 0),
            run_totals=tuple(totals.get(store, ())),
            baselines=baselines.get(store, {}),
            sales_hours=hours.get(store),
            zone=clocks[store].zone,
        )
    return snapshots


def _grouped(rows: Any, split: Any) -> dict[str, list[Any]]:
    """Rows grouped by store: `split(row)` gives (store, value); row order is kept."""
    found: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        store, value = split(row)
        found[store].append(value)
    return found


def _clocks(
    conn: Connection, zones: Mapping[str, str | None], now: datetime
) -> dict[str, StoreClock]:
    table = ENTITY_TABLES["outlets"]
    outlets = _grouped(
        conn.execute(
            select(
                table.c.store, table.c.id, table.c.time_zone, table.c.deleted_at.is_not(None)
            ).where(table.c.store.in_(list(zones)))
        ),
        lambda r: (r[0], (r[1], r[2], bool(r[3]))),
    )
    return {s: store_clock(now, zone, outlets.get(s, ())) for s, zone in zones.items()}


def _runs(conn: Connection, stores: Sequence[str]) -> dict[str, dict[str, tuple[RunRow, ...]]]:
    """The latest RECENT_RUNS runs of each store's entities, newest first."""
    found: dict[str, dict[str, list[RunRow]]] = {s: {e: [] for e in STATE_ENTITIES} for s in stores}
    rows = conn.execute(
        _RUNS, {"stores": list(stores), "entities": list(STATE_ENTITIES), "recent": RECENT_RUNS}
    )
    # Thousands of rows: a plain dict per row (a Row's mapping view is several times slower).
    for store, *values in rows:
        run = run_row(dict(zip(RUN_COLUMNS, values, strict=True)))
        found[store][run.entity_type].append(run)
    return {s: {e: tuple(r) for e, r in by_entity.items()} for s, by_entity in found.items()}


def _baselines(
    conn: Connection, runs: Mapping[str, Mapping[str, tuple[RunRow, ...]]]
) -> dict[str, dict[str, tuple[int, ...]]]:
    """Per store and entity with an anchor run, the durations the slow-run rule compares."""
    anchors = [
        (store, entity, anchor)
        for store, by_entity in runs.items()
        for entity, rows in by_entity.items()
        if (anchor := baseline_anchor(rows)) is not None
    ]
    found: dict[str, dict[str, list[int]]] = defaultdict(dict)
    for store, entity, _ in anchors:
        found[store][entity] = []
    if anchors:
        params = {
            "stores": [a[0] for a in anchors],
            "entities": [a[1] for a in anchors],
            "actions": [a[2].action for a in anchors],
            "befores": [a[2].started_at for a in anchors],
            "succeeded": sorted(SUCCEEDED),
            "baseline": BASELINE_RUNS,
        }
        for store, entity, ms in conn.execute(_BASELINES, params):
            found[store][entity].append(int(ms))
    return {s: {e: tuple(v) for e, v in by.items()} for s, by in found.items()}


def _day(
    conn: Connection, stores: Sequence[str], clocks: Mapping[str, StoreClock], now: datetime
) -> dict[str, list[DayGroup]]:
    params = {
        "stores": list(stores),
        "starts": [clocks[s].midnight for s in stores],
        "since": now - timedelta(hours=24),
    }
    return _grouped(
        conn.execute(_DAY, params),
        lambda r: (
            r[0],
            DayGroup(r[1], r[2], r[3], int(r[4]), int(r[5] or 0), int(r[6] or 0), int(r[7] or 0)),
        ),
    )


def _checks(
    conn: Connection, stores: Sequence[str], clocks: Mapping[str, StoreClock]
) -> tuple[dict[str, tuple[Check, ...]], dict[str, tuple[Check, ...]]]:
    """Per store, the checks of its latest reconciliation run, and of the latest run that
    checked its yesterday's sales."""
    params = {
        "stores": [*stores, *stores],
        "scopes": [None] * len(stores) + [clocks[s].yesterday for s in stores],
    }
    latest = conn.execute(_LATEST_CHECKS, params).all()
    if not latest:
        return {}, {}
    wanted = {run_id for _, _, run_id in latest}
    rows = conn.execute(
        select(reconciliations)
        .where(
            reconciliations.c.store.in_(list(stores)),
            reconciliations.c.run_id.in_(bindparam("runs", expanding=True)),
        )
        .order_by(reconciliations.c.id),
        {"runs": sorted(wanted)},
    ).all()
    overall: dict[str, tuple[Check, ...]] = {}
    sales: dict[str, tuple[Check, ...]] = {}
    for store, scope, run_id in latest:
        mine = [r for r in rows if r.store == store and r.run_id == run_id]
        if scope is None:
            overall[store] = tuple(check_row(r._mapping) for r in mine)
        else:
            sales[store] = tuple(
                check_row(r._mapping)
                for r in mine
                if r.entity_type == "sales" and str(r.scope).startswith(scope)
            )
    return overall, sales


def _sales_hours(
    conn: Connection, sales_runs: Mapping[str, tuple[RunRow, ...]]
) -> dict[str, SalesHours]:
    ends = {s: sales_hour_ends(runs) for s, runs in sales_runs.items()}
    pairs = [(s, end) for s, store_ends in ends.items() for end in store_ends]
    if not pairs:
        return {}
    counted = {
        (store, end): int(n)
        for store, end, n in conn.execute(
            _SALES_HOURS, {"stores": [p[0] for p in pairs], "ends": [p[1] for p in pairs]}
        )
    }
    return {
        s: SalesHours(end=store_ends[0], counts=tuple(counted[(s, e)] for e in store_ends))
        for s, store_ends in ends.items()
        if store_ends
    }
