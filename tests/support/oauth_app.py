"""An OAuth-mode simulator and the settings/environment of an install connected to it as an app."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sync.config import Settings, load_settings
from sync.lightspeed.oauth import TokenEndpoint, TokenSet, authorize_url
from sync.runs import utcnow
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.tokens import SqlTokenStore
from tests.conftest import SIM_TOKEN
from tests.support.processes import REPO

CLIENT_ID = "sync-test-app"
CLIENT_SECRET = "app-secret-7f3a9c1e5b"


def oauth_simulator() -> Iterator[Any]:
    """A tiny simulator whose app access tokens live one second (answers take 0.1 s)."""
    from sync.simulator import SimulatorConfig, SimulatorServer

    config = SimulatorConfig(
        seed=7,
        scale="tiny",
        token=SIM_TOKEN,
        oauth_client_id=CLIENT_ID,
        oauth_client_secret=CLIENT_SECRET,
        oauth_token_seconds=1.0,
        timeout_rate=1.0,  # every answer is delayed by timeout_delay: runs outlive tokens
        timeout_delay=0.1,
    )
    with SimulatorServer(config) as sim:
        yield sim


def app_env(db_url: str, sim: Any, log_dir: Path | None = None, **extra: str) -> dict[str, str]:
    """Settings of an install that reaches `sim` as an app (no LIGHTSPEED_TOKEN)."""
    env = {
        "DATABASE_URL": db_url,
        "LIGHTSPEED_BASE_URL": sim.api_url,
        "LIGHTSPEED_CLIENT_ID": CLIENT_ID,
        "LIGHTSPEED_CLIENT_SECRET": CLIENT_SECRET,
        "LIGHTSPEED_AUTHORIZE_URL": f"{sim.url}/connect",
        "LIGHTSPEED_TIMEOUT_SECONDS": "5",
        "SYNC_PAGE_SIZE": "20",  # many pages: the one-second tokens expire during a run
        **extra,
    }
    if log_dir is not None:
        env["LOG_DIR"] = str(log_dir)
    return env


def child_env(env: dict[str, str]) -> dict[str, str]:
    """`env` for a `python -m sync` child (no LIGHTSPEED_TOKEN inherited)."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LIGHTSPEED_")}
    return {**base, "PYTHONPATH": str(REPO), **env}


def app_settings(db_url: str, sim: Any, **extra: str) -> Settings:
    """Settings for in-process runs."""
    return load_settings(app_env(db_url, sim, **extra), env_file=None)


def connect_directly(db_url: str, sim: Any, settings: Settings | None = None) -> SqlTokenStore:
    """Migrate and store tokens as `connect` would (authorize + exchange through the simulator)."""
    engine = create_db_engine(db_url)
    migrate(engine)
    settings = settings or app_settings(db_url, sim)
    tokens = _exchange(settings, sim)
    store = SqlTokenStore(engine, store="default")
    store.connect(tokens, utcnow())
    return store


def _exchange(settings: Settings, sim: Any) -> TokenSet:
    import requests

    redirect = "http://127.0.0.1:9/callback"
    answer = requests.get(
        authorize_url(settings, redirect, state="test"), allow_redirects=False, timeout=5
    )
    code = answer.headers["Location"].split("code=")[1].split("&")[0]
    return TokenEndpoint(settings).exchange_code(code, redirect)


def secrets_seen(sim: Any) -> list[str]:
    """Every token and code the simulator handed out, and the client secret."""
    return [*sim.oauth.issued, CLIENT_SECRET]
