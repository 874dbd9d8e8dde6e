"""`python -m sync store grant|revoke|readers`: limit a database role to some stores (issue 27
§4), with one clear sentence for an unknown store or role, the writer, SQLite and REST."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from sync.storage.sql.db import create_db_engine
from tests.support.cli import run_cli
from tests.support.roles import ensure_role, role_changes
from tests.support.store_roles import LIMITED, ensure_limited_roles

BYPASS = "lsync_rls_bypass"


def cli(env: dict[str, str], *args: str) -> Any:
    return run_cli(*args, env=env, cwd=Path(env["LOG_DIR"]).parent)


def environment(db_url: str, tmp_path: Path) -> dict[str, str]:
    """A migrated database holding the stores acme (the configured one) and beta."""
    env = {
        "DATABASE_URL": db_url,
        "LIGHTSPEED_DOMAIN_PREFIX": "acme",
        "LIGHTSPEED_TOKEN": "dev-token-acme",
        "LOG_DIR": str(tmp_path / "logs"),
    }
    assert cli(env, "migrate").returncode == 0
    engine = create_db_engine(db_url)
    with engine.begin() as conn:
        conn.execute(
            text("INSERT INTO lightspeed_stores (prefix, name, added_at) VALUES ('beta', 'B', :t)"),
            {"t": "2026-12-01T00:00:00+00:00"},
        )
    engine.dispose()
    return env


@pytest.fixture
def pg_env(pg_url: str, postgres_server: str, tmp_path: Path) -> dict[str, str]:
    ensure_limited_roles(postgres_server)
    with role_changes(postgres_server) as conn:
        ensure_role(conn, BYPASS, "NOLOGIN NOSUPERUSER BYPASSRLS")
    return environment(pg_url, tmp_path)


@pytest.mark.postgres
def test_a_role_is_granted_stores_listed_and_revoked(pg_env):
    granted = cli(pg_env, "store", "grant", LIMITED, "acme", "beta")
    assert granted.returncode == 0, granted.stderr
    assert (
        granted.stdout.strip() == f"Role {LIMITED} may read only acme, beta (row-level security)."
    )
    listed = cli(pg_env, "store", "readers")
    assert listed.stdout.splitlines()[1].split() == [LIMITED, "acme,", "beta"]

    assert cli(pg_env, "store", "revoke", LIMITED, "beta").stdout.strip() == (
        f"Role {LIMITED} may read only acme."
    )
    last = cli(pg_env, "store", "revoke", LIMITED, "acme")
    assert last.returncode == 2
    assert "would leave it no store, and a role with none reads every store" in last.stderr
    lifted = cli(pg_env, "store", "revoke", LIMITED)
    assert (
        lifted.stdout.strip() == f"Role {LIMITED} is no longer limited: it reads every store again."
    )
    assert "No role is limited" in cli(pg_env, "store", "readers").stdout


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (("grant", LIMITED, "nope"), "No store nope in this database."),
        (
            ("grant", "lsync_no_such_role", "acme"),
            "There is no database role 'lsync_no_such_role'.",
        ),
        (("grant", "postgres", "acme"), "Role 'postgres' owns the tables (the writer)"),
        (("grant", BYPASS, "acme"), f"Role '{BYPASS}' bypasses row-level security"),
        (("revoke", LIMITED, "acme"), f"Role '{LIMITED}' is not limited to any store."),
    ],
)
def test_a_wrong_grant_or_revoke_is_one_sentence(pg_env, args, sentence):
    done = cli(pg_env, "store", *args)
    assert done.returncode == 2
    assert sentence in done.stderr and "Traceback" not in done.stderr


@pytest.mark.postgres
def test_a_store_a_role_is_limited_to_cannot_be_removed(pg_env):
    assert cli(pg_env, "store", "grant", LIMITED, "beta").returncode == 0
    refused = cli(pg_env, "store", "remove", "beta", "--yes")
    assert refused.returncode == 1
    assert f"Role(s) {LIMITED} may read store beta" in refused.stderr
    assert cli(pg_env, "store", "revoke", LIMITED).returncode == 0
    assert cli(pg_env, "store", "remove", "beta", "--yes").returncode == 0


def test_sqlite_refuses_with_one_sentence(sqlite_url, tmp_path):
    env = environment(sqlite_url, tmp_path)
    done = cli(env, "store", "grant", "reader", "acme")
    assert done.returncode == 2
    assert "needs Postgres or Supabase: SQLite has no roles." in done.stderr


@pytest.mark.postgres
def test_the_rest_backend_refuses_with_one_sentence(supabase_project, tmp_path):
    env = {
        "DATABASE_URL": "",
        "SUPABASE_URL": supabase_project.url,
        "SUPABASE_SERVICE_ROLE_KEY": supabase_project.service_key,
        "LOG_DIR": str(tmp_path / "logs"),
    }
    done = cli(env, "store", "readers")
    assert done.returncode == 2
    assert "needs a direct database connection" in done.stderr
