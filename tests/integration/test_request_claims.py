"""The scheduler re-checks what a request asks for, runs one backfill at a time, puts a
run-now before scheduled work, and keeps its schedule however long the queue is."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from sync.runs import utcnow
from sync.service.plan import JobSpec
from sync.service.scheduler import SchedulerService
from sync.storage.schema import sync_log, sync_requests


def rows(store) -> list:
    with store.engine.connect() as conn:
        return conn.execute(select(sync_requests).order_by(sync_requests.c.id)).all()


def test_a_request_refused_at_claim_time_ends_failed_with_the_reason(
    sqlite_url, settings_for, simulator
):
    from sync.storage.sql.db import create_db_engine, migrate
    from sync.storage.sql.store import Store

    engine = create_db_engine(sqlite_url)
    migrate(engine)
    store = Store(engine)
    # SQLite has no roles: whoever opens the file could write this row.
    with engine.begin() as conn:
        conn.execute(
            insert(sync_requests).values(
                store="default",
                entity_type="sales",
                requested_at=utcnow(),
                action="backfill",
                date_from=date(2015, 1, 1),
                date_to=date(2024, 12, 31),
            )
        )
    service = SchedulerService(settings_for(sqlite_url, simulator.api_url), store)
    assert service.process_request()
    (request,) = rows(store)
    assert request.status == "failed" and request.run_id is None
    assert "at most 90 days" in request.error
    engine.dispose()


def test_only_one_backfill_runs_at_a_time(every_store):
    store = every_store
    today = utcnow().date()
    store.request_sync(
        "sales", requested_by="cfo", reason=None, now=utcnow(), action="backfill",
        date_from=today - timedelta(days=9), date_to=today,
    )  # fmt: skip
    first = store.claim_request("scheduler-a", utcnow())
    assert first is not None and first.action == "backfill"
    store.request_sync(
        "products", requested_by="cfo", reason=None, now=utcnow(), action="backfill",
        date_from=today - timedelta(days=9), date_to=today,
    )  # fmt: skip
    assert store.claim_request("scheduler-b", utcnow()) is None
    store.request_sync("customers", requested_by="cfo", reason=None, now=utcnow())
    other = store.claim_request("scheduler-b", utcnow())
    assert other is not None and other.entity == "customers"
    store.finish_requests(first.ids, run_id=None, failed=False, error=None, now=utcnow())
    nxt = store.claim_request("scheduler-b", utcnow())
    assert nxt is not None and nxt.entity == "products" and nxt.action == "backfill"


def test_a_second_open_backfill_of_one_entity_is_refused_with_a_sentence(every_store):
    from sync.errors import SyncError

    today = utcnow().date()
    ask = dict(requested_by="cfo", reason=None, action="backfill", date_to=today)
    every_store.request_sync("sales", now=utcnow(), date_from=today - timedelta(days=9), **ask)
    with pytest.raises(SyncError, match="already queued or running"):
        every_store.request_sync("sales", now=utcnow(), date_from=today, **ask)


def test_scheduled_syncs_keep_their_rhythm_between_requests(store, settings_for, db_url, simulator):
    service = SchedulerService(settings_for(db_url, simulator.api_url), store)
    ticks: list[datetime] = []
    job = service.jobs.every(1).hours.do(lambda: ticks.append(utcnow())).tag("tick")
    for entity in ("outlets", "customers"):
        store.request_sync(entity, requested_by="cfo", reason=None, now=utcnow())
    job.next_run = datetime.now() - timedelta(seconds=1)  # schedule keeps naive local times
    assert service.step()
    assert len(ticks) == 1, "the due job ran in the same step as the first request"
    assert [r.status for r in rows(store)] == ["done", "queued"]


def runs(store) -> list[tuple[str, str, str]]:
    """(entity, action, trigger) of every sync_log row, in the order the runs started."""
    with store.engine.connect() as conn:
        found = conn.execute(
            select(sync_log.c.entity_type, sync_log.c.action, sync_log.c.trigger).order_by(
                sync_log.c.id
            )
        ).all()
    return [tuple(row) for row in found]


def test_a_run_now_is_claimed_before_an_older_backfill(every_store):
    today = utcnow().date()
    every_store.request_sync(
        "sales", requested_by="cfo", reason=None, now=utcnow(), action="backfill",
        date_from=today - timedelta(days=3), date_to=today,
    )  # fmt: skip
    every_store.request_sync("outlets", requested_by="cfo", reason=None, now=utcnow())
    first = every_store.claim_request("scheduler-a", utcnow())
    assert first is not None and (first.entity, first.action) == ("outlets", "incremental")
    only_sales = every_store.claim_request(
        "scheduler-a", utcnow(), action="incremental", entities=["sales"]
    )
    assert only_sales is None, "the backfill is not a run-now"
    nxt = every_store.claim_request("scheduler-a", utcnow())
    assert nxt is not None and (nxt.entity, nxt.action) == ("sales", "backfill")


def test_a_run_now_goes_before_a_due_scheduled_sync_of_its_entity(
    store, settings_for, db_url, simulator
):
    service = SchedulerService(settings_for(db_url, simulator.api_url), store)
    job = JobSpec("incremental: outlets, customers", ("outlets", "customers"), minutes=60)
    scheduled = service.jobs.every(1).hours.do(service.run_job, job).tag(job.name)
    store.request_sync("outlets", requested_by="cfo", reason="till count", now=utcnow())
    scheduled.next_run = datetime.now() - timedelta(seconds=1)
    assert service.step()
    # The run-now went first; the scheduled job then left out the entity it just synced.
    assert runs(store) == [
        ("outlets", "incremental", "manual"),
        ("customers", "incremental", "schedule"),
    ]
    assert [r.status for r in rows(store)] == ["done"]


def test_a_scheduled_run_never_starts_while_a_run_now_of_its_entity_is_queued(
    store, settings_for, db_url, simulator
):
    service = SchedulerService(settings_for(db_url, simulator.api_url), store)
    store.request_sync("all", requested_by="cfo", reason=None, now=utcnow())
    merged = store.request_sync("products", requested_by="cfo", reason=None, now=utcnow())
    assert merged.merged, "a queued 'all' covers a run-now of one entity"
    # A full pass still runs after the run-now (it re-reads what an incremental cannot).
    service.run_job(JobSpec("nightly full: outlets", ("outlets",), full=True, at="02:00"))
    started = runs(store)
    manual = [r for r in started if r[2] == "manual"]
    assert {r[0] for r in manual} >= {"outlets", "products", "sales"}
    assert started[len(manual) :] == [("outlets", "full", "schedule")]
    assert [r.status for r in rows(store)] == ["done"]
    # An incremental job whose entities a run-now just synced does not run at all.
    store.request_sync("outlets", requested_by="cfo", reason=None, now=utcnow())
    before = len(runs(store))
    service.run_job(JobSpec("incremental: outlets", ("outlets",), minutes=60))
    assert runs(store)[before:] == [("outlets", "incremental", "manual")]
