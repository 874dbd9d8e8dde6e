"""The dashboard in Debian's chromium, against a real `streamlit run`: the CFO's path.

The tests share one server and run in file order: the throttle test comes last because
it pauses logins for this user (in the database) for 15 minutes.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import ARTIFACTS, log_in, open_page, settle, shoot

pytestmark = pytest.mark.e2e
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-status.png"
TILES = ["Customers", "Outlets", "Products", "Sales", "Sale line items", "Inventory"]


@pytest.fixture(scope="module")
def session(live_app, browser):
    """One logged-in browser tab, shared by the tests of the CFO's path."""
    context = browser.new_context(viewport={"width": 1440, "height": 1500})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def test_a_page_url_opened_first_still_shows_the_login_form(live_app, session):
    # The server's very first request asks for a page directly: Streamlit's legacy pages/
    # mode must not run pages/history.py without the frame's login gate.
    session.goto(f"{live_app.url}/history")
    expect(session.get_by_role("button", name="Log in")).to_be_visible()
    settle(session)
    expect(session.get_by_role("heading", name="History", exact=True)).to_have_count(0)
    expect(session.locator('[data-testid="stDataFrame"]')).to_have_count(0)
    shoot(session, "01-login")


def test_login_shows_six_tiles_and_explains_the_failure(live_app, session):
    if session.url == "about:blank":  # run on its own (-k)
        session.goto(live_app.url)
    log_in(session)
    expect(session.get_by_role("button", name="Log out")).to_be_visible()
    open_page(session, "Status")
    settle(session)  # until the rerun ends, the previous run's tiles are still on the page
    # On a busy machine the stale tiles can outlast settle(): wait until one set is left.
    expect(session.locator('[class*="st-key-tile-"]')).to_have_count(6)
    for name in TILES:
        expect(session.get_by_role("heading", name=name, exact=True)).to_have_count(1)
        expect(session.get_by_role("heading", name=name, exact=True)).to_be_visible()
    expect(session.locator('[class*="st-key-tile-red-products"]')).to_have_count(1)
    expect(session.locator('[class*="st-key-tile-green-sales"]')).to_have_count(1)
    expect(session.get_by_text("CRITICAL", exact=False).first).to_be_visible()
    expect(session.get_by_text("Lightspeed has no /products at").first).to_be_visible()
    expect(session.get_by_text("What to do: Check LIGHTSPEED_DOMAIN_PREFIX")).to_be_visible()
    # Text from the API is text: the URL in the message is not turned into a link.
    expect(session.locator('[class*="st-key-tile-"] a[href^="http://127.0.0.1"]')).to_have_count(0)
    expect(session.get_by_text("Harbour Street Store")).to_be_visible()
    expect(session.get_by_text("The scheduler is not running")).to_have_count(0)
    path = shoot(session, "02-status")
    if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
        shutil.copy(path, DOCS_SCREENSHOT)


def test_the_login_cookie_survives_a_reload(live_app, session):
    session.reload()
    expect(session.get_by_role("heading", name="Status", exact=True)).to_be_visible()
    expect(session.get_by_role("button", name="Log in")).to_have_count(0)


def test_history_filters_by_entity(live_app, session):
    open_page(session, "History")
    settle(session)
    session.locator('[data-testid="stMultiSelect"]').first.click()
    session.get_by_role("option", name="Products").click()
    session.keyboard.press("Escape")
    settle(session)
    # Until the rerun ends, the unfiltered table's stale copy may still be on the page.
    expect(session.get_by_text("Runs in range")).to_have_count(1)
    expect(session.get_by_text("Runs in range")).to_be_visible()
    metric = session.locator('[data-testid="stMetric"]').first
    expect(metric).to_contain_text("2")  # one good, one failed products run
    expect(session.get_by_text("Error details")).to_be_visible()
    expect(session.get_by_role("button", name="Download CSV")).to_be_visible()
    shoot(session, "03-history")


def test_sync_now_queues_a_request_and_follows_it_to_the_end(live_app, session):
    open_page(session, "Sync now")
    settle(session)
    session.get_by_role("textbox", name="Reason (optional)").fill("browser test")
    session.get_by_role("button", name="Sync everything").click()
    expect(session.get_by_text("Request #1").first).to_be_visible()
    shoot(session, "04-sync-now-queued")
    # .first: while the fragment hands over to the page's full redraw, Streamlit may show
    # the finished box twice for a moment (the stale copy fades out).
    expect(session.get_by_text("Request #1 done at").first).to_be_visible(timeout=60_000)
    expect(session.get_by_role("button", name="Sync everything")).to_be_enabled()
    shoot(session, "05-sync-now-done")
    open_page(session, "Status")
    settle(session)
    session.get_by_role("button", name="Refresh").click()
    expect(session.locator('[class*="st-key-tile-green-products"]')).to_have_count(1)


def test_alerts_page_lists_incidents_and_history(live_app, session):
    open_page(session, "Alerts")
    settle(session)
    expect(session.get_by_role("heading", name="Open incidents", exact=False)).to_be_visible()
    expect(session.get_by_role("heading", name="Incident history")).to_be_visible()
    expect(session.get_by_role("heading", name="Notifications sent")).to_be_visible()
    shoot(session, "06-alerts")


def test_logout_clears_the_session_and_the_cookie(live_app, session):
    session.get_by_role("button", name="Log out").click()
    expect(session.get_by_role("button", name="Log in")).to_be_visible()
    session.reload()
    expect(session.get_by_role("button", name="Log in")).to_be_visible()
    settle(session)
    expect(session.locator('[class*="st-key-tile-"]')).to_have_count(0)
    shoot(session, "06-logged-out")


def test_wrong_passwords_are_throttled(live_app, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(live_app.url)
    for attempt in range(5):
        log_in(page, password=f"wrong password {attempt}")
        settle(page)
    expect(page.get_by_text("Too many wrong passwords")).to_be_visible()
    log_in(page)  # the right password is refused during the pause
    settle(page)
    expect(page.get_by_text("Too many wrong passwords")).to_be_visible()
    expect(page.get_by_role("heading", name="Status", exact=True)).to_have_count(0)
    shoot(page, "07-throttled")
    context.close()
    assert (ARTIFACTS / "07-throttled.png").stat().st_size > 0
