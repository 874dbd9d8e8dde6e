"""`python -m sync api` as a process: serves on the given port, stops on SIGTERM, and refuses
a database without the API's migration in one sentence."""

from __future__ import annotations

import subprocess
import sys

import requests

from sync.runs import utcnow
from sync.storage.sql.api_keys import create_key
from sync.storage.sql.db import create_db_engine, migrate
from tests.support.processes import REPO, start, stop_process, sync_env, wait_for
from tests.support.receivers import free_port

NO_LIGHTSPEED = "http://127.0.0.1:9/api/2.0"


def answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=1).status_code == 200
    except requests.ConnectionError:
        return False


def test_the_api_command_serves_until_sigterm(db_url, tmp_path):
    engine = create_db_engine(db_url)
    migrate(engine)
    _, key = create_key(engine, "probe", admin=False, now=utcnow())
    engine.dispose()
    port = free_port()
    env = sync_env(db_url, NO_LIGHTSPEED, tmp_path / "logs", "unused")
    process = start(
        ["--env-file", "/dev/null", "api", "--port", str(port)], env, tmp_path, tmp_path / "api.log"
    )
    try:
        wait_for(lambda: answers(f"http://127.0.0.1:{port}/livez"), 30, "the API to answer")
        metrics = requests.get(
            f"http://127.0.0.1:{port}/metrics",
            headers={"Authorization": f"Bearer {key}"},
            timeout=10,
        )
        assert metrics.status_code == 200 and "lightspeed_sync_db_up 1.0" in metrics.text
    finally:
        code = stop_process(process)
    log = (tmp_path / "api.log").read_text()
    assert "Traceback" not in log and key not in log
    assert code in (0, -15), log  # uvicorn re-raises SIGTERM after a clean shutdown


def test_an_unmigrated_database_is_refused_in_one_sentence(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = subprocess.run(
        [sys.executable, "-m", "sync", "--env-file", "/dev/null", "api", "--port", "1"],
        env=sync_env(db_url, NO_LIGHTSPEED, tmp_path / "logs", "unused"),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "run `python -m sync migrate` first" in result.stderr
    assert "Traceback" not in result.stderr
