"""The API's database role: what dashboard_reader may do, plus reading keys and stamping them.

dashboard_reader itself gets nothing on api_keys. Proven with real logins on Postgres.
"""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import insert, select

from sync.runs import utcnow
from sync.storage.schema import alert_incidents, sync_requests
from sync.storage.sql.api_keys import check_key, create_key
from sync.storage.sql.db import create_db_engine, migrate
from tests.conftest import make_settings
from tests.support.api_login import api_url
from tests.support.api_server import running_api
from tests.support.dashboard_login import dashboard_url
from tests.support.roles import ensure_role, role_changes

pytestmark = pytest.mark.postgres


@pytest.fixture
def migrated(pg_url: str, reader_logins: None):
    engine = create_db_engine(pg_url)
    migrate(engine)
    create_key(engine, "grafana", admin=False, now=utcnow())
    yield engine
    engine.dispose()


def run(url: str, statement: str) -> list[tuple]:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        cursor = conn.execute(statement)
        return cursor.fetchall() if cursor.description else []


def test_dashboard_reader_cannot_touch_api_keys(migrated, pg_url):
    reader = dashboard_url(pg_url)
    for statement in (
        "SELECT name FROM api_keys",
        "SELECT key_hash FROM api_keys",
        "UPDATE api_keys SET last_used_at = now()",
        "INSERT INTO api_keys (name, prefix, key_hash, scope, created_at) "
        "VALUES ('x', 'lss_', 'h', 'admin', now())",
        "DELETE FROM api_keys",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            run(reader, statement)
    assert run(reader, "SELECT count(*) FROM sync_state")  # still reads its own tables


def test_the_api_role_reads_keys_and_stamps_them_and_nothing_more(migrated, pg_url):
    api = api_url(pg_url)
    assert run(api, "SELECT name, key_hash FROM api_keys")[0][0] == "grafana"
    run(api, "UPDATE api_keys SET last_used_at = now() WHERE name = 'grafana'")
    for statement in (
        "UPDATE api_keys SET scope = 'admin'",
        "UPDATE api_keys SET revoked_at = NULL",
        "DELETE FROM api_keys",
        "INSERT INTO api_keys (name, prefix, key_hash, scope, created_at) "
        "VALUES ('x', 'lss_', 'h', 'admin', now())",
        "UPDATE sync_state SET status = 'success'",
        "DELETE FROM sync_log",
        "SELECT access_token FROM lightspeed_app_tokens",
        "SELECT token FROM lightspeed_store_tokens",
    ):
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            run(api, statement)
    # What the dashboard may do, the API may do.
    assert run(api, "SELECT count(*) FROM sync_log") == [(0,)]
    run(
        api,
        "INSERT INTO sync_requests (store, entity_type, requested_by) "
        "VALUES ('default', 'sales', 'k')",
    )


def test_a_revoked_key_cannot_be_stamped_back_to_life_by_the_api_role(migrated, pg_url):
    run(pg_url, "UPDATE api_keys SET revoked_at = now()")
    api = api_url(pg_url)
    run(api, "UPDATE api_keys SET last_used_at = now()")  # RLS: no row matches
    assert run(pg_url, "SELECT last_used_at FROM api_keys") == [(None,)]


def test_an_existing_sync_api_role_that_could_log_in_is_made_a_group_role(pg_url, postgres_server):
    # Under the role lock: sync_api is cluster-wide, and the other workers' logins join it.
    with role_changes(postgres_server) as conn:
        ensure_role(conn, "sync_api", "LOGIN BYPASSRLS NOINHERIT")
        engine = create_db_engine(pg_url)
        migrate(engine)
        engine.dispose()
    ((login, bypass, inherit),) = run(
        postgres_server,
        "SELECT rolcanlogin, rolbypassrls, rolinherit FROM pg_roles WHERE rolname = 'sync_api'",
    )
    assert (login, bypass, inherit) == (False, False, True)


def test_the_api_serves_through_its_own_login(migrated, pg_url):
    settings = make_settings(pg_url, "http://127.0.0.1:9/api/2.0")
    with running_api(settings, migrated, url=api_url(pg_url)) as served:
        assert served.get("/api/sync-health/incidents", served.read_key).status_code == 200
        assert check_key(migrated, served.read_key).last_used_at is not None
        queued = served.post(
            "/api/sync-health/sync-requests", served.admin_key, json={"entity": "all"}
        )
        assert queued.status_code == 202, queued.text
        backfill = served.post(
            "/api/sync-health/entities/sales/backfill",
            served.admin_key,
            json={"from": "2026-01-01", "to": "2026-01-31"},
        )
        assert backfill.status_code == 202, backfill.text
        now = utcnow()
        with migrated.begin() as conn:
            incident = conn.execute(
                insert(alert_incidents)
                .values(
                    store="default",
                    rule="stale",
                    entity="sales",
                    status="open",
                    severity="warning",
                    title="Sales are stale",
                    message="Last success 3 h ago.",
                    since=now,
                    opened_at=now,
                    last_seen_at=now,
                    pending_kind="open",
                    pending_at=now,
                )
                .returning(alert_incidents.c.id)
            ).scalar_one()
        ack = served.post(
            f"/api/sync-health/incidents/{incident}/acknowledge", served.admin_key, json={}
        )
        assert ack.status_code == 200, ack.text
    with migrated.connect() as conn:
        kinds = conn.execute(select(sync_requests.c.entity_type, sync_requests.c.action)).all()
        assert sorted(kinds) == [("all", "incremental"), ("sales", "backfill")]
        row = conn.execute(select(alert_incidents)).one()
    assert row.acknowledged_at is not None and row.pending_kind is None


def test_the_api_starts_with_its_own_login_and_does_not_warn(migrated, pg_url):
    from sync.api.server import api_login_problem, build_context

    settings = make_settings(pg_url, "http://127.0.0.1:9/api/2.0", API_DATABASE_URL=api_url(pg_url))
    ctx = build_context(settings)  # reads schema_migrations as sync_api
    try:
        assert ctx.engine.url.username == "lsync_api_test"
        assert api_login_problem(settings) is None
    finally:
        ctx.engine.dispose()
