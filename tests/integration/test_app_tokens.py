"""An install connected as an app: one-second access tokens, rotation, two processes, revocation."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest
from sqlalchemy import inspect, text

from sync.engine.runner import Runner
from sync.entities import ENTITIES
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store
from sync.storage.sql.tokens import SqlTokenStore
from tests.support.compare import diff_all
from tests.support.oauth_app import (
    app_env,
    app_settings,
    child_env,
    connect_directly,
    oauth_simulator,
    secrets_seen,
)
from tests.support.processes import REPO


@pytest.fixture
def oauth_sim():
    yield from oauth_simulator()


def sync_cli(env: dict[str, str], *args: str, timeout: float = 120) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sync", *args],
        env=child_env(env),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process: subprocess.Popen, timeout: float = 120) -> tuple[int, str]:
    out, _ = process.communicate(timeout=timeout)
    return process.returncode, out


def readable_text(db_url: str) -> str:
    """Every row of every table the dashboard may read, as one string."""
    engine = create_db_engine(db_url)
    chunks = []
    try:
        with engine.connect() as conn:
            postgres = engine.dialect.name == "postgresql"
            if postgres:
                conn.exec_driver_sql("SET ROLE dashboard_reader")
            for table in inspect(engine).get_table_names():
                if postgres and not conn.scalar(
                    text("SELECT has_table_privilege(:t, 'SELECT')"), {"t": table}
                ):
                    continue
                if table == "lightspeed_app_tokens" and not postgres:
                    continue  # a SQLite file has no roles: the dashboard never reads this table
                rows = conn.execute(text(f"SELECT * FROM {table}")).all()
                chunks.append(repr(rows))
    finally:
        engine.dispose()
    return "\n".join(chunks)


def test_a_full_import_with_one_second_tokens_is_an_exact_copy(db_url, oauth_sim):
    connect_directly(db_url, oauth_sim)
    engine = create_db_engine(db_url)
    store = Store(engine)
    store.ensure_state_rows()
    results = Runner(app_settings(db_url, oauth_sim), store).run()
    assert [r.status for r in results] == ["success"] * len(ENTITIES)
    assert diff_all(engine, oauth_sim) == []
    assert oauth_sim.oauth.refreshes >= 2, "the tokens expired and were renewed during the run"
    stored = SqlTokenStore(engine, store="default").load()
    assert stored is not None and stored.refresh_token in oauth_sim.oauth.refresh
    engine.dispose()


def test_two_runs_at_once_both_succeed_and_a_fresh_process_uses_the_stored_token(
    db_url, oauth_sim, tmp_path
):
    connect_directly(db_url, oauth_sim)
    env = app_env(db_url, oauth_sim, tmp_path / "logs")
    first, second = sync_cli(env, "run", "--full"), sync_cli(env, "run", "--full")
    (code_a, out_a), (code_b, out_b) = finish(first), finish(second)
    assert (code_a, code_b) == (0, 0), out_a + out_b
    rotations = oauth_sim.oauth.refreshes
    assert rotations >= 2
    code_c, out_c = finish(sync_cli(env, "run"))  # a new process, after the rotations
    assert code_c == 0, out_c
    engine = create_db_engine(db_url)
    assert diff_all(engine, oauth_sim) == []
    assert SqlTokenStore(engine, store="default").load().refresh_token in oauth_sim.oauth.refresh
    engine.dispose()
    status_code, status = finish(sync_cli(env, "status"))
    assert status_code == 0
    assert "app connected to store devstore" in status and "access token expires" in status
    logs = "".join(p.read_text() for p in (tmp_path / "logs").glob("*.log*"))
    everything = "\n".join([out_a, out_b, out_c, status, logs, readable_text(db_url)])
    leaked = [s for s in secrets_seen(oauth_sim) if s in everything]
    assert leaked == []


def test_after_revocation_run_exits_1_with_auth_and_names_connect(db_url, oauth_sim, tmp_path):
    connect_directly(db_url, oauth_sim)
    oauth_sim.oauth.revoke_all()
    env = app_env(db_url, oauth_sim, tmp_path / "logs")
    code, out = finish(sync_cli(env, "run"))
    assert code == 1, out
    assert "AUTH" in out
    assert "Lightspeed no longer accepts this app's authorization" in out
    assert "python -m sync connect" in out
    logs = "".join(p.read_text() for p in (tmp_path / "logs").glob("*.log*"))
    everything = "\n".join([out, logs, readable_text(db_url)])
    assert [s for s in secrets_seen(oauth_sim) if s in everything] == []


def test_a_refresh_answer_without_a_refresh_token_keeps_the_old_one(db_url, oauth_sim):
    store = connect_directly(db_url, oauth_sim)
    before = store.load().refresh_token
    oauth_sim.oauth.rotate = False
    time.sleep(1.1)  # the stored access token has expired: the run must refresh
    engine = create_db_engine(db_url)
    results = Runner(app_settings(db_url, oauth_sim), Store(engine)).run(["outlets", "customers"])
    assert [r.status for r in results] == ["success", "success"]
    assert oauth_sim.oauth.refreshes >= 1
    assert store.load().refresh_token == before
    engine.dispose()


def test_lightspeed_refresh_token_bootstraps_an_empty_database(db_url, oauth_sim):
    engine = create_db_engine(db_url)
    migrate(engine)
    bootstrap = oauth_sim.oauth.issue()["refresh_token"]
    settings = app_settings(db_url, oauth_sim, LIGHTSPEED_REFRESH_TOKEN=bootstrap)
    results = Runner(settings, Store(engine)).run(["outlets"])
    assert results[0].status == "success"
    stored = SqlTokenStore(engine, store="default").load()
    assert stored is not None and stored.refresh_token != bootstrap
    assert stored.refresh_token in oauth_sim.oauth.refresh
    engine.dispose()


def test_an_app_that_was_never_connected_is_told_to_run_connect(db_url, oauth_sim):
    engine = create_db_engine(db_url)
    migrate(engine)
    results = Runner(app_settings(db_url, oauth_sim), Store(engine)).run(["outlets"])
    assert results[0].status == "failed"
    assert results[0].error.kind == "AUTH"
    assert "python -m sync connect" in results[0].error.message
    engine.dispose()


@pytest.mark.postgres
def test_the_dashboard_role_cannot_read_the_tokens(pg_url, oauth_sim):
    import psycopg

    connect_directly(pg_url, oauth_sim)
    conninfo = pg_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(conninfo) as conn:
        conn.execute("SET ROLE dashboard_reader")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("SELECT * FROM lightspeed_app_tokens")


def test_check_reads_with_the_app_tokens_and_names_connect_once_revoked(
    db_url, oauth_sim, tmp_path
):
    connect_directly(db_url, oauth_sim)
    env = app_env(db_url, oauth_sim, tmp_path / "logs")
    _, out = finish(sync_cli(env, "check"))
    assert "Lightspeed token: accepted" in out
    assert "✓ app scopes: granted customers:read outlets:read products:read" in out
    oauth_sim.oauth.revoke_all()
    code, out = finish(sync_cli(env, "check"))
    assert code == 1
    assert "Lightspeed no longer accepts this app's authorization" in out
    assert "python -m sync connect" in out
    assert [s for s in secrets_seen(oauth_sim) if s in out] == []


def test_check_names_the_scopes_the_grant_lacks(sqlite_url, oauth_sim, tmp_path):
    narrow = app_settings(sqlite_url, oauth_sim, LIGHTSPEED_SCOPES="sales:read outlets:read")
    connect_directly(sqlite_url, oauth_sim, narrow)
    code, out = finish(sync_cli(app_env(sqlite_url, oauth_sim, tmp_path / "logs"), "check"))
    assert code == 1
    assert (
        "✗ app scopes: Lightspeed did not grant the app customers:read products:read "
        "inventory:read, which the sync needs." in out
    )


def test_two_processes_renewing_at_once_refresh_only_once(db_url, oauth_sim):
    import threading

    from sync.lightspeed.tokens import AppTokens

    connect_directly(db_url, oauth_sim)
    time.sleep(1.1)  # the stored access token has expired
    oauth_sim.oauth.token_seconds = 30.0
    settings = app_settings(db_url, oauth_sim)
    engines = [create_db_engine(db_url) for _ in range(2)]  # one per "process"
    providers = [AppTokens(settings, SqlTokenStore(engine, store="default")) for engine in engines]
    start, got = threading.Barrier(2), []

    def renew(provider: AppTokens) -> None:
        start.wait()
        got.append(provider.current())

    threads = [threading.Thread(target=renew, args=(p,)) for p in providers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(got) == 2 and got[0] == got[1]
    assert oauth_sim.oauth.refreshes == 1, "the second waited for the lock and reused the result"
    for engine in engines:
        engine.dispose()
