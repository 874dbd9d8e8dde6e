"""Behind a reverse proxy on the same host: Streamlit takes the browser's address from
X-Forwarded-For (it trusts the header from loopback), so wrong passwords from one browser
pause that browser's address, and another browser still logs in."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from sync.storage.schema import login_attempts
from sync.storage.sql.db import create_db_engine, migrate
from tests.e2e.conftest import dashboard_env, log_in, settle, start_dashboard
from tests.support.processes import stop_process

pytestmark = pytest.mark.e2e


def test_a_paused_address_does_not_pause_the_next_browser(browser, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'copy.db'}"
    engine = create_db_engine(db_url)
    migrate(engine)
    app, url = start_dashboard(dashboard_env(db_url), tmp_path / "streamlit.log")
    contexts = []
    try:
        # What nginx ($proxy_add_x_forwarded_for) or Caddy send on from two browsers.
        pages = []
        for address in ("203.0.113.66", "198.51.100.20"):
            context = browser.new_context(extra_http_headers={"X-Forwarded-For": address})
            contexts.append(context)
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(url)
            pages.append(page)
        attacker, cfo = pages
        for _ in range(6):
            log_in(attacker, "a wrong guess")
            settle(attacker)
        expect(attacker.get_by_text("Too many wrong passwords from this address")).to_be_visible()
        log_in(cfo)
        expect(cfo.get_by_text("Signed in as")).to_be_visible()
        with engine.connect() as conn:
            clients = set(conn.scalars(select(login_attempts.c.client)))
        assert clients == {"203.0.113.66", "198.51.100.20"}
    finally:
        for context in contexts:
            context.close()
        stop_process(app)
        engine.dispose()
