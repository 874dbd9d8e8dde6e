"""`python -m sync demo [--stores N]`: simulator + SQLite + scheduler (+ dashboard, health API),
all local; with --stores, N simulated stores in one database (sync/cli/demo_stores.py).

Runs until Ctrl-C, then stops every part it started.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
from pathlib import Path
from types import FrameType

from sync.cli import demo_stores
from sync.config import Settings
from sync.logs import setup_logging
from sync.runs import NEVER, RunStatus, utcnow
from sync.service.fleet import StoreFleet
from sync.service.scheduler import SchedulerService
from sync.storage.sql.api_keys import create_key
from sync.storage.sql.db import Engine, create_db_engine, migrate
from sync.storage.sql.store import Store
from sync.storage.status_report import status_report
from sync.storage.stores import configured_store

DEMO_DIR = Path(".demo")
DEMO_TOKEN = "demo-token"  # noqa: S105 - accepted only by the local simulator
DEMO_APP, DEMO_APP_SECRET = "demo-app", "demo-app-secret"  # the simulator's OAuth app
CREDENTIALS = DEMO_DIR / "dashboard.env"
DEMO_ENV = DEMO_DIR / ".env"  # the running demo's settings, for the CLI (`--env-file`)
DASHBOARD_PORT = int(os.environ.get("DEMO_DASHBOARD_PORT", "8501"))
API_PORT = int(os.environ.get("DEMO_API_PORT", "8502"))


def demo_settings(settings: Settings, api_url: str, *, app: bool = False) -> Settings:
    """The user's settings pointed at the demo database and the local simulator."""
    return dataclasses.replace(
        settings,
        database_url=f"sqlite:///{DEMO_DIR / 'lightspeed.db'}",
        dashboard_database_url=None,
        lightspeed_base_url=api_url,
        lightspeed_token=None if app else DEMO_TOKEN,
        lightspeed_client_id=DEMO_APP if app else None,
        lightspeed_client_secret=DEMO_APP_SECRET if app else None,
        lightspeed_authorize_url=api_url.removesuffix("/api/2.0") + "/connect",
        lightspeed_redirect_uri=None,
        lightspeed_refresh_token=None,
        lightspeed_token_url=None,
        log_dir=DEMO_DIR / "logs",
        sync_interval_minutes=5,
        store_name="Demo store (simulator)",
    )


def write_demo_env(settings: Settings, credentials: dict[str, str]) -> Path:
    """.demo/.env: what the CLI needs to reach the running demo (owner-only, rewritten on
    every start: the simulator's port changes)."""
    values = {
        "DATABASE_URL": settings.database_url,
        "LIGHTSPEED_BASE_URL": settings.lightspeed_base_url or "",
        "LIGHTSPEED_DOMAIN_PREFIX": settings.lightspeed_domain_prefix or "",
        "LIGHTSPEED_TOKEN": settings.lightspeed_token or "",
        "LIGHTSPEED_CLIENT_ID": settings.lightspeed_client_id or "",
        "LIGHTSPEED_CLIENT_SECRET": settings.lightspeed_client_secret or "",
        "SYNC_INTERVAL_MINUTES": str(settings.sync_interval_minutes),
        "LOG_DIR": str(settings.log_dir),
        "STORE_NAME": settings.display_name,
        **credentials,
    }
    # Single quotes: neither python-dotenv nor `set -a; . .demo/.env` expands the $ of a
    # bcrypt hash inside them.
    lines = [f"{key}='{value}'" for key, value in values.items() if value]
    DEMO_ENV.touch(mode=0o600, exist_ok=True)
    DEMO_ENV.chmod(0o600)
    DEMO_ENV.write_text(
        "# Written by `python -m sync demo` for the CLI: "
        "python -m sync status --env-file .demo/.env\n" + "\n".join(lines) + "\n"
    )
    return DEMO_ENV


def connect_demo_app(settings: Settings) -> int:
    """`connect` against the simulator: open its authorize page (it approves at once)."""
    from sync.cli.connect_command import cmd_connect

    print(
        "Connecting as an app: open the URL below in a browser on this machine "
        "(or `curl -sL '<URL>'`); the simulator approves at once and sends it back."
    )
    options = argparse.Namespace(port=0, print_url=False, no_browser=False, timeout=300.0)
    return cmd_connect(settings, options)


def demo_credentials() -> tuple[dict[str, str], str | None]:
    """Dashboard login for the demo: created once into a git-ignored file.

    Returns the variables and, only when just created, the password to print.
    """
    import bcrypt
    from dotenv import dotenv_values, set_key

    if CREDENTIALS.is_file():
        values = {k: v for k, v in dotenv_values(CREDENTIALS).items() if v}
        if {"DASHBOARD_PASSWORD_HASH", "DASHBOARD_COOKIE_KEY"} <= set(values):
            return values, None
    password = secrets.token_urlsafe(12)
    values = {
        "DASHBOARD_PASSWORD_HASH": bcrypt.hashpw(password.encode(), bcrypt.gensalt()).decode(),
        "DASHBOARD_COOKIE_KEY": secrets.token_urlsafe(32),
    }
    CREDENTIALS.touch(mode=0o600, exist_ok=True)
    for key, value in values.items():
        set_key(str(CREDENTIALS), key, value)
    return values, password


def start_dashboard(settings: Settings, credentials: dict[str, str]) -> subprocess.Popen | None:
    """`streamlit run streamlit_app.py` against the demo database, if the app is present."""
    app = Path("streamlit_app.py")
    streamlit = shutil.which("streamlit", path=str(Path(sys.executable).parent)) or shutil.which(
        "streamlit"
    )
    if not app.is_file() or streamlit is None:
        print("Dashboard: not available in this checkout (streamlit_app.py or streamlit missing).")
        return None
    env = {
        **os.environ,
        **credentials,
        "DATABASE_URL": settings.database_url,
        "DASHBOARD_DATABASE_URL": settings.database_url,
        "STORE_NAME": settings.display_name,
        "LOG_DIR": str(settings.log_dir),
    }
    log_file = (settings.log_dir / "dashboard.log").open("ab")
    return subprocess.Popen(
        [
            streamlit,
            "run",
            str(app),
            "--server.port",
            str(DASHBOARD_PORT),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )


def start_api(settings: Settings, engine: Engine) -> tuple[subprocess.Popen, str]:
    """`python -m sync api` on 127.0.0.1:API_PORT over the demo database, and a read key."""
    _, key = create_key(engine, f"demo-{utcnow():%Y%m%d-%H%M%S}", admin=False, now=utcnow())
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "DASHBOARD_DATABASE_URL": settings.database_url,
        "API_DATABASE_URL": settings.database_url,
        "STORE_NAME": settings.display_name,
        "LOG_DIR": str(settings.log_dir),
    }
    log_file = (settings.log_dir / "api.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "sync", "api", "--host", "127.0.0.1", "--port", str(API_PORT)],
        env=env,
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    return process, key


def _stop(process: subprocess.Popen | None) -> None:
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


def run_demo(settings: Settings, args: argparse.Namespace) -> int:
    """Start everything, print how to log in, serve until Ctrl-C."""
    from sync.simulator import SimulatorConfig, SimulatorServer

    scale = os.environ.get("DEMO_SCALE", "small")
    app = bool(getattr(args, "app", False))
    count = int(getattr(args, "stores", None) or 1)
    try:
        stores = demo_stores.demo_stores(count) if count != 1 else []
    except ValueError as exc:
        print(f"{exc}.", file=sys.stderr)
        return 2
    if stores and app:
        print(
            "The demo connects several stores with personal tokens only: drop --app, or "
            "run `make demo-app` for one store connected as an app.",
            file=sys.stderr,
        )
        return 2
    DEMO_DIR.mkdir(exist_ok=True)
    (DEMO_DIR / "logs").mkdir(exist_ok=True)
    # As an app: access tokens that live 2 minutes, so the refreshes show in the log.
    oauth = {"oauth_client_id": DEMO_APP, "oauth_client_secret": DEMO_APP_SECRET} if app else {}
    # The demo store has sold up to this minute and keeps selling on the real clock, so
    # estimates, History and the charts look like a live store's.
    config = SimulatorConfig(
        seed=42,
        scale=scale,
        anchor=f"{utcnow():%Y-%m-%dT%H:%M:%SZ}",
        wall_clock=True,
        token=demo_stores.STORE_TOKEN if stores else DEMO_TOKEN,
        live_interval=10.0,
        oauth_token_seconds=120.0,
        **oauth,
    )
    prefixes = [prefix for prefix, _ in stores] or None
    with SimulatorServer(config, stores=prefixes) as sim:
        demo = demo_settings(settings, sim.api_url, app=app)
        if stores:
            demo = dataclasses.replace(
                demo_stores.first_store_settings(demo, stores),
                database_url=f"sqlite:///{demo_stores.database_path(DEMO_DIR, count)}",
            )
        engine = create_db_engine(demo.database_url)
        migrate(engine, configured_store(demo))
        demo_stores.add_other_stores(engine, stores)
        store = Store(engine, prefix=demo.store_prefix)
        store.ensure_state_rows()
        if app and connect_demo_app(demo) != 0:
            return 1
        setup_logging(demo.log_dir, demo.secrets)  # the scheduler's lines go to .demo/logs
        credentials, new_password = demo_credentials()
        env_file = write_demo_env(demo, credentials)
        dashboard = start_dashboard(demo, credentials)
        api, api_key = start_api(demo, engine)
        what = f"{len(stores)} {scale} stores ({', '.join(n for _, n in stores)})"
        print(
            "Simulator (development stand-in, not Lightspeed): "
            f"{sim.api_url} — {what if stores else scale + ' store'},"
        )
        print("  new sales and stock changes every 10 s.")
        print(f"Database: {demo.database_url}   Logs: {demo.log_dir}/")
        if dashboard is not None:
            print(f"Dashboard: http://127.0.0.1:{DASHBOARD_PORT}  user: {demo.dashboard_username}")
            if new_password:
                print(f"  password: {new_password}   (shown once; its hash is in {CREDENTIALS})")
            else:
                print(
                    f"  password: the one printed when {CREDENTIALS} was created "
                    "(delete that file for a new one)"
                )
        print(f"Health API: http://127.0.0.1:{API_PORT}/openapi.json  (a read key was just made)")
        print(
            f"  curl -s -H 'Authorization: Bearer {api_key}' "
            f"http://127.0.0.1:{API_PORT}/api/sync-health/summary"
        )
        print(
            f"CLI against this demo: python -m sync status --env-file {env_file}   "
            f"(or: set -a; . {env_file}; set +a)"
        )
        if stores:
            print(
                f"Stores: {', '.join(prefixes or [])} (each its own data, rate limit and token); "
                "the dashboard's Stores page shows them side by side, the API takes ?store=."
            )
        print("Scheduler: a sync now, then every 5 minutes. Ctrl-C stops everything.\n")
        stop = threading.Event()
        if stores:  # one scheduler thread per store, as `scheduler` runs them
            service: SchedulerService | StoreFleet = StoreFleet(demo, store, stop=stop)
        else:
            service = SchedulerService(demo, store, stop=stop)

        def handle(_signum: int, _frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGINT, handle)
        signal.signal(signal.SIGTERM, handle)
        printer = threading.Thread(
            target=_print_status_after_first_sync,
            args=(demo, [Store(engine, prefix=p) for p in prefixes or [demo.store_prefix]], stop),
            daemon=True,
        )
        printer.start()
        try:
            code = service.run_forever()
        finally:
            _stop(dashboard)
            _stop(api)
        print("Demo stopped.")
        return code


def _print_status_after_first_sync(
    settings: Settings, stores: list[Store], stop: threading.Event
) -> None:
    while not stop.wait(1.0):
        reports = [status_report(store, utcnow(), settings) for store in stores]
        entities = [e for report in reports for e in report.entities]
        if all(e.status not in (NEVER, RunStatus.RUNNING) for e in entities):
            for store, report in zip(stores, reports, strict=True):
                of = f" of {store.prefix}" if len(stores) > 1 else ""
                print(f"\nFirst sync{of} done. Overall: {report.overall.value}")
                for e in report.entities:
                    print(
                        f"  {e.entity:<16} {e.colour.value:<7} {e.records_total:>9,} rows  "
                        f"{e.status}"
                    )
            print(
                "\nWith your own store: fill in .env (README, 'Use it with your store'), then run "
                "`python -m sync check` first: it says what is missing or wrong, line by line.\n"
            )
            return
