"""A real dashboard for the browser: `streamlit run` on a free port, a SQLite store filled
by the real runner from the simulator, a real scheduler process, and Debian's chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bcrypt
import pytest
from playwright.sync_api import expect
from sqlalchemy import Engine

from sync.config import Settings, load_settings
from sync.dashboard.login import COOKIE_NAME
from sync.engine.runner import Runner
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store
from tests.conftest import SIM_TOKEN
from tests.support.processes import REPO, start, stop_process, sync_env, wait_for

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).parent / "artifacts"
PASSWORD = "e2e correct horse"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


@dataclass
class LiveApp:
    url: str
    store: Store
    simulator: object


@contextlib.contextmanager
def running_app(
    work: Path,
    *,
    prepare: Callable[[Settings, Store, Any], None] | None = None,
    ready: Callable[[Engine], bool] | None = None,
    **extra_env: str,
) -> Iterator[LiveApp]:
    """A tiny store synced by the real runner, then `prepare`, a scheduler and the dashboard.

    `ready` is waited for (up to 60 s) before the app is handed out; the logs are copied to
    ARTIFACTS under `work`'s name.
    """
    from sync.simulator import SimulatorConfig, SimulatorServer

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    ARTIFACTS.mkdir(exist_ok=True)
    db_url = f"sqlite:///{work / 'copy.db'}"
    with SimulatorServer(SimulatorConfig(seed=7, scale="tiny", token=SIM_TOKEN)) as sim:
        env = {
            **sync_env(db_url, sim.api_url, work / "logs", SIM_TOKEN),
            **dashboard_env(
                db_url,
                SYNC_ON_START="false",
                NIGHTLY_FULL_TIME="off",
                SCHEDULER_POLL_SECONDS="1",
                **extra_env,
            ),
        }
        settings = load_settings(env, env_file=None)
        engine = create_db_engine(db_url)
        migrate(engine)
        store = Store(engine)
        store.ensure_state_rows()
        Runner(settings, store).run(trigger="schedule", triggered_by="scheduler")
        if prepare is not None:
            prepare(settings, store, sim)
        scheduler = start(["scheduler"], env, work, work / "scheduler.log")
        app, url = start_dashboard(env, work / "streamlit.log")
        try:
            if ready is not None:
                wait_for(lambda: ready(engine), 60, "the app to be ready")
            yield LiveApp(url, store, sim)
        finally:
            stop_process(app)
            stop_process(scheduler)
            engine.dispose()
            for log in ("streamlit.log", "scheduler.log"):
                shutil.copy(work / log, ARTIFACTS / f"{work.name}-{log}")


@pytest.fixture(scope="module")
def live_app(tmp_path_factory) -> Iterator[LiveApp]:
    """Data from a real sync (products then failing with a 404), a scheduler, the dashboard."""

    def products_fail(settings: Settings, store: Store, sim: Any) -> None:
        sim.set_faults(fail_next=[404])
        Runner(settings, store).run(["products"], trigger="schedule", triggered_by="scheduler")

    with running_app(tmp_path_factory.mktemp("e2e"), prepare=products_fail) as app:
        yield app


def dashboard_env(db_url: str, **extra: str) -> dict[str, str]:
    """What the dashboard process needs: the database, the login secrets, the store name."""
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": db_url,
        "DASHBOARD_DATABASE_URL": db_url,
        "DASHBOARD_PASSWORD_HASH": bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(4)).decode(),
        "DASHBOARD_COOKIE_KEY": "e2e-cookie-key-0123456789abcdefghijklmnop",
        "STORE_NAME": "Harbour Street Store",
        **extra,
    }


def start_dashboard(env: dict[str, str], log: Path) -> tuple[subprocess.Popen, str]:
    """`streamlit run streamlit_app.py` on a free loopback port; returns it and its URL."""
    port = free_port()
    app = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(REPO / "streamlit_app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
        ],
        cwd=REPO,  # .streamlit/config.toml (theme, no error details) is read from here
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _healthy(url) or app.poll() is not None, 60, "streamlit to start")
    except AssertionError:
        stop_process(app)
        raise
    if app.poll() is not None:
        raise AssertionError(f"streamlit exited: {log.read_text()[-2000:]}")
    return app, url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=30_000)  # a Streamlit run on a busy 2-core machine
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


def settle(page) -> None:
    """Wait until Streamlit has finished running the script (no 'Running...' widget)."""
    page.wait_for_timeout(300)
    page.locator('[data-testid="stStatusWidget"]').wait_for(state="detached", timeout=30_000)
    page.wait_for_timeout(500)


def shoot(page, name: str) -> Path:
    settle(page)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def open_page(page, name: str) -> None:
    """Click the sidebar's link to page `name` and wait for its heading.

    A click that lands while Streamlit is still rerunning (a login cookie's rerun, a
    refreshing fragment) can be overtaken by that rerun, as it would be for a person, who
    clicks again: so does this, at most three times in all.
    """
    heading = page.get_by_role("heading", name=name, exact=True)
    for attempt in range(3):
        settle(page)
        page.get_by_role("link", name=name).click()
        try:
            expect(heading).to_be_visible(timeout=10_000)
            return
        except AssertionError:
            if attempt == 2:
                raise


def log_in(page, password: str = PASSWORD) -> None:
    settle(page)  # typing into a form while the first runs are still drawing it can be lost
    page.get_by_role("textbox", name="Username").fill("cfo")
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    settle(page)  # the runs after a login (the page a link asked for opens) end first
    if page.get_by_role("button", name="Log out").count() or page.get_by_text("Signed in.").count():
        # The login cookie is written by a browser component whose answer reruns the page it
        # was drawn on; on a busy machine that run can come after settle() and take back a
        # page opened meanwhile (seen in CI: Status clicked, then History again).
        wait_for(lambda: _has_login_cookie(page), 30, "the login cookie")
        settle(page)


def _has_login_cookie(page) -> bool:
    return any(c["name"] == COOKIE_NAME for c in page.context.cookies())
