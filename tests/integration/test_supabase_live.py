"""The behavioural suite against a real Supabase project, over its REST API only.

Skipped unless SUPABASE_TEST_URL and SUPABASE_TEST_SERVICE_ROLE_KEY are set. Use a
throwaway project: every test empties the sync's tables first. Apply the migrations to
it once (sql/supabase/setup.sql in the SQL editor). SUPABASE_TEST_ANON_KEY, when set,
also proves that the public key reads nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest
from postgrest.exceptions import APIError
from postgrest.types import ReturnMethod
from supabase import create_client

from sync.engine.runner import Runner
from sync.storage.rest.store import RestStore
from sync.storage.schema import ENTITY_TABLES, metadata
from tests.conftest import SIM_TOKEN, make_settings
from tests.support.compare import diff_all, rest_rows
from tests.support.processes import sync_env

LIVE_URL = os.environ.get("SUPABASE_TEST_URL", "")
LIVE_KEY = os.environ.get("SUPABASE_TEST_SERVICE_ROLE_KEY", "")
LIVE_ANON_KEY = os.environ.get("SUPABASE_TEST_ANON_KEY", "")

pytestmark = pytest.mark.skipif(
    not (LIVE_URL and LIVE_KEY),
    reason="live Supabase test: set SUPABASE_TEST_URL and SUPABASE_TEST_SERVICE_ROLE_KEY",
)

# Emptied before each test; schema_migrations is left alone.
DATA_TABLES = [name for name in sorted(metadata.tables) if name != "schema_migrations"]


def empty_project(store: RestStore) -> None:
    for name in DATA_TABLES:
        key = next(iter(metadata.tables[name].primary_key.columns)).name
        store.execute(store.table(name).delete(returning=ReturnMethod.minimal).not_.is_(key, None))


@pytest.fixture
def live_store() -> Iterator[RestStore]:
    store = RestStore(LIVE_URL, LIVE_KEY, timeout_seconds=30)
    assert store.pending_migrations() == [], "apply sql/supabase/setup.sql to the project first"
    empty_project(store)
    store.ensure_state_rows()
    yield store
    store.close()


def test_live_full_incremental_and_deletes_are_exact(live_store, simulator):
    settings = make_settings("sqlite://", simulator.api_url)
    results = Runner(settings, live_store).run()
    assert all(r.status == "success" for r in results)
    assert diff_all(rest_rows(live_store), simulator) == []
    simulator.mutate(
        new_sales=5, update_sales=3, remove_line_items=2, delete_sales=1, delete_customers=1
    )
    results = Runner(settings, live_store).run()
    assert all(r.status == "success" for r in results)
    assert diff_all(rest_rows(live_store), simulator) == []


def test_live_kill_9_then_rerun_is_exact(live_store, simulator, tmp_path):
    env = sync_env(
        "",
        simulator.api_url,
        tmp_path / "logs",
        SIM_TOKEN,
        DATABASE_URL="",
        SUPABASE_URL=LIVE_URL,
        SUPABASE_SERVICE_ROLE_KEY=LIVE_KEY,
        SYNC_PAGE_SIZE="5",
    )
    for delay in (1.0, 2.0, 3.0):
        process = subprocess.Popen(
            [sys.executable, "-m", "sync", "run", "--full"], env=env, cwd=tmp_path
        )
        time.sleep(delay)
        if process.poll() is None:
            os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    final = subprocess.run(
        [sys.executable, "-m", "sync", "run"], env=env, cwd=tmp_path, timeout=300, check=False
    )
    assert final.returncode == 0
    assert diff_all(rest_rows(live_store), simulator) == []


@pytest.mark.skipif(not LIVE_ANON_KEY, reason="set SUPABASE_TEST_ANON_KEY to check the anon key")
def test_live_anon_key_reads_nothing(live_store):
    anon = create_client(LIVE_URL, LIVE_ANON_KEY)
    for name in ("lightspeed_sales", "sync_state", ENTITY_TABLES["sale_line_items"].name):
        try:
            rows = anon.table(name).select("*").limit(1).execute().data
        except APIError as exc:
            assert exc.code == "42501"
        else:
            assert rows == []
