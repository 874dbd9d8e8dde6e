"""The read model's rules both stores share; `sql/reads.py` and `rest/reads.py` do the I/O.

Each store's `read_snapshot` fills one `sync.health.snapshot.RunLogSnapshot`: entity
states, the latest runs per entity, 24-hour aggregates, heartbeats, the latest
reconciliation, incidents and the queue. Every view is a pure function of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sync.days import store_days, zone_key
from sync.health.snapshot import (
    HISTORY_WEEKS,
    RECENT_RUNS,
    Check,
    DayGroup,
    RunRow,
    StateRow,
    Streak,
)
from sync.runs import COMPLETED, NEVER, SUCCEEDED, Action, RunStatus

#: The sync_log columns a RunRow holds.
RUN_COLUMNS: tuple[str, ...] = tuple(RunRow.__dataclass_fields__)
#: The sync_state columns a StateRow holds.
STATE_COLUMNS: tuple[str, ...] = tuple(StateRow.__dataclass_fields__)
MTTR_WINDOW = timedelta(days=30)


class StoreClock(NamedTuple):
    """The store's clock at one moment: the start of its today, its yesterday, its zone."""

    midnight: datetime
    yesterday: str  # YYYY-MM-DD
    zone: str  # the IANA name (`Pacific/Auckland`), "UTC" until outlets are synced


def store_clock(
    now: datetime, zone: str | None, outlets: Iterable[tuple[str, str | None, bool]]
) -> StoreClock:
    """The store's clock at `now`.

    The store's day: STORE_TIME_ZONE (`zone`), else the zone most outlets share (see
    `sync.days`). "Records today" count from that midnight; the nightly reconciliation
    checks that yesterday.
    """
    days = store_days(zone, outlets)
    today = days.today(now)
    return StoreClock(
        days.bounds(today, today)[0], days.yesterday(now).isoformat(), zone_key(days.zone)
    )


def state_row(row: Mapping[str, Any]) -> StateRow:
    """A StateRow from a sync_state row (datetimes already parsed)."""
    return StateRow(
        entity_type=row["entity_type"],
        status=row.get("status") or NEVER,
        last_sync_time=row.get("last_sync_time"),
        last_attempt_at=row.get("last_attempt_at"),
        error_type=row.get("error_type"),
        error_message=row.get("error_message"),
        cursor_version=int(row.get("cursor_version") or 0),
        records_total=int(row.get("records_total") or 0),
    )


def run_row(row: Mapping[str, Any]) -> RunRow:
    """A RunRow from a sync_log row (datetimes already parsed)."""
    values = {c: row.get(c) for c in RUN_COLUMNS}
    for c in ("records_upserted", "records_deleted", "records_rejected", "api_calls", "pages"):
        values[c] = int(values[c] or 0)
    return RunRow(**values)


def check_row(row: Mapping[str, Any]) -> Check:
    """A Check from a reconciliations row (datetimes already parsed)."""
    difference = row.get("difference")
    return Check(
        run_id=row["run_id"],
        entity_type=row["entity_type"],
        scope=row["scope"],
        measure=row["measure"],
        status=row["status"],
        checked_at=row["checked_at"],
        difference=None if difference is None else str(difference),
        details=row.get("details"),
    )


def streak_from(runs: Sequence[RunRow]) -> Streak | None:
    """The failure streak told by the latest runs alone; None when they cannot tell.

    They can when they hold a successful run (every later run is among them) or are the
    entity's whole history (fewer than RECENT_RUNS).
    """
    last_ok = next((r for r in runs if r.status in SUCCEEDED), None)
    if last_ok is None and len(runs) >= RECENT_RUNS:
        return None
    failed = [
        r
        for r in runs
        if r.status == RunStatus.FAILED and (last_ok is None or r.started_at > last_ok.started_at)
    ]
    return Streak(len(failed), min((r.started_at for r in failed), default=None))


def baseline_anchor(runs: Sequence[RunRow]) -> RunRow | None:
    """The run whose duration the slow-run rule judges: the latest completed, not failed."""
    latest = next((r for r in runs if r.status in COMPLETED), None)
    return latest if latest is not None and latest.status != RunStatus.FAILED else None


def sales_hour_ends(runs: Sequence[RunRow]) -> list[datetime]:
    """Ends of the hours the empty-success rule counts sales in (none after a backfill)."""
    anchor = baseline_anchor(runs)
    if anchor is None or anchor.action == Action.BACKFILL:
        return []
    return [anchor.started_at - timedelta(weeks=k) for k in range(HISTORY_WEEKS + 1)]


def day_groups(rows: Sequence[Mapping[str, Any]], day_start: datetime) -> tuple[DayGroup, ...]:
    """24-hour aggregates from the raw sync_log rows of the last 24 h (REST reads rows)."""
    groups: dict[tuple[str, str, str | None], dict[str, int]] = {}
    for row in rows:
        key = (row["entity_type"], row["status"], row.get("error_type"))
        g = groups.setdefault(key, {"runs": 0, "ms": 0, "timed": 0, "today": 0})
        g["runs"] += 1
        if row.get("duration_ms") is not None:
            g["ms"] += int(row["duration_ms"])
            g["timed"] += 1
        if row["started_at"] >= day_start:
            g["today"] += int(row.get("records_upserted") or 0)
    return tuple(
        DayGroup(e, s, t, g["runs"], g["ms"], g["timed"], g["today"])
        for (e, s, t), g in groups.items()
    )


@dataclass(frozen=True)
class HistoryFilter:
    """Runs started in [start, end), of these entities and statuses (empty = all)."""

    start: datetime
    end: datetime
    entities: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
