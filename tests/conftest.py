"""Shared fixtures: throwaway databases (SQLite and Postgres), the simulator, settings."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import psycopg
import pytest

from sync.config import Settings, load_settings
from sync.db import create_db_engine, migrate
from sync.store import Store

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
SIM_TOKEN = "sim-token-0123456789"


def _postgres_available() -> str | None:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return str(exc).strip().splitlines()[0]


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The admin URL of the local Postgres; skips (or fails with REQUIRE_POSTGRES=1)."""
    problem = _postgres_available()
    if problem:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"Postgres is required (REQUIRE_POSTGRES=1) but unreachable: {problem}")
        pytest.skip(f"Postgres unreachable: {problem}")
    return PG_ADMIN


def create_pg_database(admin_url: str) -> tuple[str, Callable[[], None]]:
    """Create a throwaway database; returns its SQLAlchemy URL and a drop function."""
    name = f"lsync_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}", drop


@pytest.fixture
def pg_url(postgres_server: str) -> Iterator[str]:
    url, drop = create_pg_database(postgres_server)
    yield url
    drop()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'copy.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    """Each test using this runs once on SQLite and once on Postgres."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    engine = create_db_engine(db_url)
    migrate(engine)
    store = Store(engine)
    store.ensure_state_rows()
    yield store
    engine.dispose()


@pytest.fixture
def simulator() -> Iterator[Any]:
    """A tiny-scale simulator on a free port."""
    from sync.simulator import SimulatorConfig, SimulatorServer

    with SimulatorServer(SimulatorConfig(seed=7, scale="tiny", token=SIM_TOKEN)) as sim:
        yield sim


def make_settings(db_url: str, api_url: str, **extra: str) -> Settings:
    env = {
        "DATABASE_URL": db_url,
        "LIGHTSPEED_BASE_URL": api_url,
        "LIGHTSPEED_TOKEN": SIM_TOKEN,
        "LIGHTSPEED_TIMEOUT_SECONDS": "5",
        **extra,
    }
    return load_settings(env, env_file=None)


@pytest.fixture
def settings_for() -> Callable[..., Settings]:
    return make_settings


@pytest.fixture
def smtp() -> Iterator[Any]:
    """A real SMTP server (aiosmtpd) on a free loopback port."""
    from tests.support.receivers import SmtpReceiver

    with SmtpReceiver() as receiver:
        yield receiver


@pytest.fixture
def webhook() -> Iterator[Any]:
    """A real HTTP server on loopback that records JSON POSTs."""
    from tests.support.receivers import WebhookReceiver

    with WebhookReceiver() as receiver:
        yield receiver
