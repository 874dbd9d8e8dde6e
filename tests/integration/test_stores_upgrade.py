"""Migration 0016 on a database filled at 0015: every row moves to the first store.

The database is built at migration 0015 and filled with a real copy (rows synced by the
product into a scratch database, written without their store), plus a request, a lease and
an incident. `migrate` with today's settings then puts everything under the configured store
in one transaction, counts unchanged, and the next incremental run is exact.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import Column, Engine, MetaData, Table, func, insert, select

from sync.engine.runner import Runner
from sync.errors import SyncError
from sync.runs import utcnow
from sync.storage.migrations import MIGRATIONS_DIR
from sync.storage.schema import (
    ENTITY_TABLES,
    alert_incidents,
    lightspeed_app_tokens,
    lightspeed_stores,
    reconciliations,
    sync_locks,
    sync_log,
    sync_rejects,
    sync_requests,
    sync_run_totals,
    sync_state,
)
from sync.storage.sql.db import create_db_engine, migrate, pending_migrations
from sync.storage.sql.store import Store
from sync.storage.stores import StoreInfo, configured_store
from tests.conftest import make_settings
from tests.support.compare import diff_all

PER_STORE = (
    *ENTITY_TABLES.values(),
    sync_state,
    sync_log,
    sync_requests,
    sync_rejects,
    sync_locks,
    reconciliations,
    alert_incidents,
    sync_run_totals,
)
COPIED = (*ENTITY_TABLES.values(), sync_state, sync_log)


# Columns later migrations added: store (0016) and sync_log.stores_at_once (0021).
AFTER_0015 = frozenset({"store", "stores_at_once"})


def before_0016(table: Table) -> Table:
    """`table` as migration 0015 left it: no store column (nor any later one)."""
    columns: list[Column[Any]] = [c._copy() for c in table.columns if c.name not in AFTER_0015]
    return Table(table.name, MetaData(), *columns)


def synced_rows(simulator: Any, path: Path) -> dict[str, list[dict[str, Any]]]:
    """A real copy of the simulator, made by the product in a scratch SQLite database."""
    url = f"sqlite:///{path}"
    engine = create_db_engine(url)
    migrate(engine)
    store = Store(engine)
    store.ensure_state_rows()
    Runner(make_settings(url, simulator.api_url), store).run()
    with engine.connect() as conn:
        rows = {t.name: [dict(r._mapping) for r in conn.execute(select(t))] for t in COPIED}
    engine.dispose()
    for table_rows in rows.values():
        for row in table_rows:
            for column in AFTER_0015 & row.keys():
                del row[column]
    for row in rows[sync_log.name]:
        del row["id"]  # the identity column numbers them (Postgres' sequence moves on)
    return rows


def fill_at_0015(engine: Engine, rows: dict[str, list[dict[str, Any]]]) -> None:
    now = utcnow()
    with engine.begin() as conn:
        for table in COPIED:
            if rows[table.name]:
                conn.execute(insert(before_0016(table)), rows[table.name])
        conn.execute(
            insert(before_0016(sync_requests)).values(
                entity_type="sales", requested_by="cfo", requested_at=now, status="queued"
            )
        )
        conn.execute(
            insert(before_0016(sync_locks)).values(
                entity_type="alerts",
                holder="h",
                host="x",
                pid=1,
                acquired_at=now,
                expires_at=now + timedelta(minutes=5),
            )
        )
        incident = {"rule": "stale", "entity": "sales", "status": "open", "severity": "warning"}
        conn.execute(
            insert(before_0016(alert_incidents)).values(
                **incident,
                title="t",
                message="m",
                since=now,
                opened_at=now,
                last_seen_at=now,
            )
        )
        conn.execute(
            insert(before_0016(reconciliations)).values(
                run_id="rec-1",
                entity_type="customers",
                scope="all",
                measure="records",
                status="matched",
                checked_at=now,
            )
        )
        conn.execute(
            insert(before_0016(sync_rejects)).values(
                run_id="r", entity_type="products", reason="bad", rejected_at=now
            )
        )


def counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: int(conn.scalar(select(func.count()).select_from(t)) or 0) for t in PER_STORE
        }


def test_an_upgrade_puts_every_row_under_the_first_store_and_the_next_run_is_exact(
    db_url, simulator, tmp_path
):
    rows = synced_rows(simulator, tmp_path / "scratch.db")
    engine = create_db_engine(db_url)
    assert migrate(engine, upto=15)[-1] == 15
    fill_at_0015(engine, rows)
    with engine.begin() as conn:  # connected as an app: 0008's one token row holds tokens
        conn.exec_driver_sql(
            "UPDATE lightspeed_app_tokens SET access_token = 'a-1', refresh_token = 'r-1', "
            "domain_prefix = 'acme', expires_at = 1 WHERE id = 1"
        )
    with engine.connect() as conn:
        before = {
            t.name: int(conn.scalar(select(func.count()).select_from(before_0016(t))) or 0)
            for t in PER_STORE
        }
    assert all(before.values()), before

    settings = make_settings(
        db_url, simulator.api_url, LIGHTSPEED_DOMAIN_PREFIX="acme", STORE_NAME="Acme Ltd"
    )
    assert migrate(engine, configured_store(settings))[:3] == [16, 17, 18]
    assert counts(engine) == before
    with engine.connect() as conn:
        for table in PER_STORE:
            stores = set(conn.scalars(select(table.c.store).distinct()))
            assert stores == {"acme"}, table.name
        [row] = conn.execute(select(lightspeed_stores)).all()
        tokens = conn.execute(
            select(lightspeed_app_tokens.c.store, lightspeed_app_tokens.c.refresh_token)
        ).all()
    assert (row.prefix, row.name, row.connection, row.enabled) == (
        "acme",
        "Acme Ltd",
        "token",
        True,
    )
    assert tokens == [("acme", "r-1")]

    # Today's settings keep working: the next run is incremental and exact.
    simulator.mutate(new_sales=4, update_products=2, stock_changes=3, remove_line_items=1)
    store = Store(engine, prefix=settings.store_prefix)
    results = Runner(settings, store).run()
    assert {r.status for r in results} == {"success"}
    assert diff_all(engine, simulator, store="acme") == []
    with engine.connect() as conn:
        latest = conn.execute(
            select(sync_log.c.version_from, sync_log.c.records_upserted)
            .where(sync_log.c.entity_type == "sales")
            .order_by(sync_log.c.id.desc())
            .limit(1)
        ).one()
    assert latest.version_from > 0 and 0 < latest.records_upserted < len(rows["lightspeed_sales"])
    assert set(counts(engine).values()) != {0}
    assert migrate(engine, configured_store(settings)) == []  # idempotent
    engine.dispose()


def test_an_upgrade_that_does_not_know_the_store_of_the_data_stops_and_says_so(db_url):
    engine = create_db_engine(db_url)
    migrate(engine, upto=15)
    fill_at_0015(engine, {t.name: [] for t in COPIED})
    with engine.begin() as conn:
        conn.execute(
            insert(before_0016(ENTITY_TABLES["outlets"])).values(
                id="o-1", version=1, raw={"id": "o-1"}, synced_at=utcnow()
            )
        )
    with engine.begin() as conn:  # 0008's empty token row is no store's data
        assert conn.exec_driver_sql("SELECT count(*) FROM lightspeed_app_tokens").scalar() == 1
    with pytest.raises(SyncError, match="must know which store") as caught:
        migrate(engine)
    assert caught.value.kind == "CONFIG"
    assert "LIGHTSPEED_DOMAIN_PREFIX" in (caught.value.recovery or "")
    assert pending_migrations(engine)[:3] == [16, 17, 18]  # nothing half done
    assert migrate(engine, StoreInfo("acme", "acme", "token", None))[:3] == [16, 17, 18]
    with engine.connect() as conn:
        assert conn.execute(select(lightspeed_app_tokens)).all() == []
    engine.dispose()


def test_each_store_keeps_its_own_app_tokens(db_url):
    from sync.lightspeed.oauth import TokenSet
    from sync.storage.sql.tokens import SqlTokenStore

    engine = create_db_engine(db_url)
    migrate(engine)
    for prefix in ("acme", "beta"):
        tokens = TokenSet(f"a-{prefix}", f"r-{prefix}", 100, 1, prefix, "sales:read")
        SqlTokenStore(engine, store=prefix).connect(tokens, utcnow())
    acme, beta = (SqlTokenStore(engine, store=p) for p in ("acme", "beta"))
    assert SqlTokenStore(engine, store="gamma").load() is None
    with acme.locked() as row:
        current = row.read()
        assert current is not None and current.refresh_token == "r-acme"
        row.write(TokenSet("a-2", "r-acme-2", 200, 2, "acme", "sales:read"))
    loaded = acme.load(), beta.load()
    assert [t.refresh_token for t in loaded if t] == ["r-acme-2", "r-beta"]
    assert beta.connected_at() is not None
    engine.dispose()


@pytest.mark.postgres
def test_the_supabase_script_asks_for_the_first_store_when_the_data_has_no_owner(pg_url):
    """In the SQL editor (no `migrate`), 0016 on a project with data stops with a hint."""
    engine = create_db_engine(pg_url)
    migrate(engine, upto=15)
    fill_at_0015(engine, {t.name: [] for t in COPIED})
    engine.dispose()
    script = (MIGRATIONS_DIR / "0016_stores.postgres.sql").read_text()
    with psycopg.connect(pg_url.replace("+psycopg", "")) as conn:
        with pytest.raises(psycopg.errors.InvalidParameterValue, match="which store") as caught:
            conn.execute(script)
        assert "lightspeed.first_store" in (caught.value.diag.message_hint or "")
        conn.rollback()
        conn.execute("SELECT set_config('lightspeed.first_store', 'acme', false)")
        conn.execute(script)
        conn.commit()
        stores = conn.execute("SELECT DISTINCT store FROM sync_requests").fetchall()
        assert stores == [("acme",)]
        assert conn.execute("SELECT prefix FROM lightspeed_stores").fetchall() == [("acme",)]
