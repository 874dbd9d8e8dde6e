"""Sync now: requests are inserted as the logged-in user, merged, followed live."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from sync import dashboard
from sync.storage.schema import sync_requests
from sync.storage.sql.queue import SqlQueue, request_sync
from tests.app.conftest import add_run, heartbeat, open_sync_now, requests, texts


def test_a_click_queues_a_request_as_the_logged_in_user(app_db, framed_app):
    at = open_sync_now(framed_app)
    assert "No scheduler is running" in texts(at)
    at.text_input(key="sync-reason").input("month-end close")
    at.button(key="sync-all").click().run()
    assert not at.exception
    [row] = requests(app_db)
    assert (row["entity_type"], row["requested_by"], row["reason"], row["status"]) == (
        "all",
        "cfo",
        "month-end close",
        "queued",
    )
    assert at.text_input(key="sync-reason").value == ""  # the reason went with the request
    at.run()
    # A queued "all" covers every entity: no second click anywhere while it waits.
    assert all(at.button(key=f"sync-{e}").disabled for e in dashboard.REQUESTABLE)
    assert f"Request #{row['id']} (sync everything) is queued" in texts(at)
    assert "this request waits until one starts" in texts(at)
    assert list(at.dataframe[-1].value["Status"]) == [["queued"]]


def test_one_entity_button_is_off_while_its_request_is_open(app_db, framed_app):
    now = datetime.now(UTC)
    request_sync(
        app_db.engine, app_db.prefix, "sales", requested_by="someone", reason=None, now=now
    )
    at = open_sync_now(framed_app)
    assert at.button(key="sync-sales").disabled
    assert not at.button(key="sync-products").disabled
    at.button(key="sync-products").click().run()
    assert sorted(r["entity_type"] for r in requests(app_db)) == ["products", "sales"]


def test_it_shows_live_progress_then_the_result(app_db, framed_app):
    now = datetime.now(UTC)
    heartbeat(app_db, now, state="syncing")
    queued = request_sync(
        app_db.engine, app_db.prefix, "sales", requested_by="cfo", reason=None, now=now
    )
    with app_db.engine.begin() as conn:
        conn.execute(
            update(sync_requests)
            .where(sync_requests.c.id == queued.id)
            .values(status="running", started_at=now - timedelta(seconds=12))
        )
    SqlQueue(app_db.engine, prefix=app_db.prefix).set_request_run([queued.id], "run-77")
    for entity in ("sales", "sale_line_items"):
        add_run(app_db, entity, "running", now - timedelta(seconds=12), run_id="run-77", pages=4)
    at = open_sync_now(framed_app)
    assert "No scheduler is running" not in texts(at)
    progress = at.dataframe[0].value
    assert list(progress["Entity"]) == ["Sales", "Sale line items"]
    assert list(progress["Pages"]) == [4, 4] and list(progress["Status"]) == [["running"]] * 2
    assert progress["Elapsed (s)"].min() >= 12

    with app_db.engine.begin() as conn:
        conn.execute(
            update(sync_requests)
            .where(sync_requests.c.id == queued.id)
            .values(status="done", finished_at=now)
        )
    at.run()
    assert f"Request #{queued.id} done at" in at.get("status")[0].proto.label
    assert not at.button(key="sync-sales").disabled


def test_a_queued_backfill_does_not_block_a_plain_sync(app_db, framed_app):
    from datetime import date

    request_sync(
        app_db.engine,
        app_db.prefix,
        "sales",
        requested_by="admin",
        reason=None,
        now=datetime.now(UTC),
        action="backfill",
        date_from=date(2025, 1, 1),
        date_to=date(2025, 3, 31),
    )
    at = open_sync_now(framed_app)
    assert not at.button(key="sync-sales").disabled
    assert list(at.dataframe[-1].value["Action"]) == ["backfill 2025-01-01 → 2025-03-31"]


def test_the_databases_cap_on_requests_is_one_sentence(app_db, framed_app):
    for _ in range(30):
        request_sync(
            app_db.engine,
            app_db.prefix,
            "sales",
            requested_by="cfo",
            reason=None,
            now=datetime.now(UTC),
        )
        with app_db.engine.begin() as conn:
            conn.execute(update(sync_requests).values(status="done"))
    at = open_sync_now(framed_app)
    at.button(key="sync-all").click().run()
    assert not at.exception
    assert len(requests(app_db)) == 30
    assert at.warning[-1].value.startswith("Too many run-now requests by one requester")
    assert "cannot be read" not in texts(at)
