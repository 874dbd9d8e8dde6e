"""The command line on the Supabase REST backend: selection, sentences, masked keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from postgrest.exceptions import APIError
from sqlalchemy import text

from sync.errors import SyncError
from sync.storage.rest.db import rest_error
from sync.storage.rest.store import RestStore
from tests.conftest import SERVICE_KEY, SIM_TOKEN
from tests.support.cli import CliResult, run_cli
from tests.support.processes import sync_env

pytestmark = pytest.mark.postgres

WRONG_KEY = "eyJhbGciOiJIUzI1NiJ9.d3Jvbmcta2V5LWZvci10ZXN0cw.V3JvbmdLZXlTaWduYXR1cmUxMjM0NTY"


def sync_cli(args: list[str], project, api_url: str, tmp_path: Path, **extra: str) -> CliResult:
    backend = {
        "DATABASE_URL": "",
        "SUPABASE_URL": project.url,
        "SUPABASE_SERVICE_ROLE_KEY": project.service_key,
    }
    env = sync_env("", api_url, tmp_path / "logs", SIM_TOKEN, **{**backend, **extra})
    return run_cli(*args, env=env, cwd=tmp_path)


def everything_written(result: CliResult, tmp_path: Path) -> str:
    logs = "".join(p.read_text() for p in (tmp_path / "logs").glob("*") if p.is_file())
    return result.stdout + result.stderr + logs


def test_run_status_and_request_work_over_rest_without_a_database_url(
    supabase_project, simulator, tmp_path
):
    ran = sync_cli(["-v", "run"], supabase_project, simulator.api_url, tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "success" in ran.stdout
    status = sync_cli(["status", "--json"], supabase_project, simulator.api_url, tmp_path)
    assert status.returncode == 0, status.stderr
    assert '"records_total"' in status.stdout and '"success"' in status.stdout
    report = json.loads(status.stdout)  # the health model over what the StatusBoard gives
    assert report["data_ready"] is True and report["status_counts"]["healthy"] == 6
    assert report["overall"] == "WARNING" and report["health_score"] == 72
    queued = sync_cli(
        ["request", "--entity", "sales"], supabase_project, simulator.api_url, tmp_path
    )
    assert queued.returncode == 0 and "Queued request #" in queued.stdout
    for result in (ran, status, queued):
        assert SERVICE_KEY not in everything_written(result, tmp_path)
    # Pages go in one RPC each: mapped by the database (source pages) or by us.
    assert supabase_project.server.count(path_prefix="/rest/v1/rpc/sync_apply_") > 0


def test_a_wrong_key_gets_one_sentence_and_is_never_shown(supabase_project, simulator, tmp_path):
    result = sync_cli(
        ["-v", "run"],
        supabase_project,
        simulator.api_url,
        tmp_path,
        SUPABASE_SERVICE_ROLE_KEY=WRONG_KEY,
    )
    assert result.returncode == 1
    assert "SUPABASE_SERVICE_ROLE_KEY" in result.stderr
    assert "Traceback" not in result.stderr
    assert WRONG_KEY not in everything_written(result, tmp_path)


def test_commands_that_need_sql_say_so(supabase_project, simulator, tmp_path):
    for args, needle in (
        (["migrate"], "sql/supabase/setup.sql"),
        (["reconcile"], "direct database connection"),
        (["prune"], "direct database connection"),
    ):
        result = sync_cli(args, supabase_project, simulator.api_url, tmp_path)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert needle in result.stderr and "Traceback" not in result.stderr


def test_alerts_check_evaluates_the_rules_over_rest(supabase_project, simulator, tmp_path):
    # Never synced: every entity is stale, so incidents open in the project's tables.
    result = sync_cli(["alerts", "check"], supabase_project, simulator.api_url, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 opened" in result.stdout and "Open incidents: 5" in result.stdout
    with supabase_project.engine.connect() as conn:
        rules = conn.execute(text("SELECT rule, status FROM alert_incidents")).all()
    assert set(rules) == {("stale", "open")}


def test_an_unmigrated_project_and_a_missing_key_get_one_sentence(
    pg_url, postgres_server, simulator, tmp_path
):
    from tests.support.postgrest import PostgrestStandIn

    with PostgrestStandIn(pg_url, {SERVICE_KEY: "postgres"}) as server:
        project = type("Project", (), {"url": server.url, "service_key": SERVICE_KEY})
        result = sync_cli(["run"], project, simulator.api_url, tmp_path)
    assert result.returncode == 2
    assert "has not been migrated" in result.stderr and "setup.sql" in result.stderr
    missing = sync_cli(["run"], project, simulator.api_url, tmp_path, SUPABASE_SERVICE_ROLE_KEY="")
    assert missing.returncode == 2
    assert "SUPABASE_SERVICE_ROLE_KEY" in missing.stderr


def test_rest_failures_are_database_errors_with_the_key_masked(supabase_project):
    store = RestStore(supabase_project.url, supabase_project.service_key, timeout_seconds=5)
    try:
        supabase_project.server.fail_requests(1, status=503)
        with pytest.raises(SyncError) as failed:
            store.record_reject("run", "sales", "test", {}, datetime.now(UTC))
        assert failed.value.kind.value == "DATABASE"
        assert "Supabase REST API" in failed.value.message
    finally:
        store.close()
    echoed = rest_error(
        APIError({"message": f"JWT {SERVICE_KEY} is invalid", "code": "PGRST301"}),
        "https://example.supabase.co",
        [SERVICE_KEY],
    )
    assert SERVICE_KEY not in echoed.message + echoed.recovery
    assert "SUPABASE_SERVICE_ROLE_KEY" in echoed.recovery
    unreachable = RestStore("http://127.0.0.1:9", SERVICE_KEY, timeout_seconds=2)
    with pytest.raises(SyncError) as down:
        unreachable.cursor("sales")
    assert "Could not reach the Supabase REST API" in down.value.message
    assert SERVICE_KEY not in down.value.details()
