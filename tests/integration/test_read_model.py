"""The read model on SQLite, Postgres and the Supabase REST API: the same rows give the same
RunLogSnapshot, field for field."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, update

from sync.health.snapshot import SalesHours, Streak
from sync.storage.schema import (
    ENTITY_TABLES,
    alert_incidents,
    reconciliations,
    scheduler_heartbeat,
    sync_log,
    sync_requests,
    sync_state,
)
from sync.storage.status_report import status_report
from tests.conftest import make_settings

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)


def _run(conn, entity: str, status: str, ago: timedelta, ms: int | None = 1000, **values) -> None:
    conn.execute(
        insert(sync_log).values(
            store="default",
            run_id=uuid.uuid4().hex,
            entity_type=entity,
            action=values.pop("action", "incremental"),
            trigger="schedule",
            status=status,
            started_at=NOW - ago,
            finished_at=None if status == "running" else NOW - ago + timedelta(seconds=5),
            duration_ms=None if status == "running" else ms,
            records_upserted=values.pop("records", 2),
            **values,
        )
    )


def _sale(conn, n: int, at: datetime) -> None:
    conn.execute(
        insert(ENTITY_TABLES["sales"]).values(
            store="default",
            id=f"sale-{n}",
            version=n,
            sale_date=at,
            raw={"id": f"sale-{n}"},
            synced_at=NOW,
        )
    )


def _fill(engine) -> None:
    yesterday = (NOW - timedelta(days=1)).date()
    with engine.begin() as conn:
        conn.execute(
            update(sync_state)
            .where(sync_state.c.entity_type == "products")
            .values(
                status="failed",
                last_sync_time=NOW - 10 * H,
                error_type="AUTH",
                error_message="401",
                cursor_version=42,
                records_total=9,
            )
        )
        _run(conn, "customers", "success", 30 * H, ms=500)
        _run(conn, "customers", "success", 26 * H, ms=700)
        _run(conn, "sales", "failed", 6 * H, error_type="API")
        _run(conn, "sales", "success", 5 * H, ms=1000)
        _run(conn, "sales", "success", 4 * H, ms=2000, records=7)
        _run(conn, "sales", "running", timedelta(minutes=1))
        _run(conn, "products", "success", 10 * H)
        _run(conn, "products", "failed", 3 * H, error_type="AUTH", records=0)
        _run(conn, "products", "failed", 2 * H, error_type="AUTH", records=0)
        for instance, ago in (("a", timedelta(seconds=5)), ("b", 2 * H)):
            conn.execute(
                insert(scheduler_heartbeat).values(
                    instance_id=instance,
                    host="here",
                    pid=1,
                    started_at=NOW - 3 * H,
                    last_beat_at=NOW - ago,
                    next_run_at=NOW + H,
                    activity={"state": "idle", "jobs": []},
                )
            )
        for run_id, scope, status, ago in (
            ("r1", "all", "matched", 48 * H),
            ("r2", f"{yesterday} outlet 1", "mismatch", H),
        ):
            conn.execute(
                insert(reconciliations).values(
                    store="default",
                    run_id=run_id,
                    entity_type="sales",
                    scope=scope,
                    measure="sales_total",
                    source_value=100,
                    db_value=95,
                    difference=5,
                    status=status,
                    details="backfill it" if status == "mismatch" else None,
                    checked_at=NOW - ago,
                )
            )
        for n, (status, opened, resolved) in enumerate(
            [("open", 5 * H, None), ("resolved", 2 * H, H)]
        ):
            conn.execute(
                insert(alert_incidents).values(
                    store="default",
                    rule="stale",
                    entity=f"e{n}",
                    status=status,
                    severity="critical",
                    title="t",
                    message="m",
                    since=NOW - opened,
                    opened_at=NOW - opened,
                    last_seen_at=NOW,
                    resolved_at=NOW - resolved if resolved else None,
                )
            )
        conn.execute(
            insert(sync_requests).values(
                store="default", entity_type="all", requested_at=NOW, status="queued"
            )
        )
        _sale(conn, 1, NOW - 4 * H - timedelta(minutes=30))
        _sale(conn, 2, NOW - 4 * H - timedelta(weeks=2, minutes=10))
        _sale(conn, 3, NOW - 4 * H + timedelta(minutes=1))  # after the run started


def test_every_backend_reads_the_same_snapshot(every_store):
    _fill(every_store.engine)
    snap = every_store.read_snapshot(NOW, day_start=NOW - 4 * H - timedelta(minutes=30))
    assert snap.read_at == NOW
    products = snap.state("products")
    assert products and products.status == "failed" and products.error_type == "AUTH"
    assert (products.cursor_version, products.records_total) == (42, 9)
    assert products.last_sync_time == NOW - 10 * H
    sales = snap.runs_of("sales")
    assert [r.status for r in sales] == ["running", "success", "success", "failed"]
    assert sales[1].duration_ms == 2000 and sales[1].records_upserted == 7
    assert sales[1].started_at == NOW - 4 * H and sales[3].error_type == "API"
    assert snap.runs_of("outlets") == ()
    assert snap.streaks["products"] == Streak(2, NOW - 3 * H)
    assert snap.streaks["sales"] == Streak(0, None)
    assert snap.streaks["outlets"] == Streak(0, None)
    day = {(g.entity_type, g.status, g.error_type): g for g in snap.day}
    assert set(day) == {
        ("sales", "failed", "API"),
        ("sales", "success", None),
        ("sales", "running", None),
        ("products", "success", None),
        ("products", "failed", "AUTH"),
    }
    ok = day[("sales", "success", None)]
    assert (ok.runs, ok.duration_ms, ok.timed_runs, ok.records_today) == (2, 3000, 2, 7)
    assert day[("sales", "running", None)].timed_runs == 0
    assert day[("products", "failed", "AUTH")].runs == 2
    assert [b.last_beat_at for b in snap.beats] == [NOW - timedelta(seconds=5), NOW - 2 * H]
    assert snap.beat and snap.beat.state == "idle" and snap.beat.next_run_at == NOW + H
    assert [(c.run_id, c.status, c.details) for c in snap.reconciliation] == [
        ("r2", "mismatch", "backfill it")
    ]
    assert [c.run_id for c in snap.sales_reconciliation] == ["r2"]
    assert float(snap.reconciliation[0].difference) == 5
    assert snap.open_incidents == {"critical": 1}
    assert snap.resolved_30d == 1 and snap.incident_seconds_30d == pytest.approx(3600)
    assert snap.queue_depth == 1
    assert ("products", "failed", 2) in snap.run_totals
    assert snap.baselines == {"customers": (500,), "sales": (1000,)}
    assert snap.sales_hours == SalesHours(NOW - 4 * H, (1, 0, 1, 0, 0))


def test_the_status_report_is_the_same_on_every_backend(every_store):
    _fill(every_store.engine)
    report = status_report(every_store, NOW, make_settings("sqlite://", "http://127.0.0.1:9"))
    products = next(e for e in report.entities if e.entity == "products")
    assert products.colour.value == "red" and products.cursor_version == 42
    detail = report.health.entity_detail("products")
    assert detail and detail["consecutive_failures"] == 2
    assert report.health.reconciliation and report.health.reconciliation["run_id"] == "r2"
    assert report.scheduler == "alive"


def test_long_streaks_and_rare_actions_read_the_same_everywhere(every_store):
    """Beyond the latest 50 runs: a streak counted over the whole log, and the baseline of a
    nightly full pass found behind 70 incremental runs."""
    with every_store.engine.begin() as conn:
        _run(conn, "products", "success", 200 * H)
        for n in range(60):
            _run(conn, "products", "failed", (100 - n) * H, error_type="API")
        for n, ms in enumerate((4000, 5000, 6000)):
            _run(conn, "sales", "success", (300 - 24 * n) * H, ms=ms, action="full")
        for n in range(70):
            _run(conn, "sales", "success", (200 - n) * H, ms=100)
        _run(conn, "sales", "success", H, ms=7000, action="full")
    snap = every_store.read_snapshot(NOW)
    assert snap.streaks["products"] == Streak(60, NOW - 100 * H)
    assert snap.baselines["sales"] == (6000, 5000, 4000)
    assert snap.sales_hours is not None and snap.sales_hours.end == NOW - H


def test_the_rest_backend_reads_the_snapshot_in_one_request(every_store):
    if every_store.sql is not None:
        pytest.skip("the SQL stores read the snapshot in one connection")
    _fill(every_store.engine)
    before = every_store.api_calls
    every_store.read_snapshot(NOW)
    assert every_store.api_calls - before == 1


def test_the_snapshot_carries_the_store_zone_from_its_outlets(every_store):
    with every_store.engine.begin() as conn:
        conn.execute(
            insert(ENTITY_TABLES["outlets"]).values(
                store="default",
                id="o1",
                version=1,
                time_zone="Pacific/Auckland",
                raw={"id": "o1"},
                synced_at=NOW,
            )
        )
    assert every_store.read_snapshot(NOW).zone == "Pacific/Auckland"
    assert every_store.read_snapshot(NOW, "Europe/Paris").zone == "Europe/Paris"
