"""The health summary on real SQLite and Postgres: after a clean sync, with sales 3 days
stale, with AUTH failures and a mismatching reconciliation; read as dashboard_reader; and
run totals that pruning never lowers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, literal, select, text, update

from sync.engine.runner import Runner
from sync.health.reading import summarize
from sync.storage.schema import (
    alert_incidents,
    reconciliations,
    scheduler_heartbeat,
    sync_log,
    sync_run_totals,
    sync_state,
)
from sync.storage.sql.db import create_db_engine
from sync.storage.sql.outlets import load_store_days
from sync.storage.sql.reads import read_snapshot
from sync.storage.sql.retention import prune
from tests.conftest import SIM_TOKEN
from tests.support.dashboard_login import dashboard_url, ensure_dashboard_login

REPO = Path(__file__).resolve().parents[2]

SIX = ["customers", "outlets", "products", "sales", "sale_line_items", "inventory"]


def beat(engine, now: datetime, state: str = "idle") -> None:
    """A scheduler heartbeat row, as a live scheduler writes it."""
    soon = (now + timedelta(minutes=20)).isoformat()
    with engine.begin() as conn:
        conn.execute(scheduler_heartbeat.delete())
        conn.execute(
            insert(scheduler_heartbeat).values(
                instance_id="test",
                host="here",
                pid=1,
                started_at=now - timedelta(hours=1),
                last_beat_at=now - timedelta(seconds=5),
                next_run_at=now + timedelta(minutes=20),
                activity={"state": state, "jobs": [{"name": "incremental: all", "next_run": soon}]},
            )
        )


def age(engine, entities: list[str], by: timedelta) -> None:
    """Move the entities' sync_state and sync_log timestamps back by `by`."""
    with engine.begin() as conn:
        for name in entities:
            state = conn.execute(select(sync_state).where(sync_state.c.entity_type == name)).one()
            conn.execute(
                update(sync_state)
                .where(sync_state.c.entity_type == name)
                .values(
                    last_sync_time=state.last_sync_time - by,
                    last_attempt_at=state.last_attempt_at - by,
                )
            )
            for row in conn.execute(select(sync_log).where(sync_log.c.entity_type == name)):
                conn.execute(
                    update(sync_log)
                    .where(sync_log.c.id == row.id)
                    .values(started_at=row.started_at - by, finished_at=row.finished_at - by)
                )


@pytest.fixture
def synced(store, simulator, settings_for):
    settings = settings_for(store.url, simulator.api_url)
    Runner(settings, store).run(trigger="schedule", triggered_by="scheduler")
    return store, settings


def test_a_clean_sync_with_a_live_scheduler_is_healthy(synced):
    store, settings = synced
    now = datetime.now(UTC)
    beat(store.engine, now)
    body = summarize(read_snapshot(store.engine, store.prefix, now), settings).as_json()
    assert body["overall_status"] == "HEALTHY", body["overall_text"]
    assert body["health_score"] >= 90
    assert body["data_ready"] is True and body["data_ready_reasons"] == []
    assert body["status_counts"] == {"healthy": 6, "delayed": 0, "error": 0}
    assert list(body["entities"]) == SIX
    for name, entity in body["entities"].items():
        assert entity["colour"] == "green", name
        assert entity["freshness_severity"] == "ok", name
        assert entity["success_rate_24h"] == 1.0 and entity["consecutive_failures"] == 0
        assert entity["records_processed_today"] > 0 and entity["average_duration_s"] >= 0
        assert entity["next_scheduled_run"] is not None
        assert entity["status"] == "success" and entity["last_run_records"] > 0
        assert "last_run_status" not in entity  # one status per entity, not two
        assert entity["last_run_duration_s"] >= 0 and entity["process_peak_memory_bytes"] > 0
    assert body["scheduler"]["alive"] is True
    assert body["performance_summary"]["error_rate_by_class"] == {}
    assert body["performance_summary"]["runs_24h"] == 6


def test_sales_three_days_stale_blocks_the_data(synced):
    store, settings = synced
    now = datetime.now(UTC)
    beat(store.engine, now)
    age(store.engine, ["sales", "sale_line_items"], timedelta(days=3))
    summary = summarize(read_snapshot(store.engine, store.prefix, now), settings)
    body = summary.as_json()
    assert body["overall_status"] == "CRITICAL"
    assert body["health_score"] < 60
    assert body["data_ready"] is False
    assert body["entities"]["sales"]["freshness_severity"] == "critical"
    assert body["entities"]["customers"]["freshness_severity"] == "ok"
    block = summary.dashboard_block()
    assert block["blocked"] is True
    assert {r["entity"] for r in block["reasons"]} == {"sales", "sale_line_items"}
    sales = next(r for r in block["reasons"] if r["entity"] == "sales")
    assert "critically stale" in sales["reason"] and sales["since"] and sales["next_step"]


def test_without_a_scheduler_fresh_data_is_a_warning_not_healthy(synced):
    store, settings = synced
    now = datetime.now(UTC)
    beat(store.engine, now - timedelta(hours=1), state="stopped")
    body = summarize(read_snapshot(store.engine, store.prefix, now), settings).as_json()
    assert body["overall_status"] == "WARNING"
    assert "scheduler is not running" in body["overall_text"]
    assert body["health_score"] <= 80
    assert body["entities"]["sales"]["next_scheduled_run"] is None


def test_auth_failures_and_a_mismatch_are_reasons_with_their_since(synced):
    store, settings = synced
    now = datetime.now(UTC)
    beat(store.engine, now)
    age(store.engine, ["sales"], timedelta(hours=1))  # the failures come after its success
    first = now - timedelta(minutes=50)
    # The store's yesterday (its outlets' zone, CET in the simulator), not UTC's: between
    # 23:00 and 00:00 UTC the two differ.
    yesterday = load_store_days(store.engine, store.prefix, settings.store_time_zone).yesterday(now)
    with store.engine.begin() as conn:
        for minutes in (50, 30, 10):
            conn.execute(
                insert(sync_log).values(
                    store="default",
                    run_id=uuid.uuid4().hex,
                    entity_type="sales",
                    action="incremental",
                    trigger="schedule",
                    status="failed",
                    started_at=now - timedelta(minutes=minutes),
                    finished_at=now - timedelta(minutes=minutes - 1),
                    duration_ms=1000,
                    error_type="AUTH",
                    error_details="401 from Lightspeed",
                )
            )
        conn.execute(
            update(sync_state)
            .where(sync_state.c.entity_type == "sales")
            .values(status="failed", error_type="AUTH")
        )
        conn.execute(
            insert(reconciliations).values(
                store="default",
                run_id="r1",
                entity_type="sales",
                scope=f"{yesterday} outlet 1",
                measure="sales_total",
                source_value=100,
                db_value=95,
                difference=5,
                status="mismatch",
                details="python -m sync backfill --entity sales --from X --to X",
                checked_at=now - timedelta(hours=2),
            )
        )
    summary = summarize(read_snapshot(store.engine, store.prefix, now), settings)
    assert summary.data_ready is False and summary.overall_status == "CRITICAL"
    auth = next(r for r in summary.reasons if "AUTH" in r.reason)
    assert auth.entity == "sales" and abs(auth.since - first) < timedelta(seconds=1)
    assert "LIGHTSPEED_TOKEN" in auth.next_step
    mismatch = next(r for r in summary.reasons if "do not match" in r.reason)
    assert "backfill --entity sales" in mismatch.next_step
    sales = summary.entity_detail("sales")
    assert sales and sales["consecutive_failures"] == 3 and sales["colour"] == "red"
    assert summary.as_json()["performance_summary"]["error_rate_by_class"] == {
        "AUTH": pytest.approx(3 / 9)
    }
    assert summary.reconciliation and summary.reconciliation["status"] == "mismatch"
    assert summary.entity_detail("payroll") is None


def test_mttr_and_open_incidents(store, settings_for):
    settings = settings_for(store.url, "http://127.0.0.1:9")
    now = datetime.now(UTC)
    with store.engine.begin() as conn:
        for n, (opened, fixed) in enumerate([(60, 30), (200, 100), (None, None)]):
            conn.execute(
                insert(alert_incidents).values(
                    store="default",
                    rule="stale",
                    entity=f"e{n}",
                    status="resolved" if opened else "open",
                    severity="critical",
                    title="t",
                    message="m",
                    since=now,
                    opened_at=now - timedelta(minutes=opened or 5),
                    last_seen_at=now,
                    resolved_at=now - timedelta(minutes=fixed) if fixed else None,
                )
            )
    body = summarize(read_snapshot(store.engine, store.prefix, now), settings).as_json()
    assert body["performance_summary"]["mttr_seconds"] == pytest.approx((30 + 100) / 2 * 60)
    assert body["active_alerts"] == {
        "total": 1,
        "by_severity": {"warning": 0, "error": 0, "critical": 1},
    }
    assert body["health_score"] == 0 and body["overall_status"] == "CRITICAL"


def test_run_totals_count_finished_runs_and_survive_pruning(synced):
    store, _settings = synced
    with store.engine.connect() as conn:
        totals = {(r.entity_type, r.status): r.runs for r in conn.execute(select(sync_run_totals))}
    assert totals == {(name, "success"): 1 for name in SIX}
    age(store.engine, SIX, timedelta(days=800))
    prune(store.engine, datetime.now(UTC), months=13)
    with store.engine.connect() as conn:
        assert conn.scalar(select(text("count(*)")).select_from(sync_log)) == 0
        after = {(r.entity_type, r.status): r.runs for r in conn.execute(select(sync_run_totals))}
    assert after == totals


def test_run_totals_count_a_bulk_insert_of_finished_runs_at_once(store):
    # One statement of 30,000 finished rows (an import of old history, a restore): counted
    # once per (entity, status), not one upsert per row (that was quadratic on Postgres).
    started = datetime.now(UTC)
    rows = [
        {
            "run_id": f"run-{i}",
            "entity_type": SIX[i % 6],
            "action": "incremental",
            "trigger": "schedule",
            "status": "failed" if i % 10 == 0 else "success",
            "started_at": started - timedelta(minutes=i),
        }
        for i in range(30_000)
    ]
    with store.engine.begin() as conn:
        conn.execute(insert(sync_log).values(store=literal("default")), rows)
        conn.execute(update(sync_log).where(sync_log.c.run_id == "run-1").values(status="running"))
        conn.execute(update(sync_log).where(sync_log.c.run_id == "run-1").values(status="partial"))
    with store.engine.connect() as conn:
        totals = {(r.entity_type, r.status): r.runs for r in conn.execute(select(sync_run_totals))}
    assert sum(totals.values()) == 30_001
    assert totals[(SIX[0], "failed")] == 1000 and totals[(SIX[1], "partial")] == 1


@pytest.mark.postgres
def test_the_dashboard_login_can_build_the_summary(
    pg_url, postgres_server, simulator, settings_for
):
    from sync.storage.sql.db import migrate
    from sync.storage.sql.store import Store

    engine = create_db_engine(pg_url)
    migrate(engine)
    store = Store(engine)
    store.ensure_state_rows()
    settings = settings_for(pg_url, simulator.api_url)
    Runner(settings, store).run(trigger="schedule", triggered_by="scheduler")
    beat(engine, datetime.now(UTC))
    engine.dispose()
    ensure_dashboard_login(postgres_server)
    reader = create_db_engine(dashboard_url(pg_url))
    try:
        body = summarize(read_snapshot(reader, "default", datetime.now(UTC)), settings).as_json()
    finally:
        reader.dispose()
    assert body["overall_status"] == "HEALTHY" and body["data_ready"] is True


def test_every_store_records_run_metrics_and_counts_runs(every_store, simulator, settings_for):
    settings = settings_for("sqlite://", simulator.api_url)
    Runner(settings, every_store).run(trigger="schedule", triggered_by="scheduler")
    with every_store.engine.connect() as conn:
        rows = conn.execute(select(sync_log)).all()
        totals = {(r.entity_type, r.status): r.runs for r in conn.execute(select(sync_run_totals))}
    assert {r.entity_type for r in rows} == set(SIX)
    for row in rows:
        assert row.peak_rss_bytes > 10_000_000, row.entity_type  # a Python process, in bytes
        assert row.api_ms_mean > 0 and row.api_ms_p95 >= row.api_ms_mean * 0.5
        assert row.api_retries == 0
    assert totals == {(name, "success"): 1 for name in SIX}


def status_json(store, settings_env: dict[str, str], tmp_path) -> dict:
    """`python -m sync status --json` against the store's database."""
    done = subprocess.run(
        [sys.executable, "-m", "sync", "status", "--json"],
        env={**os.environ, "PYTHONPATH": str(REPO), **settings_env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_status_json_gives_the_same_verdicts(synced, simulator, tmp_path):
    store, _settings = synced
    env = {
        "DATABASE_URL": store.url,
        "LIGHTSPEED_BASE_URL": simulator.api_url,
        "LIGHTSPEED_TOKEN": SIM_TOKEN,
        "LOG_DIR": str(tmp_path / "logs"),
    }
    beat(store.engine, datetime.now(UTC) + timedelta(seconds=5))
    clean = status_json(store, env, tmp_path)
    assert clean["overall"] == "HEALTHY" and clean["health_score"] >= 90
    assert clean["data_ready"] is True
    assert clean["status_counts"] == {"healthy": 6, "delayed": 0, "error": 0}
    assert {e["freshness_severity"] for e in clean["entities"]} == {"ok"}
    age(store.engine, ["sales", "sale_line_items"], timedelta(days=3))
    stale = status_json(store, env, tmp_path)
    assert stale["overall"] == "CRITICAL" and stale["health_score"] < 60
    assert stale["data_ready"] is False
    assert "sales" in {r["entity"] for r in stale["data_ready_reasons"]}
    sales = next(e for e in stale["entities"] if e["entity"] == "sales")
    assert sales["freshness_severity"] == "critical"
