"""Page writes on real SQLite and Postgres: exact money, versions, line-item replacement."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from sync.entities import PRODUCTS, SALES, map_page
from sync.storage.position import PagePosition
from sync.storage.runlog import Outcome, RunInfo
from sync.storage.schema import ENTITY_TABLES, sync_log, sync_state
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store
from tests.conftest import open_rest_store

NOW = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def sale(sale_id: str, version: int, lines: list[tuple[str, str]], **extra) -> dict:
    text = json.dumps(
        {
            "id": sale_id,
            "version": version,
            "status": "CLOSED",
            "state": "closed",
            "sale_date": "2025-11-25T13:44:45+00:00",
            "total_price": "PLACEHOLDER",
            "line_items": [{"id": i, "product_id": "p", "price_total": "P" + p} for i, p in lines],
            **extra,
        }
    )
    # Build the JSON text with literal numbers, then parse it the way the client does.
    text = text.replace('"PLACEHOLDER"', "20.6611600000")
    for _, p in lines:
        text = text.replace(f'"P{p}"', p)
    return json.loads(text, parse_float=Decimal)


def write(store: Store, spec, records, cursor: int) -> None:
    trackers = store.start_run(
        RunInfo("r1", "incremental", "cli", "t"), entities=spec.state_names, version_from=0, now=NOW
    )
    store.write_page(
        spec,
        map_page(spec, records, NOW),
        PagePosition(cursor, "r1", trackers, NOW, store=store.prefix),
    )
    store.finish_run(spec, trackers, Outcome("success"), started_at=NOW, now=NOW)


def lines_of(store: Store, sale_id: str) -> dict[str, Decimal]:
    table = ENTITY_TABLES["sale_line_items"]
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(table.c.id, table.c.price_total).where(table.c.sale_id == sale_id)
        ).all()
    return dict(rows)


@pytest.fixture(
    params=[
        ("sqlite", "values"),
        pytest.param(("postgres", "copy"), marks=pytest.mark.postgres),
        pytest.param(("postgres", "values"), marks=pytest.mark.postgres),
        pytest.param(("supabase-rest", "rpc"), marks=pytest.mark.postgres),
    ],
    ids=["sqlite", "postgres-copy", "postgres-values", "supabase-rest"],
)
def any_store(request):
    """SQLite, Postgres with each bulk path (COPY staging and multi-row VALUES), and the
    Supabase REST backend (one RPC per page)."""
    backend, method = request.param
    if backend == "supabase-rest":
        store = open_rest_store(request.getfixturevalue("supabase_project"))
        store.ensure_state_rows()
        yield store
        store.close()
        return
    url = request.getfixturevalue("sqlite_url" if backend == "sqlite" else "pg_url")
    engine = create_db_engine(url)
    migrate(engine)
    store = Store(engine, pg_method=method)
    store.ensure_state_rows()
    yield store
    engine.dispose()


def test_money_round_trips_exactly(any_store):
    write(any_store, SALES, [sale("s1", 10, [("l1", "0.0000000001"), ("l2", "-40")])], 10)
    sales = ENTITY_TABLES["sales"]
    with any_store.engine.connect() as conn:
        row = conn.execute(select(sales.c.total_price, sales.c.raw, sales.c.sale_date)).one()
    assert row.total_price == Decimal("20.6611600000")
    assert str(row.raw["total_price"]).rstrip("0") == "20.66116"
    assert row.sale_date == datetime(2025, 11, 25, 13, 44, 45, tzinfo=UTC)
    assert lines_of(any_store, "s1") == {"l1": Decimal("1E-10"), "l2": Decimal(-40)}


def test_line_items_are_replaced_when_the_sale_changes(any_store):
    write(any_store, SALES, [sale("s1", 10, [("a", "1"), ("b", "2"), ("c", "3")])], 10)
    write(any_store, SALES, [sale("s1", 20, [("a", "1"), ("c", "3.5")])], 20)
    assert lines_of(any_store, "s1") == {"a": Decimal(1), "c": Decimal("3.5")}


def test_an_older_version_never_overwrites_a_newer_one(any_store):
    write(any_store, SALES, [sale("s1", 20, [("a", "9")])], 20)
    write(any_store, SALES, [sale("s1", 10, [("a", "1"), ("b", "2")])], 21)
    assert lines_of(any_store, "s1") == {"a": Decimal(9)}
    with any_store.engine.connect() as conn:
        version = conn.scalar(select(ENTITY_TABLES["sales"].c.version))
        cursor = conn.scalar(
            select(sync_state.c.cursor_version).where(sync_state.c.entity_type == "sales")
        )
    assert version == 20 and cursor == 21


def test_deletions_are_kept_and_marked(any_store):
    write(any_store, PRODUCTS, [{"id": "p1", "version": 5, "name": "Mug"}], 5)
    write(
        any_store,
        PRODUCTS,
        [{"id": "p1", "version": 6, "name": "Mug", "deleted_at": "2026-01-02T03:04:05+00:00"}],
        6,
    )
    products = ENTITY_TABLES["products"]
    with any_store.engine.connect() as conn:
        rows = conn.execute(select(products.c.id, products.c.deleted_at)).all()
        log = conn.execute(select(sync_log).where(sync_log.c.entity_type == "products")).all()
    assert rows == [("p1", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))]
    assert [r.records_deleted for r in log] == [0, 1]


def test_the_cursor_moves_with_the_rows(any_store):
    write(any_store, PRODUCTS, [{"id": "p1", "version": 5}], 7)
    assert any_store.cursor("products") == 7
