"""Supabase: migrations under Supabase's roles and grants, RLS per role, the SQL-editor script.

Roles are proven twice: on a direct Postgres connection (SET ROLE) and through the
PostgREST stand-in with each key, which is how a Supabase project is really reached.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import pytest
from postgrest.exceptions import APIError
from sqlalchemy import text
from supabase import create_client

from sync.engine.runner import Runner
from sync.storage.migrations import migration_scripts
from sync.storage.schema import metadata
from sync.storage.sql.db import create_db_engine, migrate, pending_migrations, supabase_setup_sql
from tests.conftest import make_settings, open_rest_store
from tests.support.supabase_roles import apply_supabase_defaults, ensure_cluster_roles

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
OUR_TABLES = sorted(metadata.tables)
# Secrets the reader never sees: the app's OAuth tokens (0008, the writer only), the
# health API's key hashes and the stores each key sees (0010, 0019: the writer and the
# sync_api role) and the stores' personal tokens (0017, the writer only).
WRITER_ONLY = {
    "api_keys",
    "api_key_stores",
    "lightspeed_app_tokens",
    "lightspeed_store_tokens",
}


@pytest.fixture
def supabase_db(pg_url: str, postgres_server: str) -> str:
    """A fresh database with Supabase's roles and default grants, not migrated yet."""
    ensure_cluster_roles(postgres_server)
    apply_supabase_defaults(pg_url)
    return pg_url


@pytest.fixture
def synced(supabase_project, simulator) -> Iterator:
    """A project holding a real copy of the tiny simulator store, written over REST."""
    store = open_rest_store(supabase_project)
    store.ensure_state_rows()
    settings = make_settings(supabase_project.db_url, simulator.api_url)
    results = Runner(settings, store).run()
    assert all(r.status == "success" for r in results)
    store.close()
    yield supabase_project


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def as_role(url: str, role: str, statement: str, params: tuple = ()) -> list[tuple]:
    """Run one statement as `role` (rolled back); returns the rows it gave."""
    with psycopg.connect(conninfo(url)) as conn:
        conn.execute(f"SET ROLE {role}")
        cursor = conn.execute(statement, params)
        rows = cursor.fetchall() if cursor.description else []
        conn.rollback()
        return rows


def denied(url: str, role: str, statement: str) -> bool:
    try:
        as_role(url, role, statement)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


def test_migrations_apply_twice_on_a_supabase_like_database(supabase_db):
    engine = create_db_engine(supabase_db)
    try:
        assert migrate(engine) == [v for v, _, _ in migration_scripts("postgres")]
        assert migrate(engine) == []
        with engine.begin() as conn:
            conn.execute(text("SELECT sync_secure_tables()"))  # re-securing is harmless
            secured = dict(
                conn.execute(
                    text(
                        "SELECT relname, relrowsecurity FROM pg_class "
                        "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
                    )
                ).all()
            )
    finally:
        engine.dispose()
    assert sorted(secured) == OUR_TABLES
    assert all(secured.values()), "every table of ours has row-level security on"


def test_the_sql_editor_script_is_current_and_can_be_run_twice(supabase_db):
    shipped = (REPO / "sql" / "supabase" / "setup.sql").read_text()
    assert shipped == supabase_setup_sql(), "regenerate: python -m sync migrate --sql"
    with psycopg.connect(conninfo(supabase_db), autocommit=True) as conn:
        conn.execute(shipped.encode())
        conn.execute(shipped.encode())
    engine = create_db_engine(supabase_db)
    try:
        assert pending_migrations(engine) == []
        assert migrate(engine) == []
    finally:
        engine.dispose()


def test_anon_can_neither_read_nor_write_anything(synced):
    url = synced.db_url
    for table in OUR_TABLES:
        assert denied(url, "anon", f"SELECT * FROM {table} LIMIT 1"), table
    assert denied(
        url, "anon", "INSERT INTO sync_requests (store, entity_type) VALUES ('default', 'all')"
    )
    assert denied(url, "anon", "UPDATE sync_state SET cursor_version = 0")
    assert denied(url, "anon", "SELECT sync_apply_page('lightspeed_sales', '[]')")
    assert denied(url, "authenticated", "SELECT * FROM lightspeed_sales LIMIT 1")

    anon = create_client(synced.url, synced.anon_key)
    for table in ("lightspeed_sales", "sync_state", "sync_log", "schema_migrations"):
        with pytest.raises(APIError) as refused:
            anon.table(table).select("*").limit(1).execute()
        assert refused.value.code == "42501"
    with pytest.raises(APIError) as refused:
        anon.table("sync_requests").insert({"entity_type": "all"}).execute()
    assert refused.value.code == "42501"
    with pytest.raises(APIError):
        anon.rpc("sync_apply_page", {"p_table": "lightspeed_sales", "p_rows": "[]"}).execute()


def test_dashboard_reader_reads_everything_and_may_only_queue_requests(synced):
    url = synced.db_url
    for table in OUR_TABLES:
        if table in WRITER_ONLY:
            assert denied(url, "dashboard_reader", f"SELECT * FROM {table}"), table
            continue
        as_role(url, "dashboard_reader", f"SELECT * FROM {table} LIMIT 1")
    sales = as_role(url, "dashboard_reader", "SELECT count(*) FROM lightspeed_sales")[0][0]
    assert sales > 0, "RLS lets the reader see the rows, not just the table"
    queued = as_role(
        url,
        "dashboard_reader",
        "INSERT INTO sync_requests (store, entity_type, requested_by) "
        "VALUES ('default', 'all', 'cfo') RETURNING id",
    )
    assert queued
    # Not a request that claims to be running already, nor any change to existing rows.
    assert denied(
        url,
        "dashboard_reader",
        "INSERT INTO sync_requests (store, entity_type, requested_at, status) "
        "VALUES ('default', 'all', now(), 'running')",
    )
    assert denied(url, "dashboard_reader", "UPDATE sync_requests SET status = 'done'")
    assert denied(url, "dashboard_reader", "DELETE FROM sync_requests")
    assert denied(url, "dashboard_reader", "UPDATE lightspeed_sales SET total_price = 0")
    assert denied(url, "dashboard_reader", "DELETE FROM lightspeed_sales")
    assert denied(url, "dashboard_reader", "UPDATE sync_state SET cursor_version = 0")
    assert denied(url, "dashboard_reader", "SELECT sync_apply_page('lightspeed_sales', '[]')")
    # Acknowledging an alert is allowed; rewriting it is not.
    as_role(url, "dashboard_reader", "UPDATE alert_incidents SET acknowledged_by = 'cfo'")
    assert denied(url, "dashboard_reader", "UPDATE alert_incidents SET severity = 'info'")

    reader = create_client(synced.url, synced.reader_key)
    states = reader.table("sync_state").select("entity_type,status").execute().data
    assert {s["status"] for s in states} == {"success"}
    lines = reader.table("lightspeed_sale_line_items").select("id").limit(5).execute().data
    assert len(lines) == 5
    request = {"store": "default", "entity_type": "sales", "requested_by": "cfo"}
    assert reader.table("sync_requests").insert(request).execute().data[0]["id"]
    with pytest.raises(APIError) as refused:
        reader.table("sync_requests").update({"status": "done"}).eq(
            "entity_type", "sales"
        ).execute()
    assert refused.value.code == "42501"
    with pytest.raises(APIError) as refused:
        reader.table("lightspeed_sales").delete().neq("id", "").execute()
    assert refused.value.code == "42501"


def test_the_service_role_key_may_write_everything(synced):
    service = create_client(synced.url, synced.service_key)
    written = (
        service.table("sync_requests")
        .update({"status": "done"}, returning="representation")
        .eq("status", "queued")
        .execute()
    )
    assert written.data == []  # nothing queued; the point is that it is allowed
    assert service.table("lightspeed_sales").select("id", count="exact", head=True).execute().count
