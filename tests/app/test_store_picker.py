"""Several stores in the dashboard: the sidebar's picker, `?store=`, and the Stores page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert, update

from sync import dashboard
from sync.storage.schema import lightspeed_stores
from sync.storage.sql.store import Store
from tests.app.conftest import add_run, heartbeat, log_in, set_state, texts

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def pinned(monkeypatch):
    monkeypatch.setattr(dashboard.runtime, "clock", lambda: NOW)
    return NOW


@pytest.fixture
def beta(app_db: Store) -> Store:
    """A second store beside the first ('default', Harbour Street Store): Beta Ltd, whose
    sales never synced; each store with runs of its own."""
    with app_db.engine.begin() as conn:  # as `store add` records it, after the first
        conn.execute(
            insert(lightspeed_stores).values(
                prefix="beta", name="Beta Ltd", connection="token", added_at=datetime.now(UTC)
            )
        )
    other = Store(app_db.engine, prefix="beta")
    other.ensure_state_rows()
    for store, records in ((app_db, 60), (other, 7)):
        for entity in ("customers", "outlets", "products", "sales", "sale_line_items", "inventory"):
            if store is other and entity == "sales":
                continue
            set_state(
                store,
                entity,
                status="success",
                last_sync_time=NOW - timedelta(minutes=5),
                records_total=50,
            )
        add_run(store, "customers", "success", NOW - timedelta(minutes=5), records_upserted=records)
    heartbeat(app_db, NOW - timedelta(seconds=20), next_run_at=NOW + timedelta(minutes=40))
    return other


def records_today(at) -> str:
    return next(m.value for m in at.metric if m.label == "Records synced today")


def test_one_store_shows_no_picker_and_no_stores_page(app_db, framed_app, pinned):
    at = log_in(framed_app().run())
    assert not at.exception
    assert not [s for s in at.sidebar.selectbox if s.label == "Store"]
    assert not [c for c in at.main.caption if c.value.startswith("Store:")]
    assert "store" not in at.query_params


def test_the_picker_switches_every_page_to_the_store_picked(app_db, beta, framed_app, pinned):
    at = log_in(framed_app().run())
    assert not at.exception
    assert records_today(at) == "60"
    assert at.sidebar.subheader[0].value == "Harbour Street Store"
    [picker] = [s for s in at.sidebar.selectbox if s.label == "Store"]
    assert picker.options == ["All stores", "default", "Beta Ltd (beta)"]
    assert picker.value == "default"

    picker.set_value("beta").run()
    assert not at.exception
    assert records_today(at) == "7"
    assert at.query_params["store"] == "beta"
    assert at.sidebar.subheader[0].value == "Beta Ltd"
    assert "Store: **Beta Ltd** (beta)" in [c.value for c in at.main.caption]
    assert "Sales" in texts(at) and "never" in texts(at).lower()

    at.switch_page("pages/history.py").run()  # another page keeps the store
    assert not at.exception
    assert at.query_params["store"] == "beta"
    assert next(s for s in at.sidebar.selectbox if s.label == "Store").value == "beta"


def test_a_link_with_a_store_opens_that_store(app_db, beta, framed_app, pinned):
    at = framed_app()
    at.query_params["store"] = "beta"
    at = log_in(at.run())
    assert records_today(at) == "7"
    at.query_params["store"] = "gamma"  # a store the database does not hold: the picked one
    at.run()
    assert records_today(at) == "7"


def test_the_stores_page_names_the_store_that_holds_up_the_numbers(
    app_db, beta, framed_app, pinned
):
    at = log_in(framed_app().run())
    at.switch_page("pages/stores.py").run()
    assert not at.exception
    [table] = at.dataframe
    rows = table.value
    assert list(rows["Name"]) == ["default", "Beta Ltd"]
    assert list(rows["Fit for reports"]) == ["yes", "no"]
    assert list(rows["Store"]) == ["/?store=default", "/?store=beta"]
    [banner] = at.error
    assert "CRITICAL" in banner.value and "Beta Ltd" in banner.value

    with app_db.engine.begin() as conn:
        conn.execute(
            update(lightspeed_stores)
            .where(lightspeed_stores.c.prefix == "beta")
            .values(enabled=False)
        )
    dashboard.clear_caches()
    at.run()
    assert list(at.dataframe[0].value["Verdict"])[1] == "disabled"
    assert not at.error


def test_all_stores_in_the_picker_opens_the_stores_page_and_a_store_there_leaves_it(
    app_db, beta, framed_app, pinned
):
    at = log_in(framed_app().run())
    [picker] = [s for s in at.sidebar.selectbox if s.label == "Store"]
    picker.set_value("").run()  # "All stores"
    assert not at.exception
    assert [t.value for t in at.main.title] == ["Stores"]
    assert at.sidebar.subheader[0].value == "All stores"
    [picker] = [s for s in at.sidebar.selectbox if s.label == "Store"]
    assert picker.value == ""  # the picker says what the page shows
    assert "store" not in at.query_params

    picker.set_value("beta").run()  # a store picked on the Stores page: its Status page
    assert not at.exception
    assert records_today(at) == "7"
    assert at.query_params["store"] == "beta"
    assert at.sidebar.subheader[0].value == "Beta Ltd"
