"""The CLI on an unconfigured checkout creates nothing; against `.demo/.env` it shows the demo."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sync.cli.demo import demo_settings, write_demo_env
from sync.config import Settings
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "sync", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


@pytest.mark.parametrize(
    "command", [["status"], ["status", "--json"], ["api-key", "list"], ["settings"], ["check"]]
)
def test_a_read_only_command_on_an_unconfigured_checkout_creates_no_file(tmp_path, command):
    result = cli(*command, cwd=tmp_path)
    assert list(tmp_path.iterdir()) == []
    if command[0] in ("status", "api-key"):
        assert result.returncode == 2
        assert "Not configured: run `make demo` or set DATABASE_URL." in result.stderr
        assert "Traceback" not in result.stderr


@pytest.fixture
def demo_dir(tmp_path, monkeypatch):
    """A migrated demo database and the .demo/.env `make demo` writes, in a fresh folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".demo").mkdir()
    demo = demo_settings(Settings(), "http://127.0.0.1:9/api/2.0")
    engine = create_db_engine(demo.database_url)
    migrate(engine)
    Store(engine).ensure_state_rows()
    engine.dispose()
    path = write_demo_env(demo, {"DASHBOARD_COOKIE_KEY": "k" * 32})
    assert path == Path(".demo/.env") and (path.stat().st_mode & 0o777) == 0o600
    return tmp_path


def test_status_and_settings_read_the_demo_env_file(demo_dir):
    status = cli("status", "--env-file", ".demo/.env", cwd=demo_dir)
    assert status.returncode == 0, status.stderr
    assert "entity" in status.stdout and "cursor" not in status.stdout
    verbose = cli("status", "--env-file", ".demo/.env", "--verbose", cwd=demo_dir)
    assert any(
        line.startswith("entity") and "cursor" in line for line in verbose.stdout.splitlines()
    )
    settings = cli("settings", "--env-file", ".demo/.env", cwd=demo_dir)
    rows = {line.split()[0]: line.split()[1:] for line in settings.stdout.splitlines()[1:]}
    assert rows["SYNC_INTERVAL_MINUTES"] == ["5", ".env", "60"]
    assert rows["LOG_DIR"] == [".demo/logs", ".env", "logs"]
    assert rows["DATABASE_URL"][:2] == ["sqlite:///.demo/lightspeed.db", ".env"]
    assert "k" * 32 not in settings.stdout  # secrets stay masked
    assert not (demo_dir / "data").exists()
