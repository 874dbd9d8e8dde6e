"""The issue's acceptance through the API, on SQLite and Postgres: summary, dashboard-block,
entity detail, performance history and /metrics after a clean sync and with sales 3 days
stale; and /metrics with the database down."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import insert, select, update

from sync.api.metrics import FAMILIES
from sync.engine.runner import Runner
from sync.runs import utcnow
from sync.service.heartbeat import Heartbeat
from sync.storage.schema import sync_log, sync_state
from tests.support.api_server import running_api
from tests.support.tcp_proxy import store_behind_proxy

SIX = ["customers", "outlets", "products", "sales", "sale_line_items", "inventory"]


def live_scheduler(store, settings) -> Heartbeat:
    """The heartbeat a running scheduler keeps, with its plan."""
    beat = Heartbeat(store, period_seconds=settings.heartbeat_seconds, clock=utcnow)
    soon = utcnow() + timedelta(minutes=20)
    beat.set_plan([{"name": "incremental: all", "next_run": soon.isoformat()}], soon)
    beat.set_activity(state="idle")
    beat.beat()
    return beat


def move_back(engine, entities: list[str], by: timedelta) -> None:
    """Make entities look `by` older: sync_state and sync_log timestamps moved back."""
    with engine.begin() as conn:
        for state in conn.execute(select(sync_state).where(sync_state.c.entity_type.in_(entities))):
            conn.execute(
                update(sync_state)
                .where(sync_state.c.entity_type == state.entity_type)
                .values(
                    last_sync_time=state.last_sync_time - by,
                    last_attempt_at=state.last_attempt_at - by,
                )
            )
        for row in conn.execute(select(sync_log).where(sync_log.c.entity_type.in_(entities))):
            conn.execute(
                update(sync_log)
                .where(sync_log.c.id == row.id)
                .values(started_at=row.started_at - by, finished_at=row.finished_at - by)
            )


def scrape(api) -> dict[str, list]:
    answer = api.get("/metrics", api.read_key)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {f.name: f.samples for f in text_string_to_metric_families(answer.text)}


def value(samples: list, **labels: str) -> float:
    return next(s.value for s in samples if all(s.labels.get(k) == v for k, v in labels.items()))


@pytest.fixture
def synced(store, simulator, settings_for, db_url):
    settings = settings_for(db_url, simulator.api_url)
    results = Runner(settings, store).run(trigger="schedule", triggered_by="scheduler")
    assert {r.status for r in results} == {"success"}
    live_scheduler(store, settings)
    with running_api(settings, store.engine) as api:
        yield store, api


def test_after_a_clean_sync_with_a_live_scheduler_everything_is_healthy(synced):
    _, api = synced
    body = api.get("/api/sync-health/summary", api.read_key).json()
    assert body["overall_status"] == "HEALTHY", body["overall_text"]
    assert body["health_score"] >= 90 and body["data_ready"] is True
    assert body["status_counts"] == {"healthy": 6, "delayed": 0, "error": 0}
    assert list(body["entities"]) == SIX
    for key in ("scheduler", "active_alerts", "performance_summary", "last_updated"):
        assert key in body
    for name, entity in body["entities"].items():
        assert entity["colour"] == "green" and entity["freshness_severity"] == "ok", name
        for field in (
            "last_successful_sync",
            "success_rate_24h",
            "consecutive_failures",
            "average_duration_s",
            "records_processed_today",
            "process_peak_memory_bytes",
            "next_scheduled_run",
        ):
            assert field in entity, (name, field)
    assert api.get("/api/sync-health/dashboard-block", api.read_key).json() == {
        "blocked": False,
        "reasons": [],
    }
    sales = api.get("/api/sync-health/entities/sales", api.read_key).json()
    assert sales["entity"] == "sales" and sales["colour"] == "green"
    assert sales["records_total"] == body["entities"]["sales"]["records_total"] > 0

    families = scrape(api)
    assert set(FAMILIES) <= set(families) | {"lightspeed_sync_runs_total"}
    assert "lightspeed_sync_runs" in families  # the parser drops a counter's _total
    runs = families["lightspeed_sync_runs"]
    for name in SIX:
        assert value(runs, entity=name, status="success") >= 1
        assert value(runs, entity=name, status="failed") == 0  # every status, from 0
        assert value(families["lightspeed_sync_entity_stale"], entity=name) == 0
        assert value(families["lightspeed_sync_last_success_timestamp_seconds"], entity=name) > 0
        assert value(families["lightspeed_sync_last_run_records"], entity=name) >= 0
        assert value(families["lightspeed_sync_consecutive_failures"], entity=name) == 0
        assert value(families["lightspeed_sync_run_peak_memory_bytes"], entity=name) > 10_000_000
        assert value(
            families["lightspeed_sync_freshness_threshold_seconds"],
            entity=name,
            severity="critical",
        ) == 4 * value(
            families["lightspeed_sync_freshness_threshold_seconds"], entity=name, severity="warning"
        )
    assert value(families["lightspeed_sync_health_score"]) == body["health_score"]
    assert value(families["lightspeed_sync_data_ready"]) == 1
    assert value(families["lightspeed_sync_db_up"]) == 1
    assert value(families["lightspeed_sync_build_info"], version="0.1.0") == 1
    beat = value(families["lightspeed_sync_scheduler_last_heartbeat_timestamp_seconds"])
    assert abs(beat - datetime.now(UTC).timestamp()) < 120
    labels = {k for samples in families.values() for s in samples for k in s.labels}
    assert labels <= {"store", "entity", "status", "severity", "version"}
    # One store: every series about its copy still names it (alert rules join on it).
    assert {s.labels["store"] for s in families["lightspeed_sync_entity_stale"]} == {"default"}
    assert "store" not in families["lightspeed_sync_db_up"][0].labels


def test_sales_three_days_stale_is_critical_not_ready_and_blocks_naming_sales(synced):
    store, api = synced
    move_back(store.engine, ["sales", "sale_line_items"], timedelta(days=3))
    body = api.get("/api/sync-health/summary", api.read_key).json()
    assert body["overall_status"] == "CRITICAL"
    assert body["health_score"] < 60 and body["data_ready"] is False
    assert body["entities"]["sales"]["freshness_severity"] == "critical"
    block = api.get("/api/sync-health/dashboard-block", api.read_key).json()
    assert block["blocked"] is True and "sales" in {r["entity"] for r in block["reasons"]}
    assert all(r["next_step"] for r in block["reasons"])
    families = scrape(api)
    assert value(families["lightspeed_sync_data_ready"]) == 0
    assert value(families["lightspeed_sync_entity_stale"], entity="sales") == 1
    assert value(families["lightspeed_sync_entity_stale"], entity="customers") == 0
    assert value(families["lightspeed_sync_health_score"]) == body["health_score"]


def test_unknown_entities_are_404(synced):
    _, api = synced
    for path in ("/api/sync-health/entities/payroll", "/api/sync-health/performance-history"):
        answer = api.get(path, api.read_key, params={"entity": "payroll"})
        assert answer.status_code == 404, path
        assert "payroll" in answer.json()["error"] and "sales" in answer.json()["error"]


def test_performance_history_buckets_the_runs(synced):
    store, api = synced
    day = api.get("/api/sync-health/performance-history", api.read_key).json()
    assert day["period"] == "24h" and day["bucket"] == "hour"
    assert sum(b["runs"] for b in day["buckets"]) == 6
    assert sum(b["records"] for b in day["buckets"]) > 0
    assert all(b["failed"] == 0 and b["errors_by_class"] == {} for b in day["buckets"])
    sales = api.get(
        "/api/sync-health/performance-history",
        api.read_key,
        params={"period": "30d", "entity": "sales"},
    ).json()
    assert sales["bucket"] == "day" and sum(b["runs"] for b in sales["buckets"]) == 1
    move_back(store.engine, ["customers"], timedelta(days=2))
    week = api.get(
        "/api/sync-health/performance-history", api.read_key, params={"period": "7d"}
    ).json()
    assert len(week["buckets"]) == 2 and sum(b["runs"] for b in week["buckets"]) == 6
    again = api.get("/api/sync-health/performance-history", api.read_key).json()
    assert sum(b["runs"] for b in again["buckets"]) == 5
    now = datetime.now(UTC)
    with store.engine.begin() as conn:  # a failed run, as the runner records one
        conn.execute(
            insert(sync_log).values(
                store="default",
                run_id="failed-run",
                entity_type="sales",
                action="incremental",
                trigger="schedule",
                status="failed",
                started_at=now - timedelta(minutes=1),
                finished_at=now,
                duration_ms=4000,
                error_type="NETWORK",
                peak_rss_bytes=987_654_321,
                api_ms_p95=850.0,
            )
        )
    failed = api.get("/api/sync-health/performance-history", api.read_key).json()
    latest = next(b for b in failed["buckets"] if b["failed"])
    assert sum(b["failed"] for b in failed["buckets"]) == 1
    assert latest["errors_by_class"] == {"NETWORK": 1} and latest["max_duration_s"] >= 4.0
    assert latest["peak_memory_bytes"] == 987_654_321 and latest["api_ms_p95"] == 850.0
    assert sum(b["runs"] for b in failed["buckets"]) == 6
    bad = api.get("/api/sync-health/performance-history", api.read_key, params={"period": "1y"})
    assert bad.status_code == 422 and "period" in bad.json()["error"]


def test_summary_and_history_count_the_same_records(synced, simulator, settings_for, db_url):
    """One meaning of "records": what runs wrote, a deletion included, counted once.

    Deletions in the feed and records a full pass no longer finds are both written (as
    deleted rows): the summary's day, the history's buckets and the last run agree.
    """
    store, api = synced
    settings = settings_for(db_url, simulator.api_url)
    simulator.mutate(delete_customers=2, delete_sales=2, vanish_inventory=2)
    Runner(settings, store).run(entities=["customers", "sales"])
    [full] = Runner(settings, store).run(entities=["inventory"], full=True)
    assert full.deleted > 0
    with store.engine.connect() as conn:
        logs = conn.execute(select(sync_log)).all()
    assert sum(r.records_deleted for r in logs) >= 4 + full.deleted
    written = sum(r.records_upserted for r in logs)
    assert all(r.records_deleted <= r.records_upserted for r in logs)

    summary = api.get("/api/sync-health/summary", api.read_key).json()
    day = api.get("/api/sync-health/performance-history", api.read_key).json()
    performance = summary["performance_summary"]
    assert performance["records_processed_today"] == written
    assert sum(b["records"] for b in day["buckets"]) == written
    assert performance["runs_24h"] == sum(b["runs"] for b in day["buckets"]) == len(logs)
    for name, entity in summary["entities"].items():
        one = api.get(
            "/api/sync-health/performance-history", api.read_key, params={"entity": name}
        ).json()
        assert entity["records_processed_today"] == sum(b["records"] for b in one["buckets"])
    inventory = summary["entities"]["inventory"]
    assert inventory["last_run_records"] == full.upserted >= full.deleted


@pytest.mark.postgres
def test_with_the_database_down_metrics_still_answer_with_db_up_0(pg_url, simulator, settings_for):
    proxy, url, store = store_behind_proxy(pg_url)
    engine = store.engine
    settings = settings_for(url, simulator.api_url)
    Runner(settings, store).run()
    try:
        with running_api(settings, engine) as api:
            assert value(scrape(api)["lightspeed_sync_db_up"]) == 1
            proxy.stop()
            engine.dispose()
            down = scrape(api)
            assert value(down["lightspeed_sync_db_up"]) == 0
            assert "lightspeed_sync_build_info" in down
            assert "lightspeed_sync_health_score" not in down
            summary = api.get("/api/sync-health/summary", api.read_key)
            assert summary.status_code == 503
            assert summary.json() == {"error": "The database cannot be reached; try again shortly."}
            assert api.get("/readyz").status_code == 503
            assert api.get("/livez").status_code == 200
    finally:
        proxy.stop()
        engine.dispose()
