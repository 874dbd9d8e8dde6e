"""CLI of the data-trust commands: backfill (dry run), reconcile, prune."""

from __future__ import annotations

from sqlalchemy import func, select

from sync.storage.schema import reconciliations, sync_log
from sync.storage.sql.db import create_db_engine
from tests.integration.test_cli import base_env, cli
from tests.support.cli import run_cli_process


def test_backfill_dry_run_reconcile_and_prune(sqlite_url, simulator, tmp_path):
    env = base_env(sqlite_url, simulator.api_url, tmp_path)
    assert cli("migrate", env=env, cwd=tmp_path).returncode == 0
    assert cli("run", env=env, cwd=tmp_path).returncode == 0
    engine = create_db_engine(sqlite_url)
    with engine.connect() as conn:
        runs = conn.scalar(select(func.count()).select_from(sync_log))

    dry = cli(
        "backfill",
        "--entity",
        "sales",
        "--from",
        "2025-01-01",
        "--to",
        "2025-12-31",
        "--dry-run",
        env=env,
        cwd=tmp_path,
    )
    assert dry.returncode == 0, dry.stderr
    assert "Estimate: sales" in dry.stdout and "API calls" in dry.stdout
    assert "nothing was written" in dry.stdout
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(sync_log)) == runs

    reversed_range = cli(
        "backfill", "--from", "2025-02-01", "--to", "2025-01-01", env=env, cwd=tmp_path
    )
    assert reversed_range.returncode == 2 and "before it starts" in reversed_range.stderr

    # A real process for the two-year backfill: heavy work, best beside the simulator's
    # threads rather than under the same GIL (and the coverage tracer).
    real = run_cli_process(
        "backfill",
        "--entity",
        "sales",
        "--from",
        "2024-01-01",
        "--to",
        "2025-12-31",
        env=env,
        cwd=tmp_path,
    )
    assert real.returncode == 0 and "success" in real.stdout, real.stdout + real.stderr

    check = cli("reconcile", "--date", "2025-11-20", env=env, cwd=tmp_path)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "Verified: the copy matches Lightspeed." in check.stdout
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(reconciliations)) >= 4

    pruned = cli("prune", env=env, cwd=tmp_path)
    assert pruned.returncode == 0 and "Removed 0 row(s)" in pruned.stdout
    engine.dispose()
