"""The status report as a pure function of a literal RunLogSnapshot (the same over SQL and REST)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sync.config import load_settings
from sync.health import Freshness, Overall
from sync.health.snapshot import Beat, RunLogSnapshot, RunRow, StateRow, Streak
from sync.storage.status_report import build_status_report

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SIX = ("customers", "outlets", "products", "sales", "sale_line_items", "inventory")
SETTINGS = load_settings({}, env_file=None)


def snapshot(
    age: timedelta = timedelta(minutes=10),
    beat: Beat | None = None,
    streaks: dict[str, Streak] | None = None,
    **changes: dict,
) -> RunLogSnapshot:
    states = []
    for name in SIX:
        values = {
            "status": "success",
            "last_sync_time": NOW - age,
            "last_attempt_at": NOW - age,
            "records_total": 50,
            "cursor_version": 7,
        }
        values.update(changes.get(name, {}))
        states.append(StateRow(name, **values))
    runs = {
        name: (RunRow(i, "r", name, "incremental", "schedule", "success", NOW - age),)
        for i, name in enumerate(SIX)
    }
    return RunLogSnapshot(
        read_at=NOW,
        day_start=NOW.replace(hour=0),
        states=tuple(states),
        runs=runs,
        beats=(beat,) if beat else (),
        streaks=streaks or {},
    )


def live(state: str = "idle", age: timedelta = timedelta(seconds=10)) -> Beat:
    return Beat(NOW - age, {"state": state})


def test_fresh_rows_and_a_live_beat_are_healthy_and_ready():
    report = build_status_report(snapshot(beat=live()), SETTINGS)
    assert report.overall is Overall.HEALTHY and report.scheduler == "alive"
    assert report.health.data_ready and report.health.health_score == 92
    assert {e.freshness for e in report.entities} == {Freshness.OK}
    body = report.as_json()
    assert body["status_counts"] == {"healthy": 6, "delayed": 0, "error": 0}
    assert [e["entity"] for e in body["entities"]] == list(SIX)
    assert {e["cursor_version"] for e in body["entities"]} == {7}
    assert body["checked_at"] == NOW.isoformat()


def test_a_stopped_scheduler_makes_fresh_data_a_warning():
    report = build_status_report(snapshot(beat=live("stopped")), SETTINGS)
    assert report.overall is Overall.WARNING
    assert report.scheduler.startswith("stopped at")
    assert "scheduler is not running" in report.as_json()["overall_text"]


def test_empty_line_items_block_the_data():
    snap = snapshot(beat=live(), sale_line_items={"records_total": 0})
    report = build_status_report(snap, SETTINGS)
    assert report.overall is Overall.CRITICAL
    reasons = report.as_json()["data_ready_reasons"]
    assert [r["entity"] for r in reasons] == ["sale_line_items"]
    assert reasons[0]["since"] == (NOW - timedelta(minutes=10)).isoformat()


def test_an_entity_without_a_state_row_is_red_and_never_synced():
    snap = snapshot(beat=live())
    snap = RunLogSnapshot(NOW, NOW, states=snap.states[1:], beats=snap.beats)
    report = build_status_report(snap, SETTINGS)
    customers = report.entities[0]
    assert customers.entity == "customers" and customers.status == "never"
    assert customers.colour.value == "red" and customers.records_total == 0


def test_a_failure_streak_in_the_snapshot_lowers_the_score():
    failing = {"sales": Streak(4, NOW - timedelta(hours=2))}
    run = RunRow(1, "r", "sales", "incremental", "schedule", "failed", NOW - timedelta(hours=1))
    snap = snapshot(beat=live(), streaks=failing, sales={"status": "failed", "error_type": "API"})
    snap = RunLogSnapshot(
        NOW, NOW, states=snap.states, beats=snap.beats, streaks=failing, runs={"sales": (run,)}
    )
    report = build_status_report(snap, SETTINGS)
    sales = report.health.entity_detail("sales")
    assert sales and sales["consecutive_failures"] == 4 and sales["status"] == "failed"
    assert report.health.health_score < 92
    assert report.entities[3].colour.value == "red"
