"""The run-now queue flooded with the dashboard's role: 1,000 requests are capped at 30 an
hour per requester, merged duplicates count once, and oversized text is refused, all by the
database itself."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import func, select

from sync.errors import ErrorKind, SyncError
from sync.runs import utcnow
from sync.storage.queueing import MAX_REQUESTS_PER_HOUR
from sync.storage.schema import sync_requests
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.queue import request_sync
from tests.support.dashboard_login import dashboard_url, ensure_dashboard_login


@pytest.fixture
def reader(pg_url, postgres_server) -> str:
    engine = create_db_engine(pg_url)
    migrate(engine)
    engine.dispose()
    ensure_dashboard_login(postgres_server)
    return dashboard_url(pg_url).replace("+psycopg", "")


def insert(conn: psycopg.Connection, who: str | None, reason: str | None = None) -> bool:
    try:
        conn.execute(
            "INSERT INTO sync_requests (store, entity_type, requested_by, reason) "
            "VALUES ('default', 'sales', %s, %s)",
            (who, reason),
        )
    except psycopg.errors.CheckViolation:
        return False
    return True


@pytest.mark.postgres
def test_a_thousand_requests_from_the_dashboard_role_are_capped(reader):
    with psycopg.connect(reader, autocommit=True) as conn:
        accepted = sum(insert(conn, "cfo") for _ in range(1000))
        assert accepted == MAX_REQUESTS_PER_HOUR
        assert sum(insert(conn, None) for _ in range(40)) == MAX_REQUESTS_PER_HOUR
        ((count,),) = conn.execute("SELECT count(*) FROM sync_requests").fetchall()
    assert count == 2 * MAX_REQUESTS_PER_HOUR


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("who", "reason", "message"),
    [("cfo", "r" * 100_000, "reason is at most 500"), ("x" * 101, None, "at most 100")],
    ids=["reason-100kb", "requested-by"],
)
def test_oversized_text_is_refused(reader, who, reason, message):
    with psycopg.connect(reader, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.CheckViolation, match=message):
            conn.execute(
                "INSERT INTO sync_requests (store, entity_type, requested_by, reason) "
                "VALUES ('default', 'sales', %s, %s)",
                (who, reason),
            )


def test_merged_duplicates_count_once_and_the_cap_is_one_sentence(db_url, request):
    engine = create_db_engine(db_url)
    migrate(engine)
    url = db_url
    if db_url.startswith("postgresql"):
        ensure_dashboard_login(request.getfixturevalue("postgres_server"))
        url = dashboard_url(db_url)
    reader = create_db_engine(url, readonly=True)
    for _ in range(200):  # the same press, again and again: one request
        request_sync(reader, "default", "sales", requested_by="cfo", reason=None, now=utcnow())
    entities = ["all", "customers", "inventory", "outlets", "products", "sales"]
    refused: list[SyncError] = []
    for i in range(60):
        with engine.begin() as conn:  # the scheduler finishes each one
            conn.execute(sync_requests.update().values(status="done"))
        try:
            request_sync(
                reader, "default", entities[i % 6], requested_by="cfo", reason=None, now=utcnow()
            )
        except SyncError as exc:
            refused.append(exc)
    with engine.connect() as conn:
        count = conn.scalar(select(func.count()).select_from(sync_requests))
    assert count == MAX_REQUESTS_PER_HOUR
    assert len(refused) == 60 - (MAX_REQUESTS_PER_HOUR - 1)
    assert all(e.kind is ErrorKind.RATE_LIMIT for e in refused)
    assert (
        refused[0].message.startswith("Too many run-now requests")
        and "\n" not in refused[0].message
    )
    reader.dispose()
    engine.dispose()


def test_every_backend_refuses_the_31st_request_of_the_hour_in_one_sentence(
    every_store, every_db_url
):
    engine = create_db_engine(every_db_url)
    outcomes: list[str] = []
    for _ in range(MAX_REQUESTS_PER_HOUR + 1):
        with engine.begin() as conn:  # the scheduler finishes each one
            conn.execute(sync_requests.update().values(status="done"))
        try:
            every_store.request_sync("sales", requested_by="ops", reason=None, now=utcnow())
            outcomes.append("queued")
        except SyncError as exc:
            assert exc.kind is ErrorKind.RATE_LIMIT
            outcomes.append(exc.message)
    engine.dispose()
    assert outcomes[:-1] == ["queued"] * MAX_REQUESTS_PER_HOUR
    assert outcomes[-1] == (
        "Too many run-now requests by one requester (30 an hour at most): wait a while, "
        "then ask again."
    )
