"""Migrations are versioned, idempotent and produce exactly the schema in sync/storage/schema/."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select

from sync.storage.migrations import migration_scripts
from sync.storage.schema import metadata, schema_migrations
from sync.storage.sql.db import create_db_engine, migrate, schema_version


def test_migrations_apply_once_and_match_the_schema(db_url):
    engine = create_db_engine(db_url)
    assert schema_version(engine) is None
    dialect = "postgres" if engine.dialect.name == "postgresql" else "sqlite"
    shipped = [version for version, _, _ in migration_scripts(dialect)]
    assert shipped == sorted(shipped) and shipped[:4] == [1, 2, 3, 4]
    assert migrate(engine) == shipped
    assert migrate(engine) == []
    assert schema_version(engine) == shipped[-1]
    inspector = inspect(engine)
    for table in metadata.sorted_tables:
        columns = {c["name"] for c in inspector.get_columns(table.name)}
        assert columns == {c.name for c in table.columns}, table.name
        indexes = {i["name"] for i in inspector.get_indexes(table.name)}
        assert {i.name for i in table.indexes} <= indexes, table.name
    with engine.connect() as conn:
        assert len(conn.execute(select(schema_migrations)).all()) == len(shipped)
    engine.dispose()


def test_sqlite_uses_wal_and_a_new_file_16_kib_pages(sqlite_url):
    engine = create_db_engine(sqlite_url)
    migrate(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == 16_384
        # The writer's own checkpoint comes after 160 MiB of WAL, whatever the page size.
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 10_240
    engine.dispose()


def test_a_sqlite_file_made_with_4_kib_pages_keeps_them_and_is_synced(
    tmp_path, simulator, settings_for
):
    """A database made before 16 KiB pages (SQLite's default 4 KiB) is not rewritten: it
    keeps its pages and its data, and the sync goes on writing it."""
    import sqlite3

    from sync.engine.runner import Runner
    from sync.storage.sql.store import Store

    path = tmp_path / "older.db"
    with sqlite3.connect(path) as older:
        older.execute("PRAGMA page_size=4096")
        older.execute("PRAGMA journal_mode=WAL")
        older.execute("CREATE TABLE kept (a)")
        older.execute("INSERT INTO kept VALUES (1)")
    url = f"sqlite:///{path}"
    engine = create_db_engine(url)
    migrate(engine)
    store = Store(engine)
    store.ensure_state_rows()
    results = Runner(settings_for(url, simulator.api_url), store).run()
    assert all(r.status == "success" for r in results)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == 4096
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 40_960
        assert conn.exec_driver_sql("SELECT a FROM kept").scalar() == 1
        assert conn.exec_driver_sql("SELECT count(*) FROM lightspeed_sales").scalar() > 0
    engine.dispose()


def test_a_migration_that_lands_out_of_order_is_still_applied(db_url):
    from sqlalchemy import delete

    from sync.storage.sql.db import pending_migrations

    engine = create_db_engine(db_url)
    migrate(engine)
    with engine.begin() as conn:  # a database migrated before 0004 was written
        conn.execute(delete(schema_migrations).where(schema_migrations.c.version == 4))
        conn.exec_driver_sql("DROP TABLE alert_notifications")
        conn.exec_driver_sql("DROP TABLE alert_incidents")
    assert pending_migrations(engine) == [4]
    assert migrate(engine) == [4]
    assert pending_migrations(engine) == []
    assert {"alert_incidents", "alert_notifications"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_0009_counts_the_runs_already_logged_and_leaves_running_ones_to_the_trigger(db_url):
    from datetime import UTC, datetime

    from sqlalchemy import insert, update

    from sync.storage.schema import sync_log, sync_run_totals
    from sync.storage.sql.db import pending_migrations
    from sync.storage.stores import StoreInfo

    engine = create_db_engine(db_url)
    assert migrate(engine, upto=8)[-1] == 8  # a database from before 0009, with history
    now = datetime.now(UTC)
    old = [("sales", "success")] * 3 + [("sales", "failed"), ("outlets", "running")]
    with engine.begin() as conn:
        conn.exec_driver_sql(
            "INSERT INTO sync_log (run_id, entity_type, action, trigger, status, started_at, "
            "records_upserted, records_deleted, records_rejected, api_calls, pages) "
            "VALUES "
            + ", ".join(
                f"('r{n}', '{e}', 'incremental', 'schedule', '{s}', "
                f"'{now:%Y-%m-%d %H:%M:%S}', 0, 0, 0, 0, 0)"
                for n, (e, s) in enumerate(old)
            )
        )
    assert pending_migrations(engine)[0] == 9
    assert migrate(engine, upto=9) == [9]
    with engine.begin() as conn:
        counted = select(
            sync_run_totals.c.entity_type, sync_run_totals.c.status, sync_run_totals.c.runs
        )
        seeded = {(r.entity_type, r.status): r.runs for r in conn.execute(counted)}
    assert seeded == {("sales", "success"): 3, ("sales", "failed"): 1}
    migrate(engine, StoreInfo("acme", "Acme", "token", None))  # 0016: the totals are acme's
    with engine.begin() as conn:
        conn.execute(
            update(sync_log).where(sync_log.c.status == "running").values(status="interrupted")
        )
        conn.execute(
            insert(sync_log).values(
                run_id="x",
                store="acme",
                entity_type="sales",
                action="backfill",
                trigger="cli",
                status="success",
                started_at=now,
            )
        )
        after = {
            (r.store, r.entity_type, r.status): r.runs
            for r in conn.execute(select(sync_run_totals))
        }
    assert after == {
        ("acme", "sales", "success"): 4,
        ("acme", "sales", "failed"): 1,
        ("acme", "outlets", "interrupted"): 1,
    }
    engine.dispose()


def test_vocabulary_columns_refuse_words_outside_the_vocabulary(store):
    from datetime import UTC, datetime

    from sqlalchemy import insert, update
    from sqlalchemy.exc import IntegrityError

    from sync.storage.schema import sync_log, sync_requests

    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    run = {"run_id": "r", "entity_type": "sales", "action": "incremental", "trigger": "cli"}
    with store.engine.begin() as conn:
        conn.execute(
            insert(sync_log).values(store="default", **run, status="running", started_at=now)
        )
    for values in ({"status": "done"}, {"status": "success", "trigger": "cron"}):
        with pytest.raises(IntegrityError, match="ck_sync_log_"), store.engine.begin() as conn:
            conn.execute(
                insert(sync_log).values(store="default", **{**run, **values}, started_at=now)
            )
    with pytest.raises(IntegrityError, match="ck_sync_log_status"), store.engine.begin() as conn:
        conn.execute(update(sync_log).values(status="finished"))
    with pytest.raises(IntegrityError, match="ck_sync_requests_status"):
        with store.engine.begin() as conn:
            conn.execute(
                insert(sync_requests).values(
                    store="default", entity_type="all", requested_at=now, status="new"
                )
            )
