"""The views as pure functions of literal RunLogSnapshots: alert findings, the Status page's
facts, the health facts and /metrics. No database: the snapshot is the only input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.alerts.facts import entity_facts, findings
from sync.alerts.rules import Rule
from sync.api.metrics import families
from sync.config import load_settings
from sync.dashboard.queries.status import facts_of
from sync.health.reading import health_facts, summarize
from sync.health.snapshot import (
    Beat,
    Check,
    DayGroup,
    RunLogSnapshot,
    RunRow,
    SalesHours,
    StateRow,
    Streak,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
SETTINGS = load_settings({}, env_file=None)
SIX = ("customers", "outlets", "products", "sales", "sale_line_items", "inventory")


def run(n: int, entity: str, status: str, ago: timedelta, ms: int | None = 1000, **kw) -> RunRow:
    return RunRow(n, f"r{n}", entity, "incremental", "schedule", status, NOW - ago, None,
                  None, ms, **kw)  # fmt: skip


def healthy(**extra) -> RunLogSnapshot:
    """Every entity synced 10 minutes ago, a live scheduler; `extra` replaces fields."""
    values = dict(
        read_at=NOW,
        day_start=NOW - 12 * H,
        states=tuple(
            StateRow(e, "success", NOW - timedelta(minutes=10), records_total=5) for e in SIX
        ),
        runs={e: (run(i, e, "success", timedelta(minutes=10)),) for i, e in enumerate(SIX)},
        beats=(Beat(NOW - timedelta(seconds=5), {"state": "idle"}),),
    )
    values.update(extra)
    return RunLogSnapshot(**values)


def rules_of(snap: RunLogSnapshot) -> set[tuple[Rule, str]]:
    return {(f.rule, f.entity) for f in findings(snap, SETTINGS)}


def test_a_healthy_snapshot_holds_no_finding():
    assert rules_of(healthy()) == set()


def test_three_failures_in_a_row_are_a_sync_failed_finding():
    failed = tuple(run(10 + k, "products", "failed", k * H, error_type="API") for k in (1, 2, 3))
    snap = healthy(runs={**healthy().runs, "products": failed})
    assert (Rule.SYNC_FAILED, "products") in rules_of(snap)


def test_a_running_first_import_is_not_stale_but_a_silent_scheduler_is_down():
    states = tuple(StateRow(e) for e in SIX)
    running = {"sales": (run(1, "sales", "running", timedelta(minutes=1), ms=None),)}
    snap = healthy(states=states, runs=running, beats=(Beat(NOW - 2 * H, {"state": "idle"}),))
    found = rules_of(snap)
    assert (Rule.STALE, "sales") not in found and (Rule.STALE, "customers") in found
    assert (Rule.SCHEDULER_DOWN, "scheduler") in found
    (sales,) = [f for f in entity_facts(snap, SETTINGS) if f.entity == "sales"]
    assert sales.running and sales.runs == ()


def test_the_latest_reconciliation_mismatch_and_a_slow_run_come_from_the_snapshot():
    check = Check("r2", "sales", "2026-11-22 outlet 1", "sales_total", "mismatch", NOW, "5.00",
                  "python -m sync backfill --entity sales")  # fmt: skip
    slow = run(1, "sales", "success", H, ms=45 * 60_000, version_from=9)
    snap = healthy(
        reconciliation=(check,),
        runs={**healthy().runs, "sales": (slow,)},
        baselines={"sales": (60_000,) * 5},
    )
    by_rule = {f.rule: f for f in findings(snap, SETTINGS)}
    assert "differs by 5.00" in by_rule[Rule.RECONCILIATION_MISMATCH].message
    assert by_rule[Rule.SLOW_RUN].entity == "sales"
    assert Rule.SLOW_RUN not in {
        f.rule for f in findings(healthy(reconciliation=(check,)), SETTINGS)
    }


def test_an_empty_success_after_weeks_with_sales_is_reported():
    empty = run(1, "sales", "success", H, records_upserted=0)
    hours = SalesHours(NOW - H, (0, 3, 2, 4, 1))
    snap = healthy(runs={**healthy().runs, "sales": (empty,)}, sales_hours=hours)
    assert (Rule.EMPTY_SUCCESS, "sales") in rules_of(snap)
    quiet = healthy(runs=snap.runs, sales_hours=SalesHours(NOW - H, (0, 0, 0, 3, 0)))
    assert (Rule.EMPTY_SUCCESS, "sales") not in rules_of(quiet)


def test_the_status_page_facts_sum_the_day_and_keep_the_latest_run():
    day = (
        DayGroup("sales", "success", None, 3, 6000, 3, 40),
        DayGroup("products", "success", None, 1, 0, 0, 5),  # no duration recorded
        DayGroup("products", "failed", "API", 2, 1000, 2, 0),
        DayGroup("sales", "running", None, 1, 0, 0, 0),
    )
    streak = tuple(run(20 + k, "products", "failed", k * H) for k in (1, 2))
    snap = healthy(day=day, runs={**healthy().runs, "products": streak})
    facts = facts_of(snap)
    assert facts.status_counts_24h == {"success": 4, "failed": 2, "running": 1}
    assert facts.avg_duration_ms_24h == pytest.approx(7000 / 6)
    assert facts.records_today == 45 and facts.fetched_at == NOW
    products = next(e for e in facts.entities if e.entity == "products")
    assert products.failure_streak == 2 and products.last_run["id"] == 21
    assert facts.heartbeat and facts.heartbeat.state == "idle"


def test_the_health_facts_weigh_durations_by_timed_runs_and_count_failures_by_class():
    day = (
        DayGroup("sales", "success", None, 3, 6000, 3, 40),
        DayGroup("sales", "failed", "AUTH", 1, 500, 1, 0),
        DayGroup("sales", "running", None, 1, 0, 0, 0),
    )
    snap = healthy(day=day, streaks={"sales": Streak(1, NOW - H)})
    facts = health_facts(snap)
    sales = facts.entity("sales")
    assert sales.avg_duration_ms_24h == pytest.approx(6500 / 4)
    assert sales.failures_24h == {"AUTH": 1} and sales.records_today == 40
    assert sales.consecutive_failures == 1 and sales.failing_since == NOW - H
    assert facts.finished_24h == 4 and facts.failures_by_class_24h == {"AUTH": 1}
    assert sales.last_run_status == "success"


def test_metrics_are_families_of_one_snapshot():
    snap = healthy(run_totals=(("sales", "success", 12), ("sales", "failed", 1)))
    found = {m.name: m for m in families({"default": snap}, SETTINGS)}
    runs = {(s.labels["entity"], s.labels["status"]): s.value for s in found[
        "lightspeed_sync_runs"].samples if s.name.endswith("_total")}  # fmt: skip
    assert runs[("sales", "success")] == 12 and runs[("sales", "failed")] == 1
    # Every entity has every finished status, from 0: failure-rate queries answer 0.
    assert runs[("customers", "failed")] == 0 and runs[("sales", "interrupted")] == 0
    assert len(runs) == 6 * 4
    (score,) = found["lightspeed_sync_health_score"].samples
    assert score.value == summarize(snap, SETTINGS).health_score
    beat = found["lightspeed_sync_scheduler_last_heartbeat_timestamp_seconds"].samples[0]
    assert beat.value == (NOW - timedelta(seconds=5)).timestamp()
