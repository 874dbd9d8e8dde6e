"""Child processes of the product for tests: `python -m sync ...` with a given environment."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.cli import CliResult, run_cli

REPO = Path(__file__).resolve().parents[2]


def sync_env(db_url: str, api_url: str, log_dir: Path, token: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "DATABASE_URL": db_url,
        "LIGHTSPEED_BASE_URL": api_url,
        "LIGHTSPEED_TOKEN": token,
        "LOG_DIR": str(log_dir),
        **extra,
    }


def start(args: list[str], env: dict[str, str], cwd: Path, log_file: Path) -> subprocess.Popen:
    """Start `python -m sync <args>` with output into `log_file`."""
    handle = log_file.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "sync", *args],
        env=env,
        cwd=cwd,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def wait_for(condition: Callable[[], bool], timeout: float, what: str, every: float = 0.1) -> None:
    """Poll `condition` until true; fail the test with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


def stop_process(process: subprocess.Popen, timeout: float = 15) -> int:
    """Terminate a child we started (SIGTERM, then SIGKILL) and return its exit code."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
    return process.returncode


def set_password(env_file: Path, password: str) -> CliResult:
    """`python -m sync --env-file ENV set-password --password-stdin`, as an admin runs it
    (in this process: tests/support/cli.py)."""
    return run_cli(
        "--env-file",
        str(env_file),
        "set-password",
        "--password-stdin",
        input=f"{password}\n",
        cwd=env_file.parent,
    )
