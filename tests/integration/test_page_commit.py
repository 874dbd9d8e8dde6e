"""A page whose COMMIT fails is not counted: sync_log matches what the database kept."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from sync.engine.runner import Runner
from sync.storage.schema import ENTITY_TABLES, sync_log
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)

# A deferred constraint trigger: the INSERTs succeed, the COMMIT fails.
FAIL_AT_COMMIT = """
CREATE FUNCTION test_fail_at_commit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'commit refused by a test trigger'; END $$;
CREATE CONSTRAINT TRIGGER test_fail_at_commit AFTER INSERT ON lightspeed_outlets
DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_fail_at_commit();
"""


def test_a_page_whose_commit_fails_is_not_counted_in_sync_log(pg_url, simulator, settings_for):
    engine = create_db_engine(pg_url)
    migrate(engine)
    store = Store(engine)
    store.ensure_state_rows()
    with engine.begin() as conn:
        conn.exec_driver_sql(FAIL_AT_COMMIT)
    settings = settings_for(pg_url, simulator.api_url)
    [result] = Runner(settings, store).run(entities=["outlets"])
    assert result.status == "failed" and result.upserted == 0
    with engine.connect() as conn:
        kept = conn.scalar(select(func.count()).select_from(ENTITY_TABLES["outlets"]))
        log = conn.execute(select(sync_log).where(sync_log.c.run_id == result.run_id)).one()
    assert kept == 0
    assert (log.status, log.records_upserted, log.pages) == ("failed", 0, 0)
    assert store.cursor("outlets") == 0
    engine.dispose()
