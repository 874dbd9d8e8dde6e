"""The API's queries are bounded in time on both databases, so a stuck query cannot hang it."""

from __future__ import annotations

import time

import pytest

from sync.errors import ErrorKind, SyncError
from sync.storage.sql.bounded import api_engine
from sync.storage.sql.db import database_errors

SLOW = {
    "postgresql": "SELECT pg_sleep(3)",
    # A recursive count to 50 million: seconds of work for SQLite.
    "sqlite": "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000000)"
    " SELECT count(*) FROM n",
}


def test_a_slow_statement_is_cancelled_after_the_timeout(db_url):
    engine = api_engine(db_url, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(SyncError) as caught, database_errors(db_url), engine.connect() as conn:
        conn.exec_driver_sql(SLOW[engine.dialect.name]).all()
    assert time.monotonic() - started < 2.5
    assert caught.value.kind is ErrorKind.DATABASE
    with engine.connect() as conn:  # the next statement gets its own time
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    engine.dispose()
