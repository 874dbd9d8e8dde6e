"""A reconciliation queued like a sync (the Data trust button) is run by the scheduler."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sync.errors import SyncError
from sync.runs import utcnow
from sync.storage.schema import reconciliations, sync_requests
from tests.support.processes import wait_for
from tests.support.scheduler import FAST, scheduler_thread


@pytest.fixture
def db_url(every_db_url):
    return every_db_url


@pytest.fixture
def store(every_store):
    return every_store


@pytest.fixture
def service(store, simulator, settings_for, db_url):
    """An in-process scheduler on a thread; stopped at the end of the test."""
    settings = settings_for(db_url, simulator.api_url, **FAST, SYNC_ON_START="false")
    with scheduler_thread(settings, store) as service:
        yield service


def request_rows(store) -> list:
    with store.engine.connect() as conn:
        return conn.execute(select(sync_requests).order_by(sync_requests.c.id)).all()


def test_it_runs_a_queued_reconciliation_and_merges_a_second_ask(service, store):
    first = store.request_sync(
        "all", requested_by="cfo", reason=None, now=utcnow(), action="reconcile"
    )
    again = store.request_sync(
        "all", requested_by="cfo", reason=None, now=utcnow(), action="reconcile"
    )
    assert again.id == first.id
    wait_for(
        lambda: [r.status for r in request_rows(store)] in (["done"], ["failed"]),
        60,
        "the reconciliation request to finish",
    )
    (request,) = request_rows(store)
    assert request.action == "reconcile"
    with store.engine.connect() as conn:
        checks = conn.execute(select(reconciliations.c.status)).scalars().all()
    if store.sql is None:
        # Over the REST API reconciling is off: the request fails with one sentence.
        assert request.status == "failed" and "DATABASE_URL" in request.error
        assert checks == []
        return
    assert request.status == "done" and request.error is None
    assert checks and set(checks) <= {"matched", "mismatch"}


@pytest.mark.parametrize(
    ("entity", "dates"),
    [("sales", None), ("all", ("2026-12-01", "2026-12-02"))],
)
def test_it_refuses_a_reconciliation_of_one_entity_or_with_dates(store, entity, dates):
    from datetime import date

    span = (
        {"date_from": date.fromisoformat(dates[0]), "date_to": date.fromisoformat(dates[1])}
        if dates
        else {}
    )
    with pytest.raises(SyncError, match="whole store"):
        store.request_sync(
            entity, requested_by="cfo", reason=None, now=utcnow(), action="reconcile", **span
        )
