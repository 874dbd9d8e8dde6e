"""A read-only database role limited to some stores (issue 27 §4, migration 0018).

Three stores hold real synced data in one Supabase-like database. A role limited to one of
them by `store_readers` (its SQL login, a member of it, and the same role reached through the
PostgREST stand-in with a JWT role key) sees only that store's rows, counts, health, alerts,
requests and reconciliations, and may queue or acknowledge only for it. An unlimited reader
and the writer see everything. Every table with a `store` column is found from the catalog,
so a table added later without a store-aware policy fails here.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from postgrest.exceptions import APIError
from sqlalchemy import insert, text
from supabase import create_client

from sync.config import load_settings
from sync.engine.runner import Runner
from sync.runs import utcnow
from sync.storage.backend import open_store
from sync.storage.schema import (
    alert_incidents,
    alert_notifications,
    reconciliations,
    scheduler_heartbeat,
    sync_locks,
    sync_rejects,
    sync_requests,
)
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.reads import read_snapshot
from sync.storage.sql.store_admin import list_stores
from sync.storage.sql.store_readers import grant_stores
from tests.conftest import ANON_KEY, READER_KEY, SERVICE_KEY
from tests.support.dashboard_login import dashboard_url, ensure_dashboard_login
from tests.support.store_roles import (
    LIMITED,
    LIMITED_KEY,
    LIMITED_LOGIN,
    ensure_limited_roles,
    login_url,
)

pytestmark = pytest.mark.postgres

STORES = ("acme", "beta", "gamma")
MINE = "acme"
# Tokens and the API keys' store lists: the dashboard's roles may not read them at all.
WRITER_ONLY = {"lightspeed_app_tokens", "lightspeed_store_tokens", "api_key_stores"}


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def add_facts(engine: Any, prefix: str) -> None:
    """A request, a reconciliation, an alert (with its notification), a reject, a scheduler
    heartbeat and a lease of `prefix`: the tables a sync alone leaves empty."""
    now = utcnow()
    with engine.begin() as conn:
        conn.execute(insert(sync_requests).values(store=prefix, entity_type="all"))
        conn.execute(
            insert(reconciliations).values(
                store=prefix, checked_at=now, entity_type="sales", scope="day",
                run_id=f"rec-{prefix}", status="match", measure="count",
            )
        )  # fmt: skip
        incident = conn.execute(
            insert(alert_incidents)
            .values(
                store=prefix, opened_at=now, last_seen_at=now, since=now, severity="error",
                title=f"{prefix} sales failing", message="m", rule="sync_failed",
                entity="sales", status="open",
            )
            .returning(alert_incidents.c.id)
        ).scalar_one()  # fmt: skip
        conn.execute(
            insert(alert_notifications).values(
                incident_id=incident, kind="open", channel="json://x", status="sent",
                title=f"{prefix} sales failing", attempted_at=now,
            )
        )  # fmt: skip
        conn.execute(
            insert(sync_rejects).values(
                store=prefix, run_id=f"run-{prefix}", entity_type="sales", reason="bad",
                rejected_at=now,
            )
        )  # fmt: skip
        conn.execute(
            insert(scheduler_heartbeat).values(
                instance_id=f"h:1/{prefix}", store=prefix, host="h", pid=1, started_at=now,
                last_beat_at=now, activity={"state": "idle"},
            )
        )  # fmt: skip
        conn.execute(
            insert(sync_locks).values(
                store=prefix, entity_type="sales", holder="h", host="host", pid=1,
                acquired_at=now, expires_at=now + timedelta(minutes=5),
            )
        )  # fmt: skip


@pytest.fixture
def three_stores(supabase_project: Any, postgres_server: str) -> Iterator[Any]:
    """Three synced stores in one Supabase-like database; LIMITED may read only MINE."""
    from sync.simulator import SimulatorConfig, SimulatorServer

    ensure_limited_roles(postgres_server)
    ensure_dashboard_login(postgres_server)
    db_url = supabase_project.db_url
    config = SimulatorConfig(seed=3, scale="tiny", token="dev-token-{prefix}")
    with SimulatorServer(config, stores=list(STORES)) as sim:
        for prefix in STORES:
            env = {
                "DATABASE_URL": db_url,
                "LIGHTSPEED_BASE_URL": sim.api_url,
                "LIGHTSPEED_DOMAIN_PREFIX": prefix,
                "LIGHTSPEED_TOKEN": f"dev-token-{prefix}",
                "LIGHTSPEED_TIMEOUT_SECONDS": "5",
            }
            settings = load_settings(env, env_file=None)
            store = open_store(settings)
            store.ensure_state_rows()
            with store.sql.begin() as conn:  # type: ignore[union-attr]
                conn.execute(
                    text(
                        "INSERT INTO lightspeed_stores (prefix, name, added_at) "
                        "VALUES (:p, :p, now()) ON CONFLICT DO NOTHING"
                    ),
                    {"p": prefix},
                )
            assert all(r.status == "success" for r in Runner(settings, store).run())
            add_facts(store.sql, prefix)
            store.sql.dispose()  # type: ignore[union-attr]
    grant_stores(supabase_project.engine, LIMITED, [MINE])
    # Another role's limit (a role since dropped: it must match nobody, and raise nothing).
    with supabase_project.engine.begin() as conn:
        conn.execute(text("INSERT INTO store_readers VALUES ('lsync_rls_gone', 'beta')"))
    keys = {
        SERVICE_KEY: "service_role",
        READER_KEY: "dashboard_reader",
        ANON_KEY: "anon",
        LIMITED_KEY: LIMITED,
    }
    supabase_project.server.attach(db_url, keys)
    yield supabase_project


def store_tables(conn: psycopg.Connection) -> dict[str, str]:
    """Every table of ours holding store data, from the catalog, with its store column."""
    rows = conn.execute(
        "SELECT table_name FROM information_schema.columns "
        "WHERE table_schema = 'public' AND column_name = 'store' ORDER BY 1"
    ).fetchall()
    return {name: "store" for (name,) in rows} | {"lightspeed_stores": "prefix"}


def leaks(db_url: str, login: str, allowed: set[str], set_role: str | None = None) -> list[str]:
    """What `login` may read beyond `allowed`, table by table: rows of another store, a
    count that is not its stores' count, or a writer-only table it can read at all.

    Each table must hold at least two stores' rows (as the writer sees it), so that a
    filter that is missing shows."""
    problems = []
    with psycopg.connect(conninfo(db_url), autocommit=True) as writer:
        tables = store_tables(writer)
        with psycopg.connect(conninfo(login_url(db_url, login)), autocommit=True) as reader:
            if set_role:
                reader.execute(f"SET ROLE {set_role}")
            for table, column in tables.items():
                query = f"SELECT {column}, count(*) FROM {table} GROUP BY 1"
                if table in WRITER_ONLY:
                    try:
                        reader.execute(query)
                        problems.append(f"{table}: readable")
                    except psycopg.errors.InsufficientPrivilege:
                        pass
                    continue
                everything = dict(writer.execute(query).fetchall())
                if len(everything) < 2:
                    problems.append(f"{table}: only {sorted(everything)} hold rows")
                    continue
                seen = dict(reader.execute(query).fetchall())
                if set(seen) - allowed:
                    problems.append(f"{table}: rows of {sorted(set(seen) - allowed)}")
                total = reader.execute(f"SELECT count(*) FROM {table}").fetchone()
                mine = sum(n for s, n in everything.items() if s in allowed)
                if table != "store_readers" and total and total[0] != mine:
                    problems.append(f"{table}: count(*) {total[0]}, not {mine}")
    return problems


def test_a_limited_login_sees_only_its_stores_rows_and_counts_in_every_table(three_stores):
    db_url = three_stores.db_url
    assert leaks(db_url, LIMITED_LOGIN, {MINE}) == []
    with psycopg.connect(conninfo(login_url(db_url)), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM lightspeed_sales").fetchone()[0] > 0
        # The other store's alert notifications (no store column: through their incident).
        titles = [t for (t,) in conn.execute("SELECT title FROM alert_notifications")]
        assert titles == [f"{MINE} sales failing"]
        assert conn.execute("SELECT role, store FROM store_readers").fetchall() == [(LIMITED, MINE)]


def test_a_limited_login_keeps_its_limit_after_set_role_to_a_wider_role(three_stores):
    """The login is a member of dashboard_reader (through the limited role), so it may
    SET ROLE dashboard_reader: the limit follows the login, not only the current role."""
    for role in ("dashboard_reader", LIMITED):
        assert leaks(three_stores.db_url, LIMITED_LOGIN, {MINE}, set_role=role) == [], role


def test_the_check_finds_a_table_whose_policy_was_left_open(three_stores):
    """Proof that the test above covers every table: one open policy is named."""
    with psycopg.connect(conninfo(three_stores.db_url), autocommit=True) as conn:
        conn.execute("DROP POLICY dashboard_reader_select ON sync_rejects")
        conn.execute(
            "CREATE POLICY dashboard_reader_select ON sync_rejects FOR SELECT "
            "TO dashboard_reader USING (true)"
        )
    found = leaks(three_stores.db_url, LIMITED_LOGIN, {MINE})
    assert found == [
        "sync_rejects: rows of ['beta', 'gamma']",
        "sync_rejects: count(*) 3, not 1",
    ]


def test_an_unlimited_reader_and_the_writer_see_every_store(three_stores):
    from tests.support.dashboard_login import DASHBOARD_LOGIN

    everyone = set(STORES)
    problems = leaks(three_stores.db_url, DASHBOARD_LOGIN, everyone)
    assert problems == []
    engine = create_db_engine(dashboard_url(three_stores.db_url))
    try:
        assert [s.prefix for s in list_stores(engine)] == list(STORES)
    finally:
        engine.dispose()
    assert [s.prefix for s in list_stores(three_stores.engine)] == list(STORES)


def test_a_limited_login_cannot_queue_or_acknowledge_for_another_store(three_stores):
    with psycopg.connect(conninfo(login_url(three_stores.db_url))) as conn:
        conn.execute(
            "INSERT INTO sync_requests (store, entity_type, requested_by) "
            "VALUES (%s, 'all', 'cfo')",
            (MINE,),
        )
        conn.commit()
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "INSERT INTO sync_requests (store, entity_type, requested_by) "
                "VALUES ('beta', 'all', 'cfo')"
            )
        conn.rollback()
        acked = conn.execute(
            "UPDATE alert_incidents SET acknowledged_by = 'cfo' WHERE store <> %s", (MINE,)
        )
        assert acked.rowcount == 0
        assert conn.execute("UPDATE alert_incidents SET acknowledged_by = 'cfo'").rowcount == 1
        conn.commit()
    with three_stores.engine.connect() as conn:
        acknowledged = conn.execute(
            text("SELECT store FROM alert_incidents WHERE acknowledged_by = 'cfo'")
        ).all()
        queued = conn.execute(
            text("SELECT store FROM sync_requests WHERE requested_by = 'cfo'")
        ).all()
    assert acknowledged == [(MINE,)] and queued == [(MINE,)]


def test_a_limited_login_reads_only_its_stores_health(three_stores):
    engine = create_db_engine(login_url(three_stores.db_url))
    try:
        now = utcnow()
        assert [s.prefix for s in list_stores(engine)] == [MINE]
        mine = read_snapshot(engine, MINE, now)
        assert mine.states and any(mine.runs.values()) and mine.open_incidents
        other = read_snapshot(engine, "beta", now)
        assert not other.states and not any(other.runs.values())
        assert not other.open_incidents
    finally:
        engine.dispose()
    with psycopg.connect(conninfo(login_url(three_stores.db_url))) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute(
                "SELECT sync_read_model(now(), ARRAY['sales'], 5, 5, 1, ARRAY[]::text[], "
                "ARRAY['success'], ARRAY['success'], 'beta')"
            )


def test_no_view_or_definer_function_reaches_around_the_policies(three_stores):
    """A view or a SECURITY DEFINER function runs as its owner, whom RLS does not limit:
    the reader may call neither (trigger functions cannot be called)."""
    with psycopg.connect(conninfo(three_stores.db_url), autocommit=True) as conn:
        views = conn.execute(
            "SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace "
            "AND c.relkind IN ('v', 'm') AND has_table_privilege(%s, c.oid, 'SELECT')",
            (LIMITED,),
        ).fetchall()
        definers = conn.execute(
            "SELECT p.proname FROM pg_proc p WHERE p.pronamespace = 'public'::regnamespace "
            "AND p.prosecdef AND p.prorettype <> 'trigger'::regtype "
            "AND has_function_privilege(%s, p.oid, 'EXECUTE')",
            (LIMITED,),
        ).fetchall()
    assert views == [] and definers == []


def test_through_rest_a_limited_role_key_sees_only_its_store(three_stores):
    limited = create_client(three_stores.url, LIMITED_KEY)
    for table in ("lightspeed_sales", "sync_state", "sync_log", "alert_incidents",
                  "sync_requests", "reconciliations"):  # fmt: skip
        rows = limited.table(table).select("store").execute().data
        assert rows and {r["store"] for r in rows} == {MINE}, table
        counted = limited.table(table).select("store", count="exact", head=True).execute()
        service = create_client(three_stores.url, SERVICE_KEY)
        mine = service.table(table).select("store", count="exact", head=True).eq("store", MINE)
        assert counted.count == mine.execute().count, table
    stores = limited.table("lightspeed_stores").select("prefix").execute().data
    assert stores == [{"prefix": MINE}]
    asked = {"store": MINE, "entity_type": "sales", "requested_by": "cfo"}
    assert limited.table("sync_requests").insert(asked).execute().data
    with pytest.raises(APIError) as refused:
        limited.table("sync_requests").insert({**asked, "store": "beta"}).execute()
    assert refused.value.code == "42501"
    with pytest.raises(APIError):
        limited.table("lightspeed_store_tokens").select("*").execute()
    with pytest.raises(APIError):
        limited.rpc("sync_read_model", {"p_store": "beta"}).execute()

    reader = create_client(three_stores.url, READER_KEY)
    rows = reader.table("sync_state").select("store").execute().data
    assert {r["store"] for r in rows} == set(STORES)


def test_the_dashboard_offers_a_limited_login_only_its_stores(three_stores, monkeypatch, tmp_path):
    import streamlit as st

    from sync.dashboard import data, runtime

    monkeypatch.chdir(tmp_path)  # no .env
    monkeypatch.setenv("DATABASE_URL", three_stores.db_url)
    monkeypatch.setenv("DASHBOARD_DATABASE_URL", login_url(three_stores.db_url))
    monkeypatch.setenv("LIGHTSPEED_DOMAIN_PREFIX", "beta")  # a store it may not read
    monkeypatch.setenv("LIGHTSPEED_TOKEN", "dev-token-beta")
    # The .env user is logged in: a dashboard user with no store list of its own, so
    # only the database login limits what is offered.
    monkeypatch.setattr(runtime, "limit", lambda: None)
    monkeypatch.setattr(st, "session_state", {"authentication_status": True})
    st.cache_data.clear()
    try:
        assert [s.prefix for s in runtime.stores()] == [MINE]
        assert runtime.default_store() == MINE
        group = data.store_group()
        assert [g.prefix for g in group] == [MINE] and group[0].summary is not None

        monkeypatch.setenv("DASHBOARD_DATABASE_URL", dashboard_url(three_stores.db_url))
        st.cache_data.clear()
        assert [s.prefix for s in runtime.stores()] == list(STORES)
        assert runtime.default_store() == "beta"
    finally:
        st.cache_data.clear()


def test_the_policies_read_the_callers_stores_once_per_statement(three_stores):
    with psycopg.connect(conninfo(login_url(three_stores.db_url))) as conn:
        plan = "\n".join(r[0] for r in conn.execute("EXPLAIN SELECT count(*) FROM sync_log"))
    assert "InitPlan" in plan and "SubPlan" not in plan, plan


def test_the_migration_upgrades_a_database_holding_two_stores(pg_url, postgres_server):
    ensure_limited_roles(postgres_server)
    engine = create_db_engine(pg_url)
    try:
        assert migrate(engine, upto=17)[-1] == 17
        with engine.begin() as conn:
            for prefix in ("acme", "beta"):
                conn.execute(
                    text(
                        "INSERT INTO lightspeed_stores (prefix, name, added_at) "
                        "VALUES (:p, :p, now())"
                    ),
                    {"p": prefix},
                )
                conn.execute(
                    text(
                        "INSERT INTO sync_log (store, run_id, entity_type, action, trigger, "
                        "status, started_at) SELECT :p, 'r' || g, 'sales', 'incremental', "
                        "'schedule', 'success', now() FROM generate_series(1, 50) AS g"
                    ),
                    {"p": prefix},
                )
        assert migrate(engine)[0] == 18  # and whatever came after it
        grant_stores(engine, LIMITED, [MINE])
    finally:
        engine.dispose()
    with psycopg.connect(conninfo(login_url(pg_url))) as conn:
        seen = conn.execute("SELECT store, count(*) FROM sync_log GROUP BY 1").fetchall()
    assert seen == [(MINE, 50)]
