"""The scheduler re-checks what a request asks for, runs one backfill at a time, and keeps
its schedule however long the queue is."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from sync.runs import utcnow
from sync.service.scheduler import SchedulerService
from sync.storage.schema import sync_requests


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
    assert len(ticks) == 1, "the due job ran before the queued request"
    assert [r.status for r in rows(store)] == ["done", "queued"]
