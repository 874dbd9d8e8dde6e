"""`run` against a store it cannot reach: our own retry lines only, and a fast, named cause."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from tests.conftest import SIM_TOKEN
from tests.integration.test_cli import cli


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def env_for(base_url: str, tmp_path: Path, **extra: str) -> dict[str, str]:
    return {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'copy.db'}",
        "LIGHTSPEED_BASE_URL": base_url,
        "LIGHTSPEED_TOKEN": SIM_TOKEN,
        "LOG_DIR": str(tmp_path / "logs"),
        **extra,
    }


def test_an_unreachable_store_prints_no_urllib3_line_at_the_default_level(tmp_path):
    env = env_for(f"http://127.0.0.1:{closed_port()}/api/2.0", tmp_path, LIGHTSPEED_MAX_RETRIES="2")
    assert cli("migrate", env=env, cwd=tmp_path).returncode == 0
    run = cli("run", "--entity", "outlets", env=env, cwd=tmp_path)
    output = run.stdout + run.stderr
    assert run.returncode == 1
    lines = output.splitlines()
    assert not [line for line in lines if "_CountingRetry" in line or "urllib3" in line]
    retries = [line for line in lines if "retrying in" in line]
    assert [line.split(": ", 1)[0] for line in retries] == ["INFO outlets"] * 2
    assert "could not connect to Lightspeed (connection refused)" in retries[0]
    assert retries[0].endswith("(1/2)") and retries[1].endswith("(2/2)")
    # The full detail is in the log file, and on the console with -v.
    assert "Retrying (" in (tmp_path / "logs" / "sync.log").read_text()
    verbose = cli("-v", "run", "--entity", "outlets", env=env, cwd=tmp_path)
    assert "Retrying (" in verbose.stderr


def test_a_name_that_does_not_resolve_fails_at_once_naming_the_setting(tmp_path):
    env = env_for("http://nosuchstore-xyz.invalid/api/2.0", tmp_path)
    assert cli("migrate", env=env, cwd=tmp_path).returncode == 0
    start = time.monotonic()
    run = cli("run", "--entity", "outlets", env=env, cwd=tmp_path)
    assert time.monotonic() - start < 10  # it was 31 s of retries
    output = run.stdout + run.stderr
    assert run.returncode == 1
    assert "nosuchstore-xyz.invalid" in output and "retrying" not in output
    assert "LIGHTSPEED_BASE_URL" in output
    assert "Retrying" not in output
