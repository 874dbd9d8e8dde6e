"""In chromium: page links survive a reload and a login, the phone's sidebar folds away after a
link, no label is cut at 1400 px, and History's Status column is on screen at 390 px."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, settle, shoot

pytestmark = pytest.mark.e2e
PAGES = {"/": "Status", "/history": "History", "/sync_now": "Sync now", "/alerts": "Alerts"}
# Text Streamlit cut with an ellipsis: its box is narrower than its words.
CUT_LABELS = """() => [...document.querySelectorAll('[data-testid="stMain"] *')]
  .filter(e => getComputedStyle(e).textOverflow === 'ellipsis' && e.scrollWidth > e.clientWidth + 1)
  .map(e => e.textContent.trim())"""


def sign_in(page) -> None:
    """Log in once the form is drawn; again if a rerun swallowed the first attempt."""
    expect(page.get_by_role("button", name="Log in")).to_be_visible()
    settle(page)
    log_in(page)
    out = page.get_by_role("button", name="Log out")
    try:
        expect(out).to_be_attached(timeout=15_000)
    except AssertionError:
        log_in(page)
        expect(out).to_be_attached()


def heading(page, name: str):
    return page.get_by_role("heading", name=name, exact=True)


@pytest.fixture
def wide(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


@pytest.fixture
def phone(browser):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def test_a_history_link_with_filters_survives_the_login_and_a_reload(live_app, wide):
    link = f"{live_app.url}/history?from=2026-11-20&to=2026-11-22&status=failed"
    wide.goto(link)
    sign_in(wide)
    expect(heading(wide, "History")).to_be_visible()
    settle(wide)
    assert "/history?" in wide.url and "from=2026-11-20" in wide.url and "status=failed" in wide.url
    wide.reload()
    expect(heading(wide, "History")).to_be_visible()
    settle(wide)
    assert "/history?" in wide.url and "to=2026-11-22" in wide.url
    dates = wide.locator('[data-testid="stDateInput"] input').first.input_value()
    assert dates.startswith("2026-11-20") or dates.startswith("2026/11/20"), dates
    for path, name in PAGES.items():  # every page opens by its own address
        wide.goto(live_app.url + path)
        expect(heading(wide, name)).to_be_visible()
        assert urlsplit(wide.url).path == path


def test_no_label_is_cut_at_1400_px(live_app, wide):
    wide.goto(live_app.url)
    sign_in(wide)
    for path, name in PAGES.items():
        wide.goto(live_app.url + path)
        expect(heading(wide, name)).to_be_visible()
        settle(wide)
        assert wide.evaluate(CUT_LABELS) == [], path


def test_on_a_phone_the_sidebar_folds_away_after_a_link(live_app, phone):
    phone.goto(live_app.url)
    sign_in(phone)
    expect(heading(phone, "Status")).to_be_visible()
    sidebar = phone.locator('[data-testid="stSidebar"]')
    phone.locator('[data-testid="stExpandSidebarButton"]').click()
    expect(phone.get_by_role("link", name="History")).to_be_in_viewport()
    phone.get_by_role("link", name="History").click()
    expect(heading(phone, "History")).to_be_visible()
    settle(phone)
    box = sidebar.bounding_box()
    assert box is None or box["x"] + box["width"] <= 0, box
    shoot(phone, "phone-history")


def test_on_a_phone_history_shows_the_status_column(live_app, phone):
    phone.goto(f"{live_app.url}/history")
    sign_in(phone)
    expect(heading(phone, "History")).to_be_visible()
    settle(phone)
    # The grid draws only the columns on screen; its accessible headers say which.
    cells = phone.locator('[data-testid="stDataFrame"] [role="columnheader"]')
    expect(cells.first).to_be_attached()
    headers = cells.all_inner_texts()
    assert headers[:2] == [headers[0], "Status"] and headers[0].startswith("Started")


def test_on_a_phone_status_shows_the_verdict_and_entities_before_the_numbers(live_app, phone):
    phone.goto(live_app.url)
    sign_in(phone)
    expect(heading(phone, "Entities")).to_be_visible()
    settle(phone)
    entities = heading(phone, "Entities").bounding_box()
    numbers = heading(phone, "Numbers").bounding_box()
    assert entities and numbers and entities["y"] < 844 < numbers["y"]
    tiles = phone.locator('[class*="st-key-tile-"]')
    first, second = tiles.nth(0).bounding_box(), tiles.nth(1).bounding_box()
    assert first and second and abs(first["y"] - second["y"]) < 2  # two tiles to a row
