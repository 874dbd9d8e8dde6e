"""The command line: exit codes, one-sentence errors, secrets kept out of output and logs."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from sync.storage.schema import sync_log, sync_state
from sync.storage.sql.db import create_db_engine
from tests.conftest import SIM_TOKEN
from tests.support.cli import CliResult, run_cli, run_cli_process
from tests.support.processes import set_password

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, env: dict[str, str], cwd: Path) -> CliResult:
    """`python -m sync <args>` in this process (tests/support/cli.py)."""
    return run_cli(*args, env=env, cwd=cwd)


def base_env(db_url: str, api_url: str, tmp_path: Path) -> dict[str, str]:
    return {
        "DATABASE_URL": db_url,
        "LIGHTSPEED_BASE_URL": api_url,
        "LIGHTSPEED_TOKEN": SIM_TOKEN,
        "LOG_DIR": str(tmp_path / "logs"),
    }


def test_migrate_run_status_happy_path(db_url, simulator, tmp_path):
    env = base_env(db_url, simulator.api_url, tmp_path)
    first = cli("migrate", env=env, cwd=tmp_path)
    second = cli("migrate", env=env, cwd=tmp_path)
    assert first.returncode == 0 and "applied 1, 2, 3, 4," in first.stdout, first.stderr
    assert second.returncode == 0 and "already up to date" in second.stdout
    run = cli("run", env=env, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "sales" in run.stdout and "success" in run.stdout
    status = cli("status", "--json", env=env, cwd=tmp_path)
    assert status.returncode == 0
    report = json.loads(status.stdout)
    # Fresh data but no scheduler: the verdict says so instead of HEALTHY (issue 15).
    assert report["overall"] == "WARNING" and "scheduler" in report["overall_text"]
    assert report["data_ready"] is True and report["health_score"] == 72
    assert {e["entity"] for e in report["entities"]} == {
        "customers",
        "outlets",
        "products",
        "sales",
        "sale_line_items",
        "inventory",
    }
    assert all(e["colour"] == "green" and e["records_total"] > 0 for e in report["entities"])
    plain = cli("status", env=env, cwd=tmp_path)
    assert plain.stdout.startswith("WARNING — the scheduler is not running")
    assert "Health score 72/100 · 6 healthy" in plain.stdout
    assert "scheduler: never seen" in plain.stdout
    assert (tmp_path / "logs" / "sync.log").read_text().count("success") >= 5


def test_a_refused_token_exits_1_with_the_class_and_never_shows_the_token(
    db_url, simulator, tmp_path
):
    env = base_env(db_url, simulator.api_url, tmp_path)
    assert cli("migrate", env=env, cwd=tmp_path).returncode == 0
    simulator.set_faults(auth_fail=True)
    run = cli("run", env=env, cwd=tmp_path)
    assert run.returncode == 1
    assert "AUTH" in run.stdout and "LIGHTSPEED_TOKEN" in run.stdout
    log_text = (tmp_path / "logs" / "sync.log").read_text()
    for text in (run.stdout, run.stderr, log_text):
        assert SIM_TOKEN not in text
    engine = create_db_engine(db_url)
    with engine.connect() as conn:
        stored = [str(tuple(r)) for r in conn.execute(select(sync_log))]
        stored += [str(tuple(r)) for r in conn.execute(select(sync_state))]
    engine.dispose()
    assert all(SIM_TOKEN not in row for row in stored)


def test_bad_configuration_exits_2_with_one_sentence(tmp_path):
    # A real process: `python -m sync` exits with the code main() returns.
    bad = run_cli_process(
        "run", env={"SYNC_PAGE_SIZE": "lots", "LOG_DIR": str(tmp_path)}, cwd=tmp_path
    )
    assert bad.returncode == 2
    assert "SYNC_PAGE_SIZE" in bad.stderr and "Traceback" not in bad.stderr
    unmigrated = cli(
        "run",
        env={"DATABASE_URL": f"sqlite:///{tmp_path}/x.db", "LOG_DIR": str(tmp_path)},
        cwd=tmp_path,
    )
    assert unmigrated.returncode == 2 and "migrate" in unmigrated.stderr
    usage = cli("run", "--entity", "nonsense", env={}, cwd=tmp_path)
    assert usage.returncode == 2


def test_missing_lightspeed_settings_is_a_config_error(tmp_path):
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
        "LOG_DIR": str(tmp_path / "logs"),
        "LIGHTSPEED_TOKEN": "",
        "LIGHTSPEED_DOMAIN_PREFIX": "",
        "LIGHTSPEED_BASE_URL": "",
    }
    assert cli("migrate", env=env, cwd=tmp_path).returncode == 0
    run = cli("run", env=env, cwd=tmp_path)
    assert run.returncode == 2
    assert "LIGHTSPEED_DOMAIN_PREFIX" in run.stderr and "Traceback" not in run.stderr


def test_unreachable_database_exits_1_as_database(tmp_path):
    env = {
        "DATABASE_URL": "postgresql://postgres:hunter2pass@127.0.0.1:1/none",
        "LOG_DIR": str(tmp_path),
    }
    result = cli("migrate", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "DATABASE" in result.stderr and "hunter2pass" not in result.stderr
    assert "Traceback" not in result.stderr


def test_set_password_writes_a_bcrypt_hash_and_a_cookie_key(tmp_path):
    env_file = tmp_path / ".env"
    result = set_password(env_file, "correct horse battery")
    assert result.returncode == 0, result.stderr
    text = env_file.read_text()
    assert "DASHBOARD_PASSWORD_HASH='$2b$" in text
    assert "DASHBOARD_COOKIE_KEY=" in text
    assert "correct horse battery" not in text
    import bcrypt
    from dotenv import dotenv_values

    hashed = dotenv_values(env_file)["DASHBOARD_PASSWORD_HASH"]
    assert bcrypt.checkpw(b"correct horse battery", hashed.encode())


def test_set_password_rotates_the_cookie_key(tmp_path):
    from dotenv import dotenv_values

    env_file = tmp_path / ".env"
    assert set_password(env_file, "correct horse battery").returncode == 0
    first = dotenv_values(env_file)["DASHBOARD_COOKIE_KEY"]
    assert set_password(env_file, "another staple horse").returncode == 0
    second = dotenv_values(env_file)["DASHBOARD_COOKIE_KEY"]
    assert first != second and len(second) >= 32
    assert "log in again" in set_password(env_file, "a third long passphrase").stdout


def test_set_password_refuses_a_passphrase_bcrypt_would_cut_with_a_sentence(tmp_path):
    env_file = tmp_path / ".env"
    result = set_password(env_file, "grüße " * 20)
    assert result.returncode == 2
    assert "bcrypt uses at most 72" in result.stderr and "nothing was changed" in result.stderr
    assert "Traceback" not in result.stderr
    assert not env_file.exists() or "DASHBOARD_PASSWORD_HASH" not in env_file.read_text()


def test_status_tells_the_admin_when_the_dashboard_uses_the_writers_login(
    pg_url, postgres_server, tmp_path
):
    from tests.support.dashboard_login import dashboard_url, ensure_dashboard_login

    env = {"DATABASE_URL": pg_url, "LOG_DIR": str(tmp_path / "logs")}
    assert cli("migrate", env=env, cwd=tmp_path).returncode == 0
    shared = cli("status", env=env, cwd=tmp_path)
    assert shared.returncode == 0, shared.stderr
    banner = shared.stdout.splitlines()[1:3]
    assert banner[0].startswith("WARNING (not least privilege): The dashboard reads Postgres")
    assert banner[1].startswith("WARNING (not least privilege): The health API reads Postgres")
    as_json = cli("status", "--json", env=env, cwd=tmp_path)
    assert json.loads(as_json.stdout)["least_privilege"] is False
    ensure_dashboard_login(postgres_server)
    own_env = {**env, "DASHBOARD_DATABASE_URL": dashboard_url(pg_url)}
    own = cli("status", env=own_env, cwd=tmp_path)
    assert own.returncode == 0 and "writer's login" not in own.stdout
    as_json = cli("status", "--json", env=own_env, cwd=tmp_path)
    assert json.loads(as_json.stdout)["least_privilege"] is True
