"""A no-change `run` stays light: nothing heavy imported, one request per endpoint, no recount."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.integration.test_cli import base_env, cli
from tests.support.processes import REPO

# Dashboard, alert delivery, Supabase client, the health API and password hashing: none is
# needed to sync.
FORBIDDEN = (
    "pandas",
    "streamlit",
    "apprise",
    "supabase",
    "fastapi",
    "uvicorn",
    "prometheus_client",
    "bcrypt",
)
# Our own modules (and the stdlib ones only they use) that other commands need, not `run`:
# other commands' handlers, health/status reads, app tokens. (The run-now queue's I/O is
# part of the SQL store class: about a millisecond of imports, no query.)
NOT_FOR_RUN = (
    "sync.dashboard",
    "sync.alerts",
    "sync.health",
    "sync.auth",
    "sync.cli.check_command",
    "sync.cli.connect_command",
    "sync.cli.api_command",
    "sync.cli.settings_command",
    "sync.lightspeed.tokens",
    "sync.lightspeed.probe",
    "sync.storage.status_report",
    "sync.storage.sql.status",
    "sync.storage.sql.tokens",
    "sync.storage.sql.api_keys",
    "http.server",
    "webbrowser",
    "statistics",
)
# `python -m sync run`, with the SQL it sends recorded and, at the end, what it imported and
# how it left the garbage collector.
PROBE = """
import gc, json, runpy, sys
from sqlalchemy import event
from sqlalchemy.engine import Engine
seen = []
event.listen(Engine, "before_cursor_execute", lambda *a: seen.append(a[2]))
sys.argv = ["sync", "run"]
try:
    runpy.run_module("sync", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
print("PROBE " + json.dumps({
    "code": code, "modules": sorted(sys.modules), "sql": seen,
    "gc_enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
}))
"""


def no_change_run(env: dict[str, str], cwd) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**os.environ, "PYTHONPATH": str(REPO), **env},
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("PROBE ")), None)
    assert line, done.stdout + done.stderr
    return json.loads(line.removeprefix("PROBE "))


def test_a_no_change_run_imports_nothing_heavy_and_asks_once_per_endpoint(
    db_url, simulator, tmp_path
):
    env = base_env(db_url, simulator.api_url, tmp_path)
    assert cli("migrate", env=env, cwd=tmp_path).returncode == 0
    assert cli("run", env=env, cwd=tmp_path).returncode == 0
    simulator.reset_stats()

    probe = no_change_run(env, tmp_path)

    assert probe["code"] == 0
    tops = {name.split(".")[0] for name in probe["modules"]}
    assert not tops & set(FORBIDDEN), sorted(tops & set(FORBIDDEN))
    # Only the dialect in use: a SQLite copy never loads the Postgres one.
    if db_url.startswith("sqlite"):
        assert "sqlalchemy.dialects.postgresql" not in probe["modules"]
    assert not [m for m in probe["modules"] if m.startswith(NOT_FOR_RUN)]
    # One empty page per endpoint, nothing else.
    stats = simulator.stats()
    assert stats["total"] == 5, stats
    # The imported modules were frozen (no collection walks them again), the collector is on.
    assert probe["frozen"] > 0 and probe["gc_enabled"]
    # Nothing was written, so no table is counted again.
    assert not [s for s in probe["sql"] if "count(" in s.lower()]
