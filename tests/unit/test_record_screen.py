"""The record screen: what every backend stores or rejects for a record a database refuses."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from sync.entities import ENTITY_BY_NAME, map_page

NOW = datetime(2026, 1, 1, tzinfo=UTC)
CUSTOMERS = ENTITY_BY_NAME["customers"]
SALES = ENTITY_BY_NAME["sales"]


def test_it_removes_nul_from_text_columns_raw_and_keys():
    record = {"id": "c1", "version": 1, "first_name": "A\u0000B", "x": {"k\u0000": ["\u0000"]}}
    [row] = map_page(CUSTOMERS, [record], NOW).rows
    assert row["first_name"] == "AB"
    assert row["raw"] == {"id": "c1", "version": 1, "first_name": "AB", "x": {"k": [""]}}


def test_it_replaces_a_lone_surrogate_and_keeps_a_real_emoji():
    record = {"id": "c1", "version": 1, "first_name": "a\ud83d b \U0001f600"}
    [row] = map_page(CUSTOMERS, [record], NOW).rows
    assert row["first_name"] == "a\ufffd b \U0001f600"


def test_a_clean_record_is_stored_as_the_same_object():
    record = {"id": "c1", "version": 1, "first_name": "Zoë"}
    assert map_page(CUSTOMERS, [record], NOW).rows[0]["raw"] is record


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        ({"id": "c\u00001", "version": 1}, "NUL"),
        ({"id": "c" * 300, "version": 1}, "characters"),
        ({"id": "c1", "version": 2**63}, "out of range"),
        ({"id": "c1", "version": {"v": 1}}, "field 'version'"),
        ({"id": "c1", "version": 1, "balance": Decimal("1E+200000")}, "out of range"),
        ({"id": "c1", "version": 1, "extra": [Decimal("1E-20000")]}, "out of range"),
        ({"id": "c1", "version": 1, "created_at": "0001-01-01T00:00:00+05:00"}, "created_at"),
        ({"id": "c1", "version": 1, "k\u0000": 1, "k": 2}, "twice"),
    ],
)
def test_it_rejects_what_no_column_can_hold_with_a_storable_raw(record, reason):
    page = map_page(CUSTOMERS, [record, {"id": "ok", "version": 2}], NOW)
    assert [r["id"] for r in page.rows] == ["ok"]
    [reject] = page.rejects
    assert reason in reject.reason
    assert "\u0000" not in str(reject.raw) and "\u0000" not in (reject.source_id or "")
    assert "1E+200000" not in repr(reject.raw) or isinstance(reject.raw["balance"], str)


def test_a_nul_in_a_line_item_note_is_removed_and_the_sale_kept():
    sale = {"id": "s1", "version": 5, "line_items": [{"id": "l1", "note": "x\u0000y"}]}
    page = map_page(SALES, [sale], NOW)
    assert page.rejects == [] and page.children[0]["note"] == "xy"
