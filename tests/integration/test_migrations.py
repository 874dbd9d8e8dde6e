"""Migrations are versioned, idempotent and produce exactly the schema in sync/storage/schema.py."""

from __future__ import annotations

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
