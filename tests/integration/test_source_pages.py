"""Postgres maps plain pages itself: the same rows as the Python mapping, and it is used."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select

from sync.engine import pages as page_writes
from sync.engine.decode import Decoding, Page, decode_list
from sync.engine.runner import Runner
from sync.entities import CUSTOMERS, SALES, EntitySpec, map_page
from sync.lightspeed.transport import RawPage
from sync.runs import utcnow
from sync.storage.position import PagePosition
from sync.storage.runlog import RunInfo
from sync.storage.schema import ENTITY_TABLES, sync_state
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store
from tests.conftest import create_pg_database
from tests.support.compare import diff_all

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


def _sale(sale_id: str, version: int, **extra: Any) -> dict[str, Any]:
    return {
        "id": sale_id,
        "version": version,
        "outlet_id": "o-1",
        "sale_date": "2024-10-22T07:00:37+00:00",
        "total_price": 28.08,
        "total_tax": 5.9000,
        "total_price_incl": 1e5,
        "line_items": [
            {"id": f"{sale_id}-a", "quantity": 2.00000, "price": 7.4380200000, "is_return": False},
            {"id": f"{sale_id}-b", "quantity": -1, "price": "", "is_return": None, "note": "ü"},
        ],
        **extra,
    }


# Values at the edges of what a plain page holds: naive, Z and offset timestamps,
# fractional seconds, "" for null, integers and exponents for money, a repeated id.
SALES_PAGE = [
    _sale("s-1", 10),
    _sale("s-2", 11, sale_date="2024-10-22T07:00:37", created_at="2024-01-01T00:00:00.5Z"),
    _sale("s-3", 12, sale_date="2024-10-22T23:30:00.123456+05:30", total_tax=""),
    _sale("s-4", 13, deleted_at="2025-01-01T00:00:00Z", line_items=None, total_price=-0.10),
    _sale("s-5", 14, deleted_at="", note="", return_for=None, total_price=123456789012345678),
    _sale("s-1", 9, total_price=1.0),  # an older repeat: the version 10 above wins
    _sale("s-6", 15, line_items=[]),
]
CUSTOMERS_PAGE = [
    {"id": "c-1", "version": 1, "enable_loyalty": True, "do_not_email": "", "balance": 0},
    {"id": "c-2", "version": 2, "enable_loyalty": False, "year_to_date": 1.5e-3},
    {"id": "c-3", "version": 3, "updated_at": "2024-02-29T12:00:00-08:00", "name": "Zoë"},
]


@pytest.fixture
def two_stores(pg_url: str, postgres_server: str):
    """One store mapping pages in SQL (COPY method), one mapping them in Python (VALUES)."""
    other_url, drop = create_pg_database(postgres_server)
    stores = []
    for url, method in ((pg_url, "copy"), (other_url, "values")):
        engine = create_db_engine(url)
        with engine.begin() as conn:  # naive source timestamps must still be read as UTC
            name = engine.url.database
            conn.exec_driver_sql(f"ALTER DATABASE \"{name}\" SET TimeZone = 'America/New_York'")
        engine.dispose()
        migrate(engine)
        store = Store(engine, pg_method=method)
        store.ensure_state_rows()
        stores.append(store)
    yield stores
    for store in stores:
        store.engine.dispose()
    drop()


def _plain(spec: EntitySpec, body: bytes) -> Page:
    """The page as the engine decodes it for a store that maps JSON; it must be plain."""
    page = decode_list(RawPage(spec.path, body), spec, Decoding(keep_source=True))
    assert page.source == body, "not plain"
    return page


def _rows(store: Store, name: str) -> list[dict[str, Any]]:
    table = ENTITY_TABLES[name]
    with store.engine.connect() as conn:
        rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
    return [dict(r._mapping) for r in rows]


@pytest.mark.parametrize("spec, records", [(SALES, SALES_PAGE), (CUSTOMERS, CUSTOMERS_PAGE)])
def test_sql_mapping_gives_the_rows_of_the_python_mapping(two_stores, spec, records):
    in_sql, in_python = two_stores
    page = _plain(spec, json.dumps({"data": records}).encode())
    assert in_sql.maps_source_pages and not in_python.maps_source_pages
    info = RunInfo("r", "full", "cli", "test")
    trackers = {}
    for store in (in_sql, in_python):
        trackers[store] = store.start_run(info, entities=spec.state_names, version_from=0, now=NOW)
    assert in_sql.write_source_page(
        spec, page.source, PagePosition(99, "r", trackers[in_sql], NOW, store=in_sql.prefix)
    )
    in_python.write_page(
        spec,
        map_page(spec, page.rows, NOW),
        PagePosition(99, "r", trackers[in_python], NOW, store=in_python.prefix),
    )
    for name in spec.state_names:
        expected = _rows(in_python, name)
        assert expected, name
        assert _rows(in_sql, name) == expected
    totals = [[(t.upserted, t.deleted, t.pages) for t in trackers[s]] for s in two_stores]
    assert totals[0] == totals[1]
    with in_sql.engine.connect() as conn:
        assert (
            conn.scalar(
                select(sync_state.c.cursor_version).where(sync_state.c.entity_type == spec.name)
            )
            == 99
        )


def test_an_older_version_never_replaces_a_newer_row_or_its_line_items(two_stores):
    store = two_stores[0]
    trackers = store.start_run(
        RunInfo("r", "full", "cli", "test"), entities=SALES.state_names, version_from=0, now=NOW
    )
    newer = _plain(SALES, json.dumps([_sale("s-1", 20, total_price=2.5)]).encode())
    older = _plain(SALES, json.dumps([_sale("s-1", 19, line_items=[]), _sale("s-2", 1)]).encode())
    for page in (newer, older):
        assert store.write_source_page(
            SALES, page.source, PagePosition(None, "r", trackers, NOW, store=store.prefix)
        )
    sales = {r["id"]: r for r in _rows(store, "sales")}
    assert sales["s-1"]["version"] == 20 and str(sales["s-1"]["total_price"]) == "2.5"
    assert sorted(r["id"] for r in _rows(store, "sale_line_items")) == [
        "s-1-a",
        "s-1-b",
        "s-2-a",
        "s-2-b",
    ]
    assert trackers[0].upserted == 2  # s-1 (20), then s-2 only


@pytest.fixture(params=["postgres", "supabase-rest"])
def sql_mapping_store(request, pg_url):
    """A store whose database maps plain pages: direct Postgres, or through the REST API."""
    if request.param == "supabase-rest":
        from tests.conftest import open_rest_store

        store = open_rest_store(request.getfixturevalue("supabase_project"))
        store.ensure_state_rows()
        yield store
        store.close()
        return
    engine = create_db_engine(pg_url)
    migrate(engine)
    store = Store(engine)
    store.ensure_state_rows()
    yield store
    engine.dispose()


def import_without_python_mapping(store: Store, settings: Any, simulator: Any, monkeypatch) -> None:
    """Full, incremental and full-again runs with the Python mapping forbidden; each copy exact."""

    def forbidden(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a plain page was mapped in Python")

    monkeypatch.setattr(page_writes, "map_page", forbidden)
    assert all(r.status == "success" for r in Runner(settings, store).run())
    assert diff_all(store.engine, simulator) == []
    simulator.mutate(
        new_sales=5,
        update_sales=4,
        remove_line_items=3,
        delete_sales=1,
        update_customers=2,
        delete_customers=1,
        stock_changes=3,
    )
    assert all(r.status == "success" for r in Runner(settings, store).run())
    assert diff_all(store.engine, simulator) == []
    assert Runner(settings, store).run(full=True)[0].status == "success"
    assert diff_all(store.engine, simulator) == []


def test_an_import_maps_every_plain_page_in_sql(
    sql_mapping_store, pg_url, simulator, settings_for, monkeypatch
):
    """Full and incremental runs never call the Python mapping, and the copy is exact."""
    settings = settings_for(pg_url, simulator.api_url, SYNC_PAGE_SIZE="40")
    import_without_python_mapping(sql_mapping_store, settings, simulator, monkeypatch)


def test_a_page_postgres_refuses_is_mapped_in_python_and_only_the_bad_record_rejected(
    sql_mapping_store,
):
    """A NUL inside a plain record's untyped field: Postgres refuses, Python screens it."""
    store = sql_mapping_store
    body = json.dumps({"data": [_sale("s-1", 1, odd="a\u0000b"), _sale("s-2", 2)]}).encode()
    page = _plain(SALES, body)
    trackers = store.start_run(
        RunInfo("r", "full", "cli", "test"), entities=SALES.state_names, version_from=0, now=NOW
    )
    mapped_in_sql = page_writes.write_page(
        store, SALES, page, PagePosition(2, "r", trackers, utcnow(), store=store.prefix)
    )
    assert not mapped_in_sql
    sales = {r["id"]: r for r in _rows(store, "sales")}
    assert sorted(sales) == ["s-1", "s-2"]
    assert sales["s-1"]["raw"]["odd"] == "ab"  # the screen removed the NUL, as documented
    assert trackers[0].upserted == 2 and trackers[0].pages == 1
