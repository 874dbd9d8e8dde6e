"""Generated data: determinism, field shapes, realism and consistent money."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from decimal import Decimal

import pytest

from sync.simulator.config import SimulatorConfig
from sync.simulator.data import BAD, FIRST_VERSION, generate
from sync.simulator.formats import decode, encode
from sync.simulator.store import Store

TS_ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00$")
TS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@pytest.fixture(scope="module")
def small() -> Store:
    """The small store (seed 42), generated once for this module."""
    return Store(42, "small")


def _records(store: Store, entity: str) -> list[dict]:
    return [decode(b) for b in store.streams[entity].blobs]


def test_same_seed_same_bytes_other_seed_differs() -> None:
    a, b, c = generate(42, "tiny"), generate(42, "tiny"), generate(7, "tiny")
    for entity in a.entities:
        assert a.entities[entity].blobs == b.entities[entity].blobs
        assert a.entities[entity].versions == b.entities[entity].versions
    assert a.entities["sales"].blobs != c.entities["sales"].blobs


def test_scale_counts(small: Store) -> None:
    counts = small.counts()
    assert counts["customers"] == 500 and counts["products"] == 300 and counts["sales"] == 2000
    assert counts["outlets"] == 4  # 3 trading + 1 soft-deleted
    stocked = sum(1 for p in _records(small, "products") if p["has_inventory"])
    assert counts["inventory"] == stocked * 3


def test_a_sales_count_replaces_the_scales_and_keeps_the_rest() -> None:
    """`--sales N`: N sales on the scale's customers and products; the scale alone unchanged."""
    tiny, more = generate(42, "tiny"), generate(42, "tiny", sales=400)
    assert len(more.entities["sales"].blobs) == 400 != len(tiny.entities["sales"].blobs)
    assert len(more.entities["customers"].blobs) == len(tiny.entities["customers"].blobs)
    assert generate(42, "tiny").entities["sales"].blobs == tiny.entities["sales"].blobs
    assert Store(42, "tiny", sales=400).counts()["sales"] == 400
    with pytest.raises(ValueError, match="sales"):
        SimulatorConfig(sales=-1)


def test_versions_ascending_and_interleaved(small: Store) -> None:
    owner = {}
    for name, stream in small.streams.items():
        assert stream.versions == sorted(stream.versions)
        assert len(set(stream.versions)) == len(stream.versions)
        for v in stream.versions:
            assert v not in owner
            owner[v] = name
        assert stream.versions[0] >= FIRST_VERSION
    ordered = [owner[v] for v in sorted(owner)]
    switches = sum(1 for x, y in itertools.pairwise(ordered) if x != y)
    assert switches > 500  # entities interleave in one version range
    for name, stream in small.streams.items():
        for rec, v in zip(_records(small, name), stream.versions, strict=True):
            assert rec["version"] == v


def test_round_trip_keeps_exact_bytes(small: Store) -> None:
    for stream in small.streams.values():
        for blob in stream.blobs[:400]:
            assert encode(decode(blob)) == blob


def test_customers_shapes(small: Store) -> None:
    rows = _records(small, "customers")
    deleted = [r for r in rows if r["deleted_at"] is not None]
    assert 0.01 < len(deleted) / len(rows) < 0.06
    assert any("email" not in r for r in rows)  # contact keys absent, not null
    assert any(TS_Z.match(r["created_at"]) for r in rows)
    assert any(TS_ISO.match(r["created_at"]) for r in rows)
    assert all(UUID.match(r["id"]) for r in rows)
    for r in rows:
        assert isinstance(r["balance"], int | Decimal) and not isinstance(r["balance"], float)


def test_products_system_discount_and_variants(small: Store) -> None:
    rows = _records(small, "products")
    system = [r for r in rows if r["sku"] == "vend-discount"]
    assert len(system) == 1
    assert system[0]["source"] == "SYSTEM" and system[0]["has_inventory"] is False
    assert system[0]["price_including_tax"] is None
    handles = Counter(r["handle"] for r in rows)
    family = [h for h, n in handles.items() if n > 1]
    assert family, "variants share a handle"
    members = [r for r in rows if r["handle"] == family[0]]
    parents = {r["variant_parent_id"] for r in members} - {None}
    assert len(parents) == 1 and parents <= {r["id"] for r in members}
    deleted = [r for r in rows if r["deleted_at"] is not None]
    assert 0.005 < len(deleted) / len(rows) < 0.05
    assert {c["type"] for r in rows for c in r["product_codes"]} >= {"CUSTOM", "custom"}


def test_inventory_shapes(small: Store) -> None:
    rows = _records(small, "inventory")
    assert any(r["inventory_level"] < 0 for r in rows)
    assert all(r["inventory_level"] == r["current_amount"] for r in rows)
    assert sum(r["average_cost"] is None for r in rows) > len(rows) * 0.8
    pairs = {(r["product_id"], r["outlet_id"]) for r in rows}
    assert len(pairs) == len(rows)


def test_sales_realism(small: Store) -> None:
    rows = _records(small, "sales")
    statuses = Counter(r["status"] for r in rows)
    assert statuses["CLOSED"] > len(rows) * 0.7
    for status in ("SAVED", "LAYBY", "ONACCOUNT", "VOIDED"):
        assert statuses[status] > 0, status
    saved = next(r for r in rows if r["status"] == "SAVED")
    assert saved["state"] == "parked"
    assert {li["status"] for li in saved["line_items"]} == {"SAVED"}
    layby = next(r for r in rows if r["status"] == "LAYBY_CLOSED")
    assert layby["state"] == "closed" and layby["attributes"] == ["layby"]
    voided = next(r for r in rows if r["status"] == "VOIDED")
    assert {li["status"] for li in voided["line_items"]} == {"VOIDED"}
    refunds = [r for r in rows if r["line_items"][0]["quantity"] < 0]
    assert refunds and refunds[0]["status"] == "CLOSED" and refunds[0]["total_price"] < 0
    assert refunds[0]["line_items"][0]["is_return"] is False
    assert any("customer_id" not in r for r in rows)
    assert any("customer_id" in r and r["customer_id"] is None for r in rows)
    assert any("note" not in r for r in rows)
    assert any(r["status"] == "CLOSED" and r["payments"] == [] for r in rows)
    deleted = sum(r["deleted_at"] is not None for r in rows)
    assert 0 < deleted < len(rows) * 0.03
    n_lines = [len(r["line_items"]) for r in rows]
    assert min(n_lines) >= 1 and max(n_lines) <= 7
    assert 2.6 < sum(n_lines) / len(n_lines) < 3.6
    dates = sorted(r["sale_date"] for r in rows)
    assert dates[0] >= "2024-10-" and dates[-1] <= "2025-11-25T12:00:00+00:00"


def test_sale_money_is_consistent(small: Store) -> None:
    for r in _records(small, "sales"):
        sum_price = sum_tax = Decimal(0)
        for li in r["line_items"]:
            assert li["price_total"] == li["price"] * li["quantity"]
            assert li["tax_total"] == li["tax"] * li["quantity"]
            assert li["unit_price"] == li["price"] and li["total_price"] == li["price_total"]
            assert li["tax_components"][0]["total_tax"] == li["tax_total"]
            sum_price += li["price_total"]
            sum_tax += li["tax_total"]
        assert Decimal(r["total_price"]) == sum_price.quantize(Decimal("0.01"), "ROUND_HALF_UP")
        assert Decimal(r["total_tax"]) == sum_tax.quantize(Decimal("0.01"), "ROUND_HALF_UP")
        assert Decimal(r["total_price_incl"]) == r["total_price"] + r["total_tax"]
        if r["state"] == "closed" and r["payments"]:
            assert sum(p["amount"] for p in r["payments"]) == r["total_price_incl"]


def test_money_shapes_in_raw_bytes(small: Store) -> None:
    raw = b"".join(small.streams["sales"].blobs[:200])
    assert re.search(rb'"price":\d+\.\d{10},', raw)  # long 10-dp literal
    assert b'"discount":0.0000000000' in raw
    assert b'"quantity":1.00000' in raw
    assert re.search(rb'"total_price":\d+,', raw)  # plain integer
    assert re.search(rb'"total_price":\d+\.\d,', raw)  # short
    assert not re.search(rb"[:,\[]-?\d+(\.\d+)?[eE][-+]?\d", raw)  # never 0E-10


def test_bad_kind_never_in_fresh_data(small: Store) -> None:
    assert all(k != BAD for s in small.streams.values() for k in s.kinds)
