"""Only the `simulator` command starts the simulator, not the word elsewhere on the line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from sync.storage.schema import sync_requests
from sync.storage.sql.db import create_db_engine
from tests.integration.test_cli import REPO, cli


def quick_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """`python -m sync ...`, failing the test if it is still running after 30 s (a server)."""
    try:
        return subprocess.run(
            [sys.executable, "-m", "sync", *args],
            env={**os.environ, "PYTHONPATH": str(REPO), **env},
            capture_output=True,
            text=True,
            timeout=30,
            cwd=cwd,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"`python -m sync {' '.join(args)}` was still running after 30 s")


def test_it_queues_a_request_whose_reason_is_simulator(sqlite_url, tmp_path):
    env = {"DATABASE_URL": sqlite_url, "LOG_DIR": str(tmp_path / "logs")}
    assert cli("migrate", env=env, cwd=tmp_path).returncode == 0
    request = quick_cli("request", "--reason", "simulator", env=env, cwd=tmp_path)
    assert request.returncode == 0, request.stdout + request.stderr
    assert "Queued request #1: sync all" in request.stdout
    with create_db_engine(sqlite_url).connect() as conn:
        assert conn.execute(select(sync_requests.c.reason)).scalars().all() == ["simulator"]


def test_it_hands_the_simulator_command_its_own_arguments(tmp_path):
    shown = quick_cli("-v", "simulator", "--help", env={}, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.startswith("usage: python -m sync.simulator")
