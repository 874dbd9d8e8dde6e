"""The plain check: only records the SQL casts read exactly as `map_page` are plain."""

from __future__ import annotations

from typing import Any

import pytest

from sync.entities import CUSTOMERS, SALES
from sync.entities.plain import plain_records


def sale(**extra: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "0a1b2c3d-0000-4000-8000-000000000001",
        "version": 5,
        "sale_date": "2024-10-22T07:00:37+00:00",
        "total_price": 28.08,
        "note": "thanks",
        "line_items": [{"id": "li-1", "quantity": 2, "is_return": False}],
    }
    record.update(extra)
    return record


def test_an_ordinary_page_is_plain():
    assert plain_records(SALES, [sale(), sale(id="s-2", deleted_at="", total_tax="")])
    assert plain_records(SALES, [sale(line_items=None), sale(id="s-3", line_items=[])])
    assert plain_records(CUSTOMERS, [{"id": "c", "version": 0, "enable_loyalty": True}])
    assert plain_records(SALES, [])


@pytest.mark.parametrize(
    "extra",
    [
        {"id": ""},
        {"id": "has space"},
        {"id": "ü-id"},
        {"id": "x" * 256},
        {"id": 7},
        {"version": -1},
        {"version": 10**18},
        {"version": "5"},
        {"version": 5.0},
        {"total_price": "28.08"},  # a number as text: the Python mapping reads it
        {"total_price": True},
        {"note": 12},
        {"sale_date": "2024-10-22 07:00:37"},
        {"sale_date": "2024-10-22T24:00:00"},
        {"sale_date": "2024-10-22T23:59:60Z"},
        {"sale_date": "9999-12-31T23:59:59-01:00"},
        {"sale_date": "0001-01-01T00:00:00+01:00"},
        {"sale_date": "2024-10-22T07:00:37.1234567Z"},
        {"sale_date": " 2024-10-22T07:00:37Z"},
        {"deleted_at": False},
        {"deleted_at": "yesterday"},
        {"line_items": {}},
        {"line_items": ""},
        {"line_items": [["not", "an", "object"]]},
        {"line_items": [{"id": "a"}, {"id": "a"}]},
        {"line_items": [{"quantity": 1}]},
        {"line_items": [{"id": "a", "is_return": "true"}]},
    ],
)
def test_anything_less_plain_goes_to_the_python_mapping(extra):
    assert not plain_records(SALES, [sale(), sale(**extra)])


def test_a_record_that_is_not_an_object_is_not_plain():
    assert not plain_records(SALES, [sale(), ["list"]])


def test_the_rest_backends_function_holds_the_current_statements():
    """Migration 0016 (0011 before the store) bakes sourcepage's statements into
    sync_apply_source_page."""
    from sync.entities import ENTITIES
    from sync.storage.migrations import MIGRATIONS_DIR
    from sync.storage.sql.sourcepage import rpc_statement

    script = (MIGRATIONS_DIR / "0016_stores.postgres.sql").read_text()
    for spec in ENTITIES:
        assert f"WHEN '{spec.name}' THEN $q${rpc_statement(spec)}$q$" in script, spec.name
