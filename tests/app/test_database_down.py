"""A database that is down, empty or misconfigured gives a friendly panel, never a traceback."""

from __future__ import annotations

import pytest

from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store
from tests.app.conftest import log_in, texts

PAGES = ("pages/status.py", "pages/history.py", "pages/sync_now.py")


def app_db_url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def test_an_unreachable_database_shows_what_failed_and_what_to_check(
    app_db, framed_app, monkeypatch
):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", "postgresql://dash:pw-s3cret@127.0.0.1:1/copy")
    # The login throttle lives in the database: no password is checked while it is down.
    at = log_in(framed_app().run())
    assert at.session_state["authentication_status"] is not True
    shown = texts(at) + "\n".join(t.value for t in at.text)
    assert "The sync database cannot be read right now." in shown
    assert "pw-s3cret" not in shown and not at.exception
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", app_db_url(app_db))
    at = log_in(framed_app().run())
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", "postgresql://dash:pw-s3cret@127.0.0.1:1/copy")
    for page in PAGES:
        at.switch_page(page).run()
        assert not at.exception, page
        shown = texts(at) + "\n".join(t.value for t in at.text)
        assert "The sync database cannot be read right now." in shown, page
        assert "DASHBOARD_DATABASE_URL" in shown and "127.0.0.1:1" in shown, page
        assert "pw-s3cret" not in shown and "Traceback" not in shown, page
        assert "checks again every 10 seconds" in shown, page


def test_an_unmigrated_database_says_to_migrate_and_recovers_by_itself(
    app_db, framed_app, monkeypatch, tmp_path
):
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    at = log_in(framed_app().run())
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", empty)
    at.run()
    assert not at.exception
    assert "The database has no sync tables yet." in texts(at)
    assert "python -m sync migrate" in texts(at)
    engine = create_db_engine(empty)
    migrate(engine)
    Store(engine).ensure_state_rows()
    engine.dispose()
    at.run()  # what the page's own retry does every 10 s
    assert not at.exception
    assert "The database has no sync tables yet." not in texts(at)
    assert len([m for m in at.metric if m.label == "Last success"]) == 6


@pytest.mark.parametrize("url", ["mysql://root@db/copy", "postgresql://[bad"])
def test_a_malformed_database_url_gets_one_sentence(app_db, framed_app, monkeypatch, url):
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", url)
    at = framed_app().run()
    if at.text_input:  # the URL looks fine until it is used: after login
        log_in(at)
    assert not at.exception
    problems = [e.value for e in at.error]
    assert len(problems) == 1 and "DASHBOARD_DATABASE_URL" in texts(at), problems
