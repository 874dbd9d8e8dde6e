"""Dashboard queries on real SQLite and Postgres: facts after a real sync, history filters,
SQL aggregates in local days, the run-now queue, and the read-only role."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest
from sqlalchemy import insert, text

from sync.dashboard import queries as dq
from sync.days import fixed_offset, utc_offsets
from sync.engine.runner import Runner
from sync.errors import SyncError
from sync.health import Colour
from sync.storage.schema import sync_log
from sync.storage.sql.db import create_db_engine, database_errors, migrate
from sync.storage.sql.queue import SqlQueue, request_sync
from sync.storage.sql.reads import read_snapshot
from sync.storage.sql.store import Store
from sync.storage.status_report import thresholds_for
from tests.conftest import PG_ADMIN

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def _run(conn, entity, status, started_at, **values):
    row = {
        "run_id": values.pop("run_id", uuid.uuid4().hex),
        "entity_type": entity,
        "action": "incremental",
        "trigger": "schedule",
        "status": status,
        "started_at": started_at,
        "finished_at": started_at + timedelta(seconds=2),
        "duration_ms": 2000,
        "records_upserted": 5,
    }
    row.update(values)
    conn.execute(insert(sync_log).values(store="default", **row))


def test_facts_after_a_real_sync_are_all_green(store, simulator, settings_for):
    settings = settings_for(store.url, simulator.api_url)
    Runner(settings, store).run(trigger="schedule", triggered_by="scheduler")
    now = datetime.now(UTC)
    facts = dq.facts_of(
        read_snapshot(store.engine, store.prefix, now, now.replace(hour=0, minute=0))
    )
    limits = {e: thresholds_for(settings, e) for e in dq.ENTITY_LABELS}
    view = dq.build_overview(facts, now, limits, heartbeat_seconds=30)
    assert [t.facts.entity for t in view.tiles] == list(dq.ENTITY_LABELS)
    assert all(t.colour is Colour.GREEN for t in view.tiles)
    assert all(t.facts.records_total > 0 for t in view.tiles)
    assert all(t.facts.last_run["status"] == "success" for t in view.tiles)
    assert view.success_rate_24h == 1.0 and view.runs_24h == 6
    assert view.records_today == sum(t.facts.records_total for t in view.tiles)
    assert not view.scheduler.alive and view.scheduler.text == "never seen"


def test_failure_streaks_and_24h_statistics(store):
    with store.engine.begin() as conn:
        _run(conn, "products", "success", NOW - timedelta(hours=5))
        for hours in (3, 2, 1):
            _run(conn, "products", "failed", NOW - timedelta(hours=hours), error_type="API")
        _run(conn, "customers", "failed", NOW - timedelta(hours=2))
        _run(conn, "customers", "success", NOW - timedelta(hours=1), duration_ms=8000)
        _run(conn, "outlets", "success", NOW - timedelta(hours=30))  # outside 24 h
    facts = dq.facts_of(read_snapshot(store.engine, store.prefix, NOW, NOW - timedelta(hours=12)))
    view = dq.build_overview(facts, NOW, {}, heartbeat_seconds=30)
    assert view.consecutive_failures == 3 and view.failing_entity == "products"
    assert view.runs_24h == 6
    assert view.success_rate_24h == pytest.approx(2 / 6)
    assert view.avg_duration_s_24h == pytest.approx((5 * 2000 + 8000) / 6 / 1000)
    assert view.records_today == 6 * 5


def test_history_filters_in_sql(store):
    with store.engine.begin() as conn:
        for day in range(10):
            for entity in ("sales", "products"):
                status = "failed" if day % 3 == 0 else "success"
                _run(conn, entity, status, NOW - timedelta(days=day, minutes=30))
    week = dq.HistoryFilter(NOW - timedelta(days=7), NOW)
    assert len(dq.history_rows(store.engine, store.prefix, week)) == 14
    only_sales = dq.HistoryFilter(week.start, week.end, entities=("sales",))
    rows = dq.history_rows(store.engine, store.prefix, only_sales)
    assert set(rows["entity_type"]) == {"sales"} and len(rows) == 7
    assert rows["started_at"].is_monotonic_decreasing
    failed = dq.HistoryFilter(week.start, week.end, statuses=("failed",))
    assert set(dq.history_rows(store.engine, store.prefix, failed)["status"]) == {"failed"}
    assert len(dq.history_rows(store.engine, store.prefix, week, limit=3)) == 3


def test_runs_are_counted_per_local_day_and_hour(store):
    with store.engine.begin() as conn:
        _run(conn, "sales", "success", datetime(2026, 11, 22, 23, 30, tzinfo=UTC))
        _run(conn, "sales", "failed", datetime(2026, 11, 22, 21, 10, tzinfo=UTC), duration_ms=4000)
        _run(conn, "customers", "success", datetime(2026, 11, 22, 21, 40, tzinfo=UTC))
    flt = dq.HistoryFilter(datetime(2026, 11, 20, tzinfo=UTC), datetime(2026, 11, 25, tzinfo=UTC))
    utc = dq.runs_per_bucket(store.engine, store.prefix, flt, "day", fixed_offset(0))
    assert utc.groupby("bucket")["runs"].sum().to_dict() == {datetime(2026, 11, 22): 3}
    # Two hours east of UTC the 23:30 run belongs to the 23rd.
    east = dq.runs_per_bucket(store.engine, store.prefix, flt, "day", fixed_offset(120))
    by_day = east.groupby("bucket")["runs"].sum().to_dict()
    assert by_day == {datetime(2026, 11, 22): 2, datetime(2026, 11, 23): 1}
    hours = dq.runs_per_bucket(store.engine, store.prefix, flt, "hour", fixed_offset(0))
    assert hours.groupby("bucket")["runs"].sum().to_dict() == {
        datetime(2026, 11, 22, 21): 2,
        datetime(2026, 11, 22, 23): 1,
    }
    durations = dq.duration_per_bucket(store.engine, store.prefix, flt, "day", fixed_offset(0))
    sales = durations[durations["entity"] == "sales"].iloc[0]
    assert sales["avg_s"] == pytest.approx(3.0) and sales["max_s"] == pytest.approx(4.0)


def test_a_range_across_a_daylight_saving_change_buckets_each_run_on_its_own_clock(store):
    """Amsterdam is UTC+2 until 25 October 2026 01:00 UTC, then UTC+1: a run at 22:30 UTC
    on the 24th is 00:30 on the 25th locally; one at 23:30 UTC on the 25th is 00:30 on
    the 26th. Today's offset (+1) alone would put the first on the 24th."""
    amsterdam = ZoneInfo("Europe/Amsterdam")
    with store.engine.begin() as conn:
        _run(conn, "sales", "success", datetime(2026, 10, 24, 22, 30, tzinfo=UTC))
        _run(conn, "sales", "success", datetime(2026, 10, 25, 23, 30, tzinfo=UTC), duration_ms=2000)
        _run(conn, "sales", "success", datetime(2026, 10, 25, 0, 59, 59, tzinfo=UTC))
        _run(conn, "sales", "success", datetime(2026, 10, 25, 1, 0, 0, tzinfo=UTC))
    flt = dq.HistoryFilter(datetime(2026, 10, 20, tzinfo=UTC), datetime(2026, 10, 30, tzinfo=UTC))
    offsets = utc_offsets(amsterdam, flt.start, flt.end)
    assert offsets == ((None, 120), (datetime(2026, 10, 25, 1, tzinfo=UTC), 60))
    days = dq.runs_per_bucket(store.engine, store.prefix, flt, "day", offsets)
    assert days.groupby("bucket")["runs"].sum().to_dict() == {
        datetime(2026, 10, 25): 3,
        datetime(2026, 10, 26): 1,
    }
    # The hour repeated when the clocks go back: 02:59:59 CEST and 02:00:00 CET.
    hours = dq.runs_per_bucket(store.engine, store.prefix, flt, "hour", offsets)
    assert hours.groupby("bucket")["runs"].sum().to_dict() == {
        datetime(2026, 10, 25, 0): 1,
        datetime(2026, 10, 25, 2): 2,
        datetime(2026, 10, 26, 0): 1,
    }
    durations = dq.duration_per_bucket(store.engine, store.prefix, flt, "day", offsets)
    assert set(durations["bucket"]) == {datetime(2026, 10, 25), datetime(2026, 10, 26)}


def test_the_queue_lists_open_requests_first_and_follows_their_run(store):
    first = request_sync(
        store.engine, store.prefix, "sales", requested_by="cfo", reason="close", now=NOW
    )
    second = request_sync(
        store.engine, store.prefix, "sales", requested_by="cfo", reason=None, now=NOW
    )
    assert second.merged and second.id == first.id
    other = request_sync(
        store.engine, store.prefix, "all", requested_by="cfo", reason=None, now=NOW
    )
    queue = dq.recent_requests(store.engine, store.prefix)
    assert list(queue["id"]) == [first.id, other.id]
    assert dq.request_info(store.engine, store.prefix, first.id)["reason"] == "close"
    SqlQueue(store.engine, prefix=store.prefix).set_request_run([first.id], "run-42")
    with store.engine.begin() as conn:
        _run(conn, "sales", "running", NOW, run_id="run-42", finished_at=None, pages=3)
    progress = dq.run_progress(store.engine, store.prefix, "run-42")
    assert [(p["entity_type"], p["status"], p["pages"]) for p in progress] == [
        ("sales", "running", 3)
    ]


def test_a_database_that_is_down_raises_one_database_error():
    engine = create_db_engine("postgresql://dash:secret-pw@127.0.0.1:1/nowhere", readonly=True)
    with pytest.raises(SyncError) as caught:
        dq.ping(engine)
    assert caught.value.kind == "DATABASE"
    assert "secret-pw" not in str(caught.value)


@pytest.mark.postgres
def test_the_dashboard_reader_role_reads_everything_and_only_queues_requests(pg_url, request):
    owner = create_db_engine(pg_url)
    migrate(owner)
    Store(owner).ensure_state_rows()
    login = f"dash_{uuid.uuid4().hex[:10]}"
    with owner.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{login}" LOGIN IN ROLE dashboard_reader'))
        conn.execute(text("CREATE TABLE later_table (id int)"))  # not one of ours

    def drop_login() -> None:
        owner.dispose()
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{login}"')

    request.addfinalizer(drop_login)
    reader = create_db_engine(pg_url.replace("postgres@", f"{login}@"), readonly=True)
    try:
        assert len(dq.facts_of(read_snapshot(reader, "default", NOW, NOW)).entities) == 6
        dq.history_rows(reader, "default", dq.HistoryFilter(NOW - timedelta(days=7), NOW))
        assert request_sync(reader, "default", "all", requested_by="cfo", reason=None, now=NOW).id
        for statement in (
            "SELECT count(*) FROM later_table",  # SELECT is granted table by table
            "UPDATE sync_state SET status = 'failed'",
            "DELETE FROM sync_requests",
            "INSERT INTO sync_log (run_id, entity_type, action, trigger, status, started_at) "
            "VALUES ('r', 'sales', 'full', 'cli', 'success', now())",
        ):
            with pytest.raises(SyncError, match="permission denied"):
                with database_errors(), reader.begin() as conn:
                    conn.execute(text(statement))
    finally:
        reader.dispose()
