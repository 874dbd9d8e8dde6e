"""api_key_stores (migration 0019) under Postgres roles: the API's login (sync_api) reads a
key's stores; the dashboard's login (dashboard_reader) cannot read or change them, and
neither can the API's. Proven with real logins."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import insert

from sync.runs import utcnow
from sync.storage.schema import lightspeed_stores
from sync.storage.sql.api_keys import check_key, create_key
from sync.storage.sql.db import create_db_engine, migrate
from tests.support.api_login import api_url
from tests.support.dashboard_login import dashboard_url

pytestmark = pytest.mark.postgres


def refused(url: str, statement: str) -> bool:
    try:
        with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
            conn.execute(statement)
    except psycopg.errors.InsufficientPrivilege:
        return True
    return False


def test_the_api_role_reads_a_keys_stores_and_no_reader_changes_them(pg_url, reader_logins):
    engine = create_db_engine(pg_url)
    try:
        migrate(engine)
        with engine.begin() as conn:
            conn.execute(
                insert(lightspeed_stores).values(
                    prefix="beta", name="beta", connection="token", added_at=utcnow()
                )
            )
        _, key = create_key(engine, "franchise", admin=False, now=utcnow(), stores=["beta"])
    finally:
        engine.dispose()
    api = create_db_engine(api_url(pg_url))
    try:
        found = check_key(api, key)
    finally:
        api.dispose()
    assert found is not None and found.stores == frozenset({"beta"})
    for url in (api_url(pg_url), dashboard_url(pg_url)):
        assert refused(url, "DELETE FROM api_key_stores"), url
        assert refused(url, "INSERT INTO api_key_stores (key_id, store) VALUES (1, 'x')"), url
    assert refused(dashboard_url(pg_url), "SELECT store FROM api_key_stores")
