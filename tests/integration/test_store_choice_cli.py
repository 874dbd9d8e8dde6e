"""`--store PREFIX` and `--all-stores` on the commands a retail group's admin runs per store:
`request` (Sync now from a script), `backfill` and `alerts check` (cron). Each lands in the
chosen store's rows only; without either option the configured store, as before."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from sync.storage.schema import sync_log, sync_requests
from sync.storage.sql.db import create_db_engine
from tests.integration.test_two_stores import STORES, two_store_simulator
from tests.support.cli import run_cli

__all__ = ["two_store_simulator"]  # the fixture, used by name below

ACME, BETA = STORES


def group_env(db_url: str, sim: Any, tmp_path: Path) -> dict[str, str]:
    """acme configured in the settings, beta added with `store add` (token on stdin)."""
    env = {
        "DATABASE_URL": db_url,
        "LIGHTSPEED_BASE_URL": sim.api_url,
        "LIGHTSPEED_DOMAIN_PREFIX": ACME,
        "LIGHTSPEED_TOKEN": f"dev-token-{ACME}",
        "LIGHTSPEED_TIMEOUT_SECONDS": "5",
        "NIGHTLY_FULL_TIME": "off",
        "ALERT_MEMORY_MB": "100000",  # in this process: the test worker's memory, not a sync's
        "LOG_DIR": str(tmp_path / "logs"),
    }
    assert run_cli("migrate", env=env, cwd=tmp_path).returncode == 0
    added = run_cli(
        "store", "add", BETA, "--token-stdin", env=env, cwd=tmp_path, input=f"dev-token-{BETA}\n"
    )
    assert added.returncode == 0, added.stderr
    return env


def test_request_takes_the_store_or_every_store(sqlite_url, two_store_simulator, tmp_path):
    env = group_env(sqlite_url, two_store_simulator, tmp_path)
    one = run_cli("request", "--store", BETA, "--entity", "sales", env=env, cwd=tmp_path)
    assert one.returncode == 0, one.stderr
    assert "Queued request #1: sync sales" in one.stdout
    every = run_cli("request", "--all-stores", env=env, cwd=tmp_path)
    assert every.returncode == 0, every.stderr
    assert f"Store {ACME}:" in every.stdout and f"Store {BETA}:" in every.stdout
    unknown = run_cli("request", "--store", "nosuch", env=env, cwd=tmp_path)
    assert unknown.returncode != 0 and "This database holds no store nosuch." in unknown.stderr
    engine = create_db_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(sync_requests.c.store, sync_requests.c.entity_type).order_by(
                    sync_requests.c.id
                )
            ).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in rows] == [(BETA, "sales"), (ACME, "all"), (BETA, "all")]


def test_backfill_and_alerts_check_work_on_the_chosen_store(
    sqlite_url, two_store_simulator, tmp_path
):
    env = group_env(sqlite_url, two_store_simulator, tmp_path)
    two_store_simulator.site(BETA).set_faults(auth_fail=True)
    ran = run_cli("run", "--all-stores", env=env, cwd=tmp_path)
    assert ran.returncode != 0  # beta's token is refused

    back = run_cli(
        "backfill",
        "--store",
        ACME,
        "--entity",
        "sales",
        "--from",
        "2025-11-20",
        "--to",
        "2025-11-20",
        env=env,
        cwd=tmp_path,
    )
    assert back.returncode == 0, back.stdout + back.stderr
    engine = create_db_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            backfills = conn.execute(
                select(sync_log.c.store).where(sync_log.c.action == "backfill")
            ).all()
    finally:
        engine.dispose()
    assert backfills and {r.store for r in backfills} == {ACME}  # sales and its line items

    healthy = run_cli("alerts", "check", "--store", ACME, env=env, cwd=tmp_path)
    assert healthy.returncode == 0, healthy.stderr
    assert "Open incidents: 0 (all clear)" in healthy.stdout
    # on the store's clock (its outlets are in Amsterdam), not the host's or UTC
    assert healthy.stdout.startswith("Checked at ") and " CET: " in healthy.stdout.split("\n")[0]
    every = run_cli("alerts", "check", "--all-stores", env=env, cwd=tmp_path)
    assert every.returncode == 0, every.stderr
    acme_part, beta_part = every.stdout.split(f"Store {BETA}:")
    assert acme_part.startswith(f"Store {ACME}:") and "(all clear)" in acme_part
    assert "Open incidents: 5" in beta_part  # every entity's sync failed
    assert "Beta" not in acme_part
    # beta's token is the one `store add` kept: a new one goes there, not into .env
    assert f"`python -m sync store add {BETA} --token-stdin`" in beta_part
    assert "LIGHTSPEED_TOKEN" not in beta_part
