"""Mutations: each kind shows up through incremental paging and in the dump."""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import requests
import simplejson

from sync.simulator import SimulatorServer

Walk = Callable[..., tuple[list[dict[str, Any]], list[dict[str, Any]]]]
MakeSim = Callable[..., SimulatorServer]
CHANGES = {
    "new_sales": 3,
    "update_sales": 4,
    "remove_line_items": 2,
    "delete_sales": 2,
    "new_customers": 2,
    "update_customers": 2,
    "delete_customers": 2,
    "new_products": 2,
    "update_products": 2,
    "delete_products": 1,
    "stock_changes": 5,
}


def _cursor(http: requests.Session, sim: SimulatorServer, entity: str, walk: Walk) -> int:
    rows, _ = walk(http, sim.api_url, entity, page_size=1000, deleted="true")
    return max(r["version"] for r in rows)


def _since(
    http: requests.Session, sim: SimulatorServer, entity: str, after: int
) -> list[dict[str, Any]]:
    params = {"after": after, "page_size": 1000, "deleted": "true"}
    raw = http.get(f"{sim.api_url}/{entity}", params=params).content
    return simplejson.loads(raw, parse_float=Decimal)["data"]


def test_every_mutation_visible_through_paging_and_dump(
    sim: SimulatorServer, http: requests.Session, walk: Walk
) -> None:
    entities = ("sales", "customers", "products", "inventory")
    cursors = {e: _cursor(http, sim, e, walk) for e in entities}
    before = {e: {r["id"]: r for r in sim.dump(e)} for e in entities}
    result = sim.mutate(**CHANGES)
    changed = result["changed"]
    assert 3 + 4 < len(changed["sales"]) <= 3 + 4 + 2 + 2  # a sale may change twice
    assert 4 <= len(changed["customers"]) <= 6 and 3 <= len(changed["products"]) <= 5
    assert len(changed["inventory"]) >= 5  # stock changes + rows of new stocked products
    for entity in entities:
        got = _since(http, sim, entity, cursors[entity])
        assert sorted(r["id"] for r in got) == sorted(changed[entity])
        assert all(r["version"] > cursors[entity] for r in got)
        dump = {r["id"]: r for r in sim.dump(entity)}
        for row in got:
            assert dump[row["id"]] == row
        # new records are new ids; the rest existed before
        new = [r["id"] for r in got if r["id"] not in before[entity]]
        expected_new = {"sales": 3, "customers": 2, "products": 2}.get(entity)
        if expected_new is not None:
            assert len(new) == expected_new
    sales = {r["id"]: r for r in sim.dump("sales")}
    deleted_now = [s for s in changed["sales"] if sales[s]["deleted_at"] is not None]
    assert len(deleted_now) >= 2
    customers = {r["id"]: r for r in sim.dump("customers")}
    assert sum(customers[c]["deleted_at"] is not None for c in changed["customers"]) == 2
    # and a no-change incremental read is one empty page
    for entity in entities:
        top = max(r["version"] for r in sim.dump(entity))
        assert _since(http, sim, entity, top) == []


def test_remove_line_items_recomputes_totals(sim: SimulatorServer) -> None:
    before = {r["id"]: r for r in sim.dump("sales")}
    changed = sim.mutate(remove_line_items=3)["changed"]["sales"]
    assert len(changed) == 3
    after = {r["id"]: r for r in sim.dump("sales")}
    for sid in changed:
        old, new = before[sid], after[sid]
        assert len(new["line_items"]) == len(old["line_items"]) - 1
        assert new["version"] > old["version"]
        total = sum((li["price_total"] for li in new["line_items"]), Decimal(0))
        tax = sum((li["tax_total"] for li in new["line_items"]), Decimal(0))
        assert new["total_price"] == total.quantize(Decimal("0.01"), "ROUND_HALF_UP")
        assert new["total_tax"] == tax.quantize(Decimal("0.01"), "ROUND_HALF_UP")
        assert new["total_price_incl"] == new["total_price"] + new["total_tax"]
        if new["state"] == "closed" and new["payments"]:
            assert sum(p["amount"] for p in new["payments"]) == new["total_price_incl"]


def test_update_products_changes_price(sim: SimulatorServer) -> None:
    before = {r["id"]: r for r in sim.dump("products")}
    (pid,) = sim.mutate(update_products=1)["changed"]["products"]
    new = next(r for r in sim.dump("products") if r["id"] == pid)
    assert new["price_including_tax"] != before[pid]["price_including_tax"]
    assert new["updated_at"] != before[pid]["updated_at"]


def test_stock_changes_keep_current_amount_equal(sim: SimulatorServer) -> None:
    before = {r["id"]: r for r in sim.dump("inventory")}
    changed = sim.mutate(stock_changes=4)["changed"]["inventory"]
    rows = {r["id"]: r for r in sim.dump("inventory")}
    for iid in changed:
        assert rows[iid]["inventory_level"] != before[iid]["inventory_level"]
        assert rows[iid]["inventory_level"] == rows[iid]["current_amount"]


def test_mutations_are_deterministic(make_sim: MakeSim) -> None:
    a, b = make_sim(), make_sim()
    for sim in (a, b):
        sim.mutate(**CHANGES)
        sim.mutate(new_sales=2, bad_record={"entity": "sales", "kind": "bad_number"})
    for entity in ("sales", "customers", "products", "inventory"):
        assert (
            requests.get(f"{a.url}/_sim/dump/{entity}").content
            == requests.get(f"{b.url}/_sim/dump/{entity}").content
        )


def test_bad_records(sim: SimulatorServer, http: requests.Session, walk: Walk) -> None:
    cursor = _cursor(http, sim, "customers", walk)
    kinds = ["missing_id", "bad_number", "bad_timestamp", "missing_version"]
    result = sim.mutate(bad_record=[{"entity": "customers", "kind": k} for k in kinds])
    assert [b["kind"] for b in result["bad"]] == kinds
    raw = http.get(
        f"{sim.api_url}/customers", params={"after": cursor, "page_size": 100, "deleted": "true"}
    ).json()
    rows = raw["data"]
    assert len(rows) == 5  # four bad ones + the valid follower of missing_version
    assert "id" not in rows[0]
    assert rows[1]["balance"] == "12,50abc"
    assert rows[2]["created_at"] == "not-a-date"
    assert "version" not in rows[3] and "id" in rows[3]
    assert rows[4]["version"] == raw["version"]["max"]
    assert raw["version"]["max"] > max(b["version"] for b in result["bad"])
    dump = requests.get(f"{sim.url}/_sim/dump/customers").json()
    assert len(dump["bad"]) == 4
    assert not any(r.get("balance") == "12,50abc" for r in dump["data"])
    assert len(sim.dump_bad("customers")) == 4


def test_bad_record_for_each_entity(sim: SimulatorServer, http: requests.Session) -> None:
    for entity in ("sales", "inventory", "products", "outlets"):
        result = sim.mutate(bad_record={"entity": entity, "kind": "bad_number"})
        assert result["bad"][0]["entity"] == entity
        top = sim.store.version
        assert http.get(f"{sim.api_url}/{entity}", params={"after": top}).json()["data"] == []


def test_mutate_over_http_and_validation(sim: SimulatorServer) -> None:
    resp = requests.post(f"{sim.url}/_sim/mutate", json={"new_sales": 2})
    assert resp.status_code == 200 and len(resp.json()["changed"]["sales"]) == 2
    for body in ({"explode": 1}, {"new_sales": -1}, {"bad_record": {"entity": "x"}}):
        resp = requests.post(f"{sim.url}/_sim/mutate", json=body)
        assert resp.status_code == 400 and "error" in resp.json()
    assert requests.post(f"{sim.url}/_sim/mutate", data=b"{not json").status_code == 400


def test_live_mode_creates_changes(make_sim: MakeSim, http: requests.Session) -> None:
    sim = make_sim(live_interval=0.05)
    start = sim.store.version
    deadline = time.monotonic() + 5
    while sim.store.version == start and time.monotonic() < deadline:
        time.sleep(0.05)
    assert sim.store.version > start
    time.sleep(0.2)
    new = http.get(f"{sim.api_url}/sales", params={"after": start, "page_size": 1000}).json()
    assert new["data"]
    sim.set_faults(live_interval=None)
    time.sleep(0.15)
    frozen = sim.store.version
    time.sleep(0.2)
    assert sim.store.version == frozen
