"""The status report from sync_state rows and a heartbeat alone (what the REST backend has)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sync.config import load_settings
from sync.health import Freshness, Overall
from sync.storage.status_report import build_status_report

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SIX = ("customers", "outlets", "products", "sales", "sale_line_items", "inventory")
SETTINGS = load_settings({}, env_file=None)


def rows(age: timedelta = timedelta(minutes=10), **changes: dict) -> dict[str, dict]:
    states = {
        name: {
            "entity_type": name,
            "status": "success",
            "last_sync_time": NOW - age,
            "last_attempt_at": NOW - age,
            "records_total": 50,
        }
        for name in SIX
    }
    for name, values in changes.items():
        states[name].update(values)
    return states


def beat(state: str = "idle", age: timedelta = timedelta(seconds=10)) -> dict:
    return {"last_beat_at": NOW - age, "activity": {"state": state}, "next_run_at": None}


def test_fresh_rows_and_a_live_beat_are_healthy_and_ready():
    report = build_status_report(rows(), beat(), NOW, SETTINGS)
    assert report.overall is Overall.HEALTHY and report.scheduler == "alive"
    assert report.health.data_ready and report.health.health_score == 92
    assert {e.freshness for e in report.entities} == {Freshness.OK}
    body = report.as_json()
    assert body["status_counts"] == {"healthy": 6, "delayed": 0, "error": 0}
    assert [e["entity"] for e in body["entities"]] == list(SIX)


def test_a_stopped_scheduler_makes_fresh_data_a_warning():
    report = build_status_report(rows(), beat("stopped"), NOW, SETTINGS)
    assert report.overall is Overall.WARNING
    assert report.scheduler.startswith("stopped at")
    assert "scheduler is not running" in report.as_json()["overall_text"]


def test_empty_line_items_block_the_data():
    report = build_status_report(rows(sale_line_items={"records_total": 0}), beat(), NOW, SETTINGS)
    assert report.overall is Overall.CRITICAL
    reasons = report.as_json()["data_ready_reasons"]
    assert [r["entity"] for r in reasons] == ["sale_line_items"]
    assert reasons[0]["since"] == (NOW - timedelta(minutes=10)).isoformat()
