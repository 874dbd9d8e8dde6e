from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sync.entities import (
    CUSTOMERS,
    ENTITIES,
    INVENTORY,
    PRODUCTS,
    SALES,
    STATE_ENTITIES,
    map_page,
    map_record,
)
from sync.storage.schema import ENTITY_TABLES

NOW = datetime(2026, 11, 23, tzinfo=UTC)


def parse(text: str):
    return json.loads(text, parse_float=Decimal)


SALE = parse(
    """{"id": "201a6e43-58c5-a97e-11f0-ca04af823c79", "version": 47562037527,
    "outlet_id": "o1", "register_id": "r1", "user_id": "u1", "status": "CLOSED",
    "state": "closed", "sale_date": "2025-11-25T13:44:45+00:00",
    "total_price": 20.66, "total_tax": 4.34, "total_price_incl": 25.0,
    "created_at": "2025-11-25T13:44:45Z", "updated_at": "2025-11-25T13:44:46.123Z",
    "deleted_at": null, "unknown_future_key": {"a": 1},
    "line_items": [
      {"id": "l1", "product_id": "p1", "quantity": 1.00000, "price": 20.6611600000,
       "price_total": 20.6611600000, "tax_total": 4.3388400000, "sequence": 0,
       "status": "CONFIRMED", "is_return": false},
      {"id": "l2", "product_id": "p2", "quantity": -1, "price": 40, "price_total": -40,
       "status": "CONFIRMED", "is_return": false}
    ]}"""
)


def test_money_stays_exact_to_the_last_decimal():
    row, children = map_record(SALES, SALE, NOW)
    assert row["total_price"] == Decimal("20.66")
    assert children[0]["price"] == Decimal("20.6611600000")
    assert str(children[0]["price"]) == "20.6611600000"
    assert children[1]["quantity"] == Decimal(-1)
    assert all(not isinstance(v, float) for c in children for v in c.values())


def test_line_items_carry_the_sale_id_version_and_deletion():
    sale = dict(SALE, deleted_at="2025-12-01T00:00:00+00:00")
    row, children = map_record(SALES, sale, NOW)
    assert [c["id"] for c in children] == ["l1", "l2"]
    assert {c["sale_id"] for c in children} == {SALE["id"]}
    assert {c["version"] for c in children} == {47562037527}
    assert row["deleted_at"] == datetime(2025, 12, 1, tzinfo=UTC)
    assert {c["deleted_at"] for c in children} == {row["deleted_at"]}


def test_timestamps_are_utc_aware_in_both_shapes():
    row, _ = map_record(SALES, SALE, NOW)
    assert row["created_at"] == datetime(2025, 11, 25, 13, 44, 45, tzinfo=UTC)
    assert row["updated_at"].microsecond == 123000


def test_absent_keys_become_nulls_and_raw_keeps_everything():
    record = {"id": "c1", "version": 5, "customer_code": "C-1"}
    row, _ = map_record(CUSTOMERS, record, NOW)
    assert row["email"] is None and row["balance"] is None
    assert row["raw"] is record


def test_unknown_keys_are_ignored_but_kept_in_raw():
    row, _ = map_record(SALES, SALE, NOW)
    assert "unknown_future_key" not in row
    assert row["raw"]["unknown_future_key"] == {"a": 1}


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"version": 3, "name": "x"}, "missing or empty 'id'"),
        ({"id": "", "version": 3}, "missing or empty 'id'"),
        ({"id": "p1"}, "missing 'version'"),
        ({"id": "p1", "version": "abc"}, "field 'version'"),
        ({"id": "p1", "version": 3, "price_including_tax": "12,50abc"}, "price_including_tax"),
        ({"id": "p1", "version": 3, "created_at": "not-a-date"}, "created_at"),
        ({"id": "p1", "version": 3, "active": "maybe"}, "active"),
        ({"id": "p1", "version": 3, "deleted_at": "yesterday"}, "deleted_at"),
    ],
)
def test_bad_records_are_rejected_with_a_reason(record, reason):
    page = map_page(PRODUCTS, [record, {"id": "ok", "version": 4}], NOW)
    assert [r["id"] for r in page.rows] == ["ok"]
    assert len(page.rejects) == 1
    assert reason in page.rejects[0].reason
    assert page.rejects[0].raw is record


def test_numbers_sent_as_strings_are_accepted_exactly():
    row, _ = map_record(INVENTORY, {"id": "i", "version": 1, "inventory_level": "-10.50"}, NOW)
    assert row["inventory_level"] == Decimal("-10.50")


def test_a_sale_with_a_bad_line_item_is_rejected_whole():
    sale = dict(SALE, line_items=[{"product_id": "p"}])
    page = map_page(SALES, [sale], NOW)
    assert page.rows == [] and page.children == []
    assert "line_items[0]" in page.rejects[0].reason


def test_duplicate_line_ids_reject_the_sale():
    sale = dict(SALE, line_items=[{"id": "a"}, {"id": "a"}])
    assert "duplicate" in map_page(SALES, [sale], NOW).rejects[0].reason


def test_a_repeated_id_in_one_page_keeps_the_highest_version():
    page = map_page(PRODUCTS, [{"id": "p", "version": 9}, {"id": "p", "version": 7}], NOW)
    assert [r["version"] for r in page.rows] == [9]


def test_non_object_record_is_rejected():
    page = map_page(PRODUCTS, ["oops"], NOW)
    assert page.rejects[0].source_id is None


def test_every_spec_field_is_a_column_of_its_table():
    for spec in ENTITIES:
        table = ENTITY_TABLES[spec.name]
        for f in spec.fields:
            assert f.name in table.c
        for column in ("id", "version", "deleted_at", "raw", "synced_at"):
            assert column in table.c
    assert set(ENTITY_TABLES) == set(STATE_ENTITIES)
