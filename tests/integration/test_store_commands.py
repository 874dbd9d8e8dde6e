"""`python -m sync store ...`: stores as data (issue 27 §1), on SQLite and Postgres.

A store is added with its personal token read from stdin and checked against its API first;
the token lives in lightspeed_store_tokens, never in output or logs; disable, enable and
remove (with --purge: every row of that store, and no other store's row, in one transaction).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from sync.config import load_settings
from sync.engine.connection import store_settings
from sync.engine.runner import Runner
from sync.storage.backend import open_store
from sync.storage.schema import sync_log
from sync.storage.sql.db import create_db_engine
from sync.storage.sql.store_admin import find_store, store_tables, store_token
from tests.support.cli import run_cli

FIRST, OTHERS = "acme", ("beta", "gamma")


@pytest.fixture
def sim() -> Iterator[Any]:
    from sync.simulator import SimulatorConfig, SimulatorServer

    config = SimulatorConfig(seed=5, scale="tiny", token="dev-token-{prefix}")
    with SimulatorServer(config, stores=[FIRST, *OTHERS]) as server:
        yield server


@pytest.fixture
def env(db_url: str, sim: Any, tmp_path: Path) -> dict[str, str]:
    values = {
        "DATABASE_URL": db_url,
        "LIGHTSPEED_BASE_URL": sim.api_url,
        "LIGHTSPEED_DOMAIN_PREFIX": FIRST,
        "LIGHTSPEED_TOKEN": f"dev-token-{FIRST}",
        "LIGHTSPEED_TIMEOUT_SECONDS": "5",
        "LOG_DIR": str(tmp_path / "logs"),
    }
    assert run_cli("migrate", env=values, cwd=tmp_path).returncode == 0
    return values


def cli(env: dict[str, str], *args: str, input: str = "") -> Any:
    return run_cli(*args, env=env, cwd=Path(env["LOG_DIR"]).parent, input=input)


def counts(engine: Any, store: str) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.scalar(select(func.count()).select_from(t).where(t.c.store == store))
            for t in store_tables()
            if not t.name.endswith("_tokens")
        }


def test_store_add_checks_the_token_keeps_it_in_the_database_and_never_shows_it(env, db_url):
    added = cli(
        env, "store", "add", "beta", "--name", "Beta Ltd", "--token-stdin", input="dev-token-beta\n"
    )
    assert added.returncode == 0, added.stderr
    assert "Added store beta (Beta Ltd)" in added.stdout
    refused = cli(env, "store", "add", "gamma", "--token-stdin", input="wrong-token-123\n")
    assert refused.returncode == 1
    assert refused.stderr.strip().startswith("Store gamma was not added: Lightspeed refused")
    assert "wrong-token-123" not in refused.stdout + refused.stderr
    # the new token goes back to `store add`, not into .env (that is the first store's)
    assert "`python -m sync store add gamma --token-stdin`" in refused.stderr
    assert "LIGHTSPEED_TOKEN" not in refused.stderr
    listed = cli(env, "store", "list")
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:4] == ["prefix", "name", "zone", "connection"]
    assert [line.split()[0] for line in lines[1:]] == [FIRST, "beta"]
    assert "never" in lines[2]
    assert "dev-token" not in listed.stdout
    engine = create_db_engine(db_url)
    try:
        assert store_token(engine, "beta") == "dev-token-beta"
        assert store_token(engine, "gamma") is None and find_store(engine, "gamma") is None
    finally:
        engine.dispose()
    logs = "".join(p.read_text() for p in Path(env["LOG_DIR"]).glob("*.log*"))
    assert "dev-token-beta" not in logs


def test_disable_enable_and_remove_keep_the_data_unless_purged(env, db_url, sim):
    for prefix in OTHERS:
        token = f"dev-token-{prefix}\n"
        assert cli(env, "store", "add", prefix, "--token-stdin", input=token).returncode == 0
    engine = create_db_engine(db_url)
    base = load_settings(env, env_file=None)
    try:
        for prefix in (FIRST, *OTHERS):
            row = find_store(engine, prefix)
            settings = store_settings(base, row, store_token(engine, prefix))
            store = open_store(settings)
            store.ensure_state_rows()
            assert {r.status for r in Runner(settings, store).run()} == {"success"}
        before = {p: counts(engine, p) for p in (FIRST, "beta")}
        assert before["beta"]["lightspeed_sales"] > 0
        assert cli(env, "store", "disable", "beta").returncode == 0
        assert find_store(engine, "beta").enabled is False
        assert cli(env, "store", "enable", "beta").returncode == 0
        assert find_store(engine, "beta").enabled is True
        asked = cli(env, "store", "remove", "gamma", "--purge")  # no terminal, no --yes
        assert asked.returncode == 1 and "add --yes" in asked.stderr
        assert counts(engine, "gamma")["lightspeed_sales"] > 0
        kept = cli(env, "store", "remove", "beta", "--yes")
        assert kept.returncode == 0
        assert find_store(engine, "beta") is None and store_token(engine, "beta") is None
        assert counts(engine, "beta") == before["beta"]
        purged = cli(env, "store", "remove", "gamma", "--purge", "--yes")
        assert purged.returncode == 0, purged.stderr
        assert set(counts(engine, "gamma").values()) == {0}
        assert store_token(engine, "gamma") is None
        assert counts(engine, FIRST) == before[FIRST]
        assert counts(engine, "beta") == before["beta"]
        first = cli(env, "store", "remove", FIRST, "--yes")
        assert first.returncode == 1 and "LIGHTSPEED_DOMAIN_PREFIX" in first.stderr
    finally:
        engine.dispose()


def test_run_status_and_reconcile_take_the_store_and_run_all_stores_runs_each(env, db_url):
    assert (
        cli(env, "store", "add", "beta", "--token-stdin", input="dev-token-beta\n").returncode == 0
    )
    ran = cli(env, "run", "--store", "beta")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    status = cli(env, "status", "--store", "beta")
    assert status.stdout.startswith("Store beta (one of 2 stores")
    assert cli(env, "reconcile", "--store", "beta").returncode == 0
    missing = cli(env, "run", "--store", "nosuch")
    assert missing.returncode != 0 and "holds no store nosuch" in missing.stdout + missing.stderr
    assert cli(env, "store", "disable", "beta").returncode == 0
    every = cli(env, "run", "--all-stores")
    assert every.returncode == 0 and "Store acme:" in every.stdout and "beta" not in every.stdout
    engine = create_db_engine(db_url)
    try:
        with engine.connect() as conn:
            stores = Counter(conn.scalars(select(sync_log.c.store)))
        assert stores["beta"] > 0 and stores[FIRST] > 0
        assert set(stores) == {FIRST, "beta"}
    finally:
        engine.dispose()
