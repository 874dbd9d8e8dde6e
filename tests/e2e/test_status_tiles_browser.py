"""The Status page at 1400 px in chromium: the health score and counts are shown, and no
headline tile cuts its label or value ("Success rate,…", "Neve…" before issue 15)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import LiveApp, log_in, running_app, settle, shoot

pytestmark = pytest.mark.e2e
DOCS_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "screenshot-status.png"

# Every element inside a metric's label or value that is narrower than its text: what
# Streamlit cuts with an ellipsis. Returns "label: text" for each.
CUT_TEXT = """() => {
  const cut = [];
  for (const metric of document.querySelectorAll('[data-testid="stMetric"]')) {
    for (const part of ['stMetricLabel', 'stMetricValue']) {
      const root = metric.querySelector(`[data-testid="${part}"]`);
      if (!root) continue;
      for (const el of [root, ...root.querySelectorAll('*')]) {
        if (el.scrollWidth > el.clientWidth + 1) {
          cut.push(`${part}: ${root.innerText.trim()}`);
          break;
        }
      }
    }
  }
  return cut;
}"""


@pytest.fixture(scope="module")
def healthy_app(tmp_path_factory) -> Iterator[LiveApp]:
    """A clean sync of every entity, a live scheduler (first heartbeat seen), the dashboard."""
    work = tmp_path_factory.mktemp("e2e-health")
    with running_app(work, ready=_beats, HEARTBEAT_SECONDS="5") as app:
        yield app


def _beats(engine) -> bool:
    from sqlalchemy import func, select

    from sync.storage.schema import scheduler_heartbeat

    with engine.connect() as conn:
        return bool(conn.scalar(select(func.count()).select_from(scheduler_heartbeat)))


def test_at_1400_px_the_score_shows_and_no_tile_is_cut(healthy_app, browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(healthy_app.url)
        log_in(page)
        expect(page.get_by_role("heading", name="Status", exact=True)).to_be_visible()
        expect(page.get_by_text("HEALTHY", exact=False).first).to_be_visible()
        expect(page.get_by_text("Health score", exact=True)).to_be_visible()
        expect(page.get_by_text("Healthy · delayed · error")).to_be_visible()
        expect(page.get_by_text("6 · 0 · 0")).to_be_visible()
        expect(page.get_by_text("Reports are blocked")).to_have_count(0)
        settle(page)
        metrics = page.locator('[data-testid="stMetric"]')
        assert metrics.count() >= 9 + 6  # the headline tiles and one per entity tile
        assert page.evaluate(CUT_TEXT) == []
        path = shoot(page, "health-status-1400")
        if os.environ.get("UPDATE_DOCS_SCREENSHOT") == "1":
            shutil.copy(path, DOCS_SCREENSHOT)
    finally:
        context.close()


def test_the_cut_check_sees_a_cut_label(healthy_app, browser):
    # The check above must be able to fail: at 700 px six tiles in a row would be cut.
    context = browser.new_context(viewport={"width": 700, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        page.goto(healthy_app.url)
        log_in(page)  # a new context: no login cookie
        expect(page.get_by_text("Health score", exact=True)).to_be_visible()
        settle(page)
        page.add_style_tag(content='[data-testid="stMetric"] {width: 60px !important;}')
        page.wait_for_timeout(300)
        assert page.evaluate(CUT_TEXT)
    finally:
        context.close()
