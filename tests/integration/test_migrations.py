"""Migrations are versioned, idempotent and produce exactly the schema in sync/storage/schema.py."""

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


def test_sqlite_uses_wal(sqlite_url):
    engine = create_db_engine(sqlite_url)
    migrate(engine)
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
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

    from sqlalchemy import delete, insert, update

    from sync.storage.schema import sync_log, sync_run_totals
    from sync.storage.sql.db import pending_migrations

    engine = create_db_engine(db_url)
    migrate(engine)
    with engine.begin() as conn:  # a database from before 0009, with history
        conn.execute(delete(schema_migrations).where(schema_migrations.c.version == 9))
        conn.exec_driver_sql("DROP TABLE sync_run_totals")
        on_table = " ON sync_log" if engine.dialect.name == "postgresql" else ""
        conn.exec_driver_sql(f"DROP TRIGGER sync_log_count_finished{on_table}")
        conn.exec_driver_sql(f"DROP TRIGGER sync_log_count_inserted{on_table}")
        conn.exec_driver_sql("DROP INDEX ix_sync_log_entity_status_started")
        for column in ("peak_rss_bytes", "api_ms_mean", "api_ms_p95", "api_retries"):
            conn.exec_driver_sql(f"ALTER TABLE sync_log DROP COLUMN {column}")
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
    assert pending_migrations(engine) == [9]
    assert migrate(engine) == [9]
    with engine.begin() as conn:
        seeded = {(r.entity_type, r.status): r.runs for r in conn.execute(select(sync_run_totals))}
        assert seeded == {("sales", "success"): 3, ("sales", "failed"): 1}
        conn.execute(
            update(sync_log).where(sync_log.c.status == "running").values(status="interrupted")
        )
        conn.execute(
            insert(sync_log).values(
                run_id="x",
                entity_type="sales",
                action="backfill",
                trigger="cli",
                status="success",
                started_at=now,
            )
        )
        after = {(r.entity_type, r.status): r.runs for r in conn.execute(select(sync_run_totals))}
    assert after == {**seeded, ("outlets", "interrupted"): 1, ("sales", "success"): 4}
    engine.dispose()


def test_vocabulary_columns_refuse_words_outside_the_vocabulary(store):
    from datetime import UTC, datetime

    from sqlalchemy import insert, update
    from sqlalchemy.exc import IntegrityError

    from sync.storage.schema import sync_log, sync_requests

    now = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    run = {"run_id": "r", "entity_type": "sales", "action": "incremental", "trigger": "cli"}
    with store.engine.begin() as conn:
        conn.execute(insert(sync_log).values(**run, status="running", started_at=now))
    for values in ({"status": "done"}, {"status": "success", "trigger": "cron"}):
        with pytest.raises(IntegrityError, match="ck_sync_log_"), store.engine.begin() as conn:
            conn.execute(insert(sync_log).values(**{**run, **values}, started_at=now))
    with pytest.raises(IntegrityError, match="ck_sync_log_status"), store.engine.begin() as conn:
        conn.execute(update(sync_log).values(status="finished"))
    with pytest.raises(IntegrityError, match="ck_sync_requests_status"):
        with store.engine.begin() as conn:
            conn.execute(
                insert(sync_requests).values(entity_type="all", requested_at=now, status="new")
            )
