"""What the dashboard's database role may ask for, enforced by the database itself.

Proven as a login in `dashboard_reader` on Postgres, and through the PostgREST stand-in
with the dashboard_reader key (how a Supabase project is reached).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest
from postgrest.exceptions import APIError
from supabase import create_client

from sync.storage.sql.db import create_db_engine, migrate
from tests.support.dashboard_login import dashboard_url, ensure_dashboard_login

pytestmark = pytest.mark.postgres

TODAY = datetime.now(UTC).date()
REFUSED = (psycopg.errors.CheckViolation, psycopg.errors.UniqueViolation)


@pytest.fixture
def reader(pg_url: str, postgres_server: str) -> str:
    """A migrated database with another app's table, and the dashboard's login URL."""
    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("CREATE TABLE other_app_before (secret text)")
    engine = create_db_engine(pg_url)
    migrate(engine)
    engine.dispose()
    with psycopg.connect(pg_url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute("CREATE TABLE other_app_after (secret text)")
    ensure_dashboard_login(postgres_server)
    return dashboard_url(pg_url).replace("+psycopg", "")


def run(url: str, statement: str, params: tuple = ()) -> list[tuple]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def backfill(url: str, entity: str, start: date, end: date) -> list[tuple]:
    return run(
        url,
        "INSERT INTO sync_requests (store, entity_type, requested_by, action, date_from, date_to) "
        "VALUES ('default', %s, 'cfo', 'backfill', %s, %s) RETURNING id",
        (entity, start, end),
    )


def test_the_plain_insert_works_with_id_and_time_from_the_database(reader):
    run(
        reader,
        "INSERT INTO sync_requests (store, entity_type, requested_by) "
        "VALUES ('default', 'sales', 'cfo')",
    )
    ((rid, status, requested_at, action),) = run(
        reader, "SELECT id, status, requested_at, action FROM sync_requests"
    )
    assert rid and status == "queued" and action == "incremental"
    assert abs(datetime.now(UTC) - requested_at) < timedelta(minutes=1)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO sync_requests (store, entity_type) VALUES ('default', 'payroll')",
        "INSERT INTO sync_requests (store, entity_type, action) "
        "VALUES ('default', 'sales', 'drop_everything')",
        "INSERT INTO sync_requests (store, entity_type, action, date_from, date_to) "
        "VALUES ('default', 'sales', 'backfill', current_date - 3650, current_date)",
        "INSERT INTO sync_requests (store, entity_type, action, date_from, date_to) "
        "VALUES ('default', 'sales', 'backfill', current_date + 10, current_date + 20)",
        "INSERT INTO sync_requests (store, entity_type, action, date_from, date_to) "
        "VALUES ('default', 'all', 'backfill', current_date - 3, current_date)",
    ],
    ids=["unknown-entity", "unknown-action", "ten-years", "future", "all-entities"],
)
def test_it_refuses_a_request_the_dashboard_could_not_make(reader, statement):
    with pytest.raises(psycopg.errors.CheckViolation):
        run(reader, statement)
    assert run(reader, "SELECT count(*) FROM sync_requests") == [(0,)]


def test_it_refuses_a_backfill_of_ten_years(reader):
    with pytest.raises(psycopg.errors.CheckViolation, match="at most 90 days"):
        backfill(reader, "sales", TODAY - timedelta(days=3650), TODAY)


def test_it_refuses_a_second_open_backfill_of_one_entity(reader):
    assert backfill(reader, "sales", TODAY - timedelta(days=30), TODAY)
    with pytest.raises(psycopg.errors.UniqueViolation):
        backfill(reader, "sales", TODAY - timedelta(days=60), TODAY - timedelta(days=31))
    assert backfill(reader, "products", TODAY - timedelta(days=5), TODAY)


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO sync_requests (store, entity_type, requested_at) "
        "VALUES ('default', 'sales', '2020-01-01')",
        "INSERT INTO sync_requests (id, store, entity_type) VALUES (424242, 'default', 'sales')",
        "INSERT INTO sync_requests (store, entity_type, status) "
        "VALUES ('default', 'sales', 'done')",
        "UPDATE sync_requests SET requested_at = '2020-01-01'",
        "DELETE FROM sync_requests",
    ],
    ids=["backdated", "chosen-id", "status", "update", "delete"],
)
def test_it_refuses_columns_the_database_sets_itself(reader, statement):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        run(reader, statement)


@pytest.mark.parametrize("table", ["other_app_before", "other_app_after"])
def test_it_refuses_select_on_a_table_the_product_did_not_create(reader, table):
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        run(reader, f"SELECT * FROM {table}")
    assert run(reader, "SELECT count(*) FROM sync_state")  # ours stay readable


def test_the_reader_key_has_the_same_limits_over_rest(supabase_project):
    with psycopg.connect(supabase_project.db_url.replace("+psycopg", ""), autocommit=True) as c:
        c.execute("CREATE TABLE other_app_after (secret text)")
    reader = create_client(supabase_project.url, supabase_project.reader_key)
    requests = reader.table("sync_requests")
    plain = (
        requests.insert({"store": "default", "entity_type": "sales", "requested_by": "cfo"})
        .execute()
        .data[0]
    )
    assert plain["status"] == "queued" and plain["id"]
    stamped = datetime.fromisoformat(plain["requested_at"])
    assert abs(datetime.now(UTC) - stamped) < timedelta(minutes=1)

    def refused(row: dict) -> str:
        with pytest.raises(APIError) as caught:
            requests.insert(row).execute()
        return str(caught.value.code)

    ten_years = (TODAY - timedelta(days=3650)).isoformat()
    window = {"action": "backfill", "date_to": TODAY.isoformat()}
    assert refused({"store": "default", "entity_type": "payroll"}) == "23514"
    assert refused({"store": "default", "entity_type": "sales", "action": "wipe"}) == "23514"
    assert (
        refused({"store": "default", "entity_type": "sales", "date_from": ten_years, **window})
        == "23514"
    )
    first = (TODAY - timedelta(days=10)).isoformat()
    assert requests.insert(
        {"store": "default", "entity_type": "sales", "date_from": first, **window}
    ).execute()
    assert (
        refused(
            {"store": "default", "entity_type": "sales", "date_from": TODAY.isoformat(), **window}
        )
        == "23505"
    )
    assert (
        refused(
            {"store": "default", "entity_type": "sales", "requested_at": "2020-01-01T00:00:00Z"}
        )
        == "42501"
    )
    assert refused({"store": "default", "entity_type": "sales", "id": 999}) == "42501"
    with pytest.raises(APIError) as caught:
        reader.table("other_app_after").select("*").execute()
    assert caught.value.code == "42501"
