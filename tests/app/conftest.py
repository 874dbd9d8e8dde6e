"""AppTest harness: a migrated SQLite store, dashboard env vars, and the pages/ fix.

AppTest re-detects Streamlit's legacy "pages/ directory" mode before every run
(`PagesManager.uses_pages_directory`), and with a folder literally named `pages/` it then
runs only the page file after a switch_page, skipping the frame and its login gate. The
real server leaves that mode for good as soon as one run calls st.navigation, which our
frame always does. `framed_app` switches the mode off after each detection, so every
AppTest run goes through streamlit_app.py like the real server does.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import bcrypt
import pytest
import streamlit as st
from streamlit.components.v2 import manifest_scanner
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from sync import dashboard
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "streamlit_app.py")
PASSWORD = "correct horse battery"
# Cost 4 keeps each check fast; the app accepts any bcrypt cost.
PASSWORD_HASH = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode()
SUBMIT = "FormSubmitter:Login-Log in"


@pytest.fixture
def app_db(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sqlite_template: Path
) -> Iterator[Store]:
    """A migrated SQLite store, and the env vars the dashboard reads (no .env file)."""
    path = tmp_path / "dash.db"
    shutil.copy2(sqlite_template, path)  # migrated once per session (tests/conftest.py)
    url = f"sqlite:///{path}"
    engine = create_db_engine(url)
    migrate(engine)  # finds nothing to do: as the dashboard's own start-up check does
    store = Store(engine)
    store.ensure_state_rows()
    monkeypatch.chdir(tmp_path)  # load_settings() must not find a developer's .env
    for name, value in {
        "DATABASE_URL": url,
        "DASHBOARD_PASSWORD_HASH": PASSWORD_HASH,
        "DASHBOARD_COOKIE_KEY": "test-cookie-key-0123456789abcdefghijklmnop",
        "STORE_NAME": "Harbour Street Store",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DASHBOARD_DATABASE_URL", raising=False)
    monkeypatch.delenv("DASHBOARD_USERNAME", raising=False)
    yield store
    engine.dispose()


# Every new AppTest scans the installed packages for Streamlit components (≈ 150 ms: it
# reads the metadata of each distribution). They do not change during a session: scan once.
_scan_once = functools.cache(manifest_scanner.scan_component_manifests)


@pytest.fixture(autouse=True)
def one_component_scan(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifest_scanner, "scan_component_manifests", _scan_once)


@pytest.fixture(autouse=True)
def fresh_dashboard_state() -> Iterator[None]:
    """Caches are process-wide: start every test clean (login attempts live in app_db)."""
    st.cache_data.clear()
    saved, dashboard.login.LOGIN_SLEEP_SECONDS = dashboard.login.LOGIN_SLEEP_SECONDS, 0.0
    yield
    dashboard.login.LOGIN_SLEEP_SECONDS = saved
    st.cache_data.clear()


@pytest.fixture
def framed_app(monkeypatch: pytest.MonkeyPatch) -> Callable[[], AppTest]:
    """AppTest of streamlit_app.py with the legacy pages/ mode switched off on every run."""
    original = PagesManager.__init__

    def init(self: PagesManager, *args: object, **kwargs: object) -> None:
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)
    return lambda: AppTest.from_file(APP, default_timeout=30)


def log_in(at: AppTest, password: str = PASSWORD, username: str = "cfo") -> AppTest:
    """Submit the login form; on success run once more (the form run stops)."""
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button(key=SUBMIT).click().run()
    if at.session_state["authentication_status"] is True:
        at.run()
    return at


def texts(at: AppTest) -> str:
    """Everything written as markdown, captions, alerts and metrics, as one string."""
    parts = [e.value for e in (*at.markdown, *at.caption, *at.title, *at.subheader)]
    parts += [e.value for e in (*at.error, *at.warning, *at.info, *at.success)]
    parts += [f"{m.label}: {m.value}" for m in at.metric]
    return "\n".join(str(p) for p in parts)


# -- Rows written the way the runner and scheduler write them ------------------------------


def add_run(store: Store, entity: str, status: str, started_at, **values) -> None:
    """One sync_log row (finished unless status is 'running')."""
    from sqlalchemy import insert

    from sync.storage.schema import sync_log

    row = {
        "run_id": values.pop("run_id", f"run-{entity}-{started_at:%H%M%S%f}"),
        "entity_type": entity,
        "action": "incremental",
        "trigger": "schedule",
        "triggered_by": "scheduler",
        "status": status,
        "started_at": started_at,
        "records_upserted": 10,
        "api_calls": 2,
        "pages": 1,
    }
    if status != "running":
        row.update(finished_at=started_at, duration_ms=1500)
    row.update(values)
    with store.engine.begin() as conn:
        conn.execute(insert(sync_log).values(store=store.prefix, **row))


def set_state(store: Store, entity: str, **values) -> None:
    from sqlalchemy import update

    from sync.storage.schema import sync_state

    with store.engine.begin() as conn:
        mine = (sync_state.c.store == store.prefix, sync_state.c.entity_type == entity)
        conn.execute(update(sync_state).where(*mine).values(**values))


def heartbeat(store: Store, last_beat_at, state: str = "idle", next_run_at=None) -> None:
    from sqlalchemy import insert

    from sync.storage.schema import scheduler_heartbeat

    with store.engine.begin() as conn:
        conn.execute(
            insert(scheduler_heartbeat).values(
                instance_id="host:1:abc",
                host="host",
                pid=1,
                started_at=last_beat_at,
                last_beat_at=last_beat_at,
                next_run_at=next_run_at,
                activity={"state": state, "entity": None, "run_id": None, "jobs": []},
            )
        )


def open_sync_now(framed_app):
    """Log in and open the Sync now page."""
    at = log_in(framed_app().run())
    at.switch_page("pages/sync_now.py").run()
    assert not at.exception
    return at


def requests(store):
    """Every sync_requests row as a dict."""
    from sqlalchemy import select

    from sync.storage.schema import sync_requests

    with store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(sync_requests))]
