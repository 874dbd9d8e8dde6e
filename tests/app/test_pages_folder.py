"""Streamlit's legacy pages/ mode: reproduced under AppTest, fixed in the harness, and
harmless in the real app because every page insists on the frame's gate."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.app.conftest import log_in

FRAME = """
import streamlit as st
st.sidebar.write("frame ran")
st.navigation([st.Page("pages/home.py", default=True), st.Page("pages/other.py")]).run()
"""


def _toy_app(root: Path) -> str:
    (root / "pages").mkdir()
    (root / "pages" / "home.py").write_text("import streamlit as st\nst.write('home')\n")
    (root / "pages" / "other.py").write_text("import streamlit as st\nst.write('other')\n")
    (root / "app.py").write_text(FRAME)
    return str(root / "app.py")


def _frame_ran(at: AppTest) -> bool:
    return any(m.value == "frame ran" for m in at.sidebar.markdown)


def test_it_reproduces_apptest_skipping_the_frame_with_a_pages_folder(tmp_path):
    at = AppTest.from_file(_toy_app(tmp_path), default_timeout=20).run()
    assert _frame_ran(at)
    at.switch_page("pages/other.py").run()
    assert [m.value for m in at.markdown] == ["other"]
    assert not _frame_ran(at)  # the entry script (and any gate in it) did not run


def test_it_runs_the_frame_every_time_with_the_harness_fix(tmp_path, framed_app, monkeypatch):
    at = AppTest.from_file(_toy_app(tmp_path), default_timeout=20)
    framed_app()  # installs the fix for this test
    at.run()
    at.switch_page("pages/other.py").run()
    assert _frame_ran(at)
    assert [m.value for m in at.main.markdown] == ["other"]


def test_a_page_reached_without_the_frame_reruns_through_the_gate(app_db):
    # No harness fix: Streamlit runs pages/history.py on its own, and the page sends the run
    # back through streamlit_app.py, which shows the login form instead of the history.
    at = AppTest.from_file(str(Path(__file__).parents[2] / "streamlit_app.py"))
    at.default_timeout = 30
    at.run()
    at.switch_page("pages/history.py").run()
    assert not at.exception
    assert at.button(key="FormSubmitter:Login-Log in")
    assert not at.dataframe and not at.metric


def test_the_gate_runs_on_every_page(app_db, framed_app):
    at = framed_app().run()
    for page in ("pages/status.py", "pages/history.py", "pages/sync_now.py"):
        at.switch_page(page).run()
        assert not at.exception, page
        assert at.button(key="FormSubmitter:Login-Log in"), page
        assert not at.metric and not at.dataframe, page
        assert not [b for b in at.button if b.label.startswith("Sync")], page
    log_in(at)
    for page, marker in (
        ("pages/status.py", "Status"),
        ("pages/history.py", "History"),
        ("pages/sync_now.py", "Sync now"),
    ):
        at.switch_page(page).run()
        assert not at.exception, page
        assert marker in [t.value for t in at.title], page
        assert "Harbour Street Store" in [s.value for s in at.sidebar.subheader], page
