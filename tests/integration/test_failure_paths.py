"""Failure paths found in review: each test failed on the code before its fix."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, select

from sync.engine.reconcile import Reconciler
from sync.engine.runner import Runner
from sync.errors import SyncError
from sync.runs import utcnow
from sync.service.scheduler import SchedulerService
from sync.storage.schema import reconciliations, sync_log, sync_requests
from tests.support.processes import wait_for
from tests.support.scripted_server import Reply, ScriptedServer

SCHEDULER_FAST = {
    "SCHEDULER_POLL_SECONDS": "0.2",
    "SYNC_ON_START": "false",
    "NIGHTLY_FULL_TIME": "off",
    "SYNC_INTERVAL_MINUTES": "600",
    "HEARTBEAT_SECONDS": "1",
}
REFUSE_RUN_ID_PG = """
CREATE FUNCTION test_refuse_run_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'running' AND NEW.run_id IS NOT NULL THEN
        RAISE EXCEPTION 'refused by a test trigger';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER test_refuse_run_id BEFORE UPDATE ON sync_requests
FOR EACH ROW EXECUTE FUNCTION test_refuse_run_id();
"""
REFUSE_RUN_ID_SQLITE = """
CREATE TRIGGER test_refuse_run_id BEFORE UPDATE ON sync_requests
WHEN NEW.status = 'running' AND NEW.run_id IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END
"""


@pytest.fixture
def db_url(every_db_url):
    """Every test here runs on SQLite, Postgres and the Supabase REST backend."""
    return every_db_url


@pytest.fixture
def store(every_store):
    return every_store


def refuse_marking_requests(engine: Engine) -> None:
    """The database refuses to attach a run to a running request (and only that)."""
    script = REFUSE_RUN_ID_PG if engine.dialect.name == "postgresql" else REFUSE_RUN_ID_SQLITE
    with engine.begin() as conn:
        conn.exec_driver_sql(script)


def request_rows(engine: Engine) -> list:
    with engine.connect() as conn:
        return conn.execute(select(sync_requests).order_by(sync_requests.c.id)).all()


def test_a_claim_whose_marking_fails_is_failed_and_sync_now_works_again(
    store, simulator, settings_for, db_url
):
    settings = settings_for(db_url, simulator.api_url, SYNC_ON_START="false")
    first = store.request_sync("products", requested_by="cfo", reason="test", now=utcnow())
    refuse_marking_requests(store.engine)
    service = SchedulerService(settings, store)
    with pytest.raises(SyncError):
        service.process_request()
    [row] = request_rows(store.engine)
    assert row.id == first.id and row.status == "failed"
    assert row.error and "scheduler" in row.error.lower()
    again = store.request_sync("products", requested_by="cfo", reason="retry", now=utcnow())
    assert not again.merged, "a new Sync now must not merge into a dead request"


def test_after_sigterm_no_further_entity_takes_its_lease_or_calls_the_api(
    store, simulator, settings_for, db_url
):
    settings = settings_for(db_url, simulator.api_url, SYNC_PAGE_SIZE="10")
    stop = threading.Event()
    runner = Runner(settings, store, stop=stop, on_page=lambda *_: stop.set())
    simulator.reset_stats()
    results = runner.run(entities=["customers", "products", "sales"])
    with store.engine.connect() as conn:
        logged = conn.execute(select(sync_log.c.entity_type, sync_log.c.status)).all()
    assert [(e, s) for e, s in logged] == [("customers", "interrupted")]
    assert set(simulator.stats()["by_path"]) == {"/customers"}
    assert [r.entity for r in results] == ["customers"]


def test_the_prefetch_does_not_outlive_its_entity(store, simulator, settings_for, db_url):
    settings = settings_for(db_url, simulator.api_url, SYNC_PAGE_SIZE="10")
    stop = threading.Event()
    pages = []

    def on_page(*_: object) -> None:
        pages.append(1)
        if len(pages) == 1:  # the next prefetch will be slow
            simulator.set_faults(timeout_rate=1.0, timeout_delay=1.5)
        else:
            stop.set()

    Runner(settings, store, stop=stop, on_page=on_page).run(entities=["customers"])
    simulator.set_faults(timeout_rate=0.0)
    alive = [t.name for t in threading.enumerate() if "prefetch" in t.name or "(_run)" in t.name]
    assert alive == []


def test_a_failing_search_keeps_the_counts_already_measured(store, simulator, settings_for, db_url):
    if store.sql is None:
        pytest.skip("reconciliation needs SQL")
    settings = settings_for(db_url, simulator.api_url, LIGHTSPEED_MAX_RETRIES="1")
    simulator.set_faults(down_paths=["/search"])
    report = Reconciler(settings, store).run(datetime(2025, 11, 24, tzinfo=UTC).date())
    assert report.errors and "search" in report.errors[0].lower()
    assert {c.measure for c in report.checks} == {"records"}
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(reconciliations).where(reconciliations.c.run_id == report.run_id)
        ).all()
    assert sorted(r.status for r in rows).count("matched") == len(report.checks) >= 4
    assert [r.measure for r in rows if r.status == "error"] == ["error"]


def test_a_backfill_meeting_a_sale_whose_id_is_an_object_ends_and_frees_its_request(
    store, settings_for, db_url
):
    if store.sql is None:
        pytest.skip("backfills need SQL")
    bad = {"id": {"value": "s1"}, "version": 5, "sale_date": "2025-11-24T10:00:00+00:00"}
    replies = [Reply(body={"data": [bad]}), Reply(body={"data": []})]
    with ScriptedServer(replies).running() as lightspeed:
        settings = settings_for(db_url, lightspeed.url, **SCHEDULER_FAST)
        store.request_sync(
            "sales",
            requested_by="cfo",
            reason="t",
            now=utcnow(),
            action="backfill",
            date_from=date(2025, 11, 24),
            date_to=date(2025, 11, 24),
        )
        service = SchedulerService(settings, store)
        thread = threading.Thread(target=service.run_forever, daemon=True)
        thread.start()
        try:
            wait_for(
                lambda: [r.status for r in request_rows(store.engine)] in (["done"], ["failed"]),
                20,
                "the backfill request to end",
            )
        finally:
            service.stop.set()
            thread.join(timeout=15)
    with store.engine.connect() as conn:
        runs = conn.execute(select(sync_log.c.action, sync_log.c.status)).all()
    assert ("backfill", "partial") in [tuple(r) for r in runs]
    assert "running" not in [r.status for r in runs]
