"""The dashboard in a browser while its Postgres goes away and comes back: a friendly
panel (no traceback), then the tiles again without anyone reloading the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store
from tests.conftest import create_pg_database
from tests.e2e.conftest import dashboard_env, log_in, settle, shoot, start_dashboard
from tests.support.processes import stop_process
from tests.support.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


def test_a_database_outage_shows_a_panel_and_the_page_recovers_by_itself(
    postgres_server, browser, tmp_path
):
    url, drop = create_pg_database(postgres_server)
    engine = create_db_engine(url)
    migrate(engine)
    Store(engine).ensure_state_rows()
    engine.dispose()
    proxy = TcpProxy(5432).start()
    through_proxy = url.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    app, app_url = start_dashboard(dashboard_env(through_proxy), tmp_path / "streamlit.log")
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    page = context.new_page()
    try:
        page.goto(app_url)
        log_in(page)
        expect(page.locator('[class*="st-key-tile-"]')).to_have_count(6)
        settle(page)  # the page idles (no run in flight) when the database goes away

        proxy.stop()  # the database disappears
        page.get_by_role("button", name="Refresh").click()
        expect(page.get_by_text("The sync database cannot be read right now.")).to_be_visible()
        expect(page.get_by_text("checks again every 10 seconds")).to_be_visible()
        expect(page.get_by_text("Traceback")).to_have_count(0)
        expect(page.locator('[class*="st-key-tile-"]')).to_have_count(0)
        shoot(page, "08-database-down")

        proxy = TcpProxy(5432, listen_port=proxy.port).start()  # ...and comes back
        expect(page.locator('[class*="st-key-tile-"]')).to_have_count(6, timeout=40_000)
        expect(page.get_by_text("The sync database cannot be read right now.")).to_have_count(0)
    except BaseException:
        shoot(page, "08-database-outage-failed")
        raise
    finally:
        context.close()
        stop_process(app)
        proxy.stop()
        drop()
