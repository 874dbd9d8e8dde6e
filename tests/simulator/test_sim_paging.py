"""List endpoints over HTTP: envelope, version paging, deleted filtering, page_size policy."""

from __future__ import annotations

import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import requests
import simplejson

from sync.simulator import SimulatorServer

Walk = Callable[..., tuple[list[dict[str, Any]], list[dict[str, Any]]]]
MakeSim = Callable[..., SimulatorServer]

ENTITIES = ("customers", "outlets", "products", "sales", "inventory")


def test_health_label_and_header(sim: SimulatorServer, http: requests.Session) -> None:
    resp = requests.get(f"{sim.url}/_sim/health")
    body = resp.json()
    assert body["ok"] is True and body["label"] == "Lightspeed API 2.0 development stand-in"
    assert body["scale"] == "tiny" and body["seed"] == 42
    assert resp.headers["X-Simulator"] == "lightspeed-dev-stand-in"
    api = http.get(f"{sim.api_url}/outlets")
    assert api.headers["X-Simulator"] == "lightspeed-dev-stand-in"
    assert api.headers["Content-Type"] == "application/json"
    assert int(api.headers["Content-Length"]) == len(api.content)
    assert api.headers["X-RateLimit-Limit"] == "100000"
    assert int(api.headers["X-RateLimit-Remaining"]) < 100000
    assert sim.url.startswith("http://127.0.0.1:")


def test_paging_covers_every_record_once_and_equals_dump(
    sim: SimulatorServer, http: requests.Session, walk: Walk
) -> None:
    for entity in ENTITIES:
        extra = {"deleted": "true"} if entity in ("customers", "outlets", "products") else {}
        rows, envelopes = walk(http, sim.api_url, entity, page_size=7, **extra)
        ids = [r["id"] for r in rows]
        assert len(ids) == len(set(ids)), entity
        assert rows == sim.dump(entity), entity
        for env in envelopes[:-1]:
            versions = [r["version"] for r in env["data"]]
            assert versions == sorted(versions)
            assert env["version"] == {"min": versions[0], "max": versions[-1]}
            assert len(env["data"]) <= 7
        assert envelopes[-1] == {"data": [], "version": {"min": None, "max": None}}


def test_envelope_writes_max_before_min(sim: SimulatorServer, http: requests.Session) -> None:
    raw = http.get(f"{sim.api_url}/products", params={"page_size": 3}).content
    assert re.search(rb'"version":\{"max":\d+,"min":\d+\}\}$', raw)


def test_deleted_filter_per_entity(
    sim: SimulatorServer, http: requests.Session, walk: Walk
) -> None:
    sim.mutate(delete_customers=1, delete_products=1)
    for entity in ("customers", "outlets", "products"):
        plain, _ = walk(http, sim.api_url, entity)
        with_deleted, _ = walk(http, sim.api_url, entity, deleted="true")
        assert all(r["deleted_at"] is None for r in plain)
        assert any(r["deleted_at"] is not None for r in with_deleted)
        assert [r for r in with_deleted if r["deleted_at"] is None] == plain
    # sales: no deleted switch, deleted sales always listed
    sim.mutate(delete_sales=2)
    sales, _ = walk(http, sim.api_url, "sales")
    assert sum(r["deleted_at"] is not None for r in sales) >= 2
    assert len(sales) == len(sim.dump("sales"))


def test_page_size_counts_only_returned_rows(sim: SimulatorServer, http: requests.Session) -> None:
    sim.mutate(delete_customers=5)
    body = http.get(f"{sim.api_url}/customers", params={"page_size": 10}).json()
    assert len(body["data"]) == 10
    assert all(r["deleted_at"] is None for r in body["data"])


def test_after_is_exclusive_and_before_bounds(sim: SimulatorServer, http: requests.Session) -> None:
    first = http.get(f"{sim.api_url}/sales", params={"page_size": 5}).json()
    versions = [r["version"] for r in first["data"]]
    nxt = http.get(f"{sim.api_url}/sales", params={"after": versions[1], "page_size": 2}).json()
    assert [r["version"] for r in nxt["data"]] == versions[2:4]
    bounded = http.get(
        f"{sim.api_url}/sales", params={"after": versions[0], "before": versions[3]}
    ).json()
    assert [r["version"] for r in bounded["data"]] == versions[1:3]


def test_empty_page_version_null_or_absent(sim: SimulatorServer, http: requests.Session) -> None:
    top = sim.store.version + 1
    body = http.get(f"{sim.api_url}/customers", params={"after": top}).json()
    assert body == {"data": [], "version": {"min": None, "max": None}}
    sim.set_faults(empty_version="absent")
    body = http.get(f"{sim.api_url}/customers", params={"after": top}).json()
    assert body == {"data": []}


def test_default_page_size_is_100(make_sim: MakeSim, http: requests.Session) -> None:
    sim = make_sim(scale="small")
    assert len(http.get(f"{sim.api_url}/sales").json()["data"]) == 100


def test_page_size_clamp_and_reject(sim: SimulatorServer, http: requests.Session) -> None:
    sim.set_faults(max_page_size=10)
    assert len(http.get(f"{sim.api_url}/customers", params={"page_size": 50}).json()["data"]) == 10
    sim.set_faults(page_size_policy="reject")
    resp = http.get(f"{sim.api_url}/customers", params={"page_size": 50})
    assert resp.status_code == 400
    assert resp.json() == {"error": "page_size must be between 1 and 10"}
    assert http.get(f"{sim.api_url}/customers", params={"page_size": 10}).status_code == 200


def test_bad_parameters_are_400(sim: SimulatorServer, http: requests.Session) -> None:
    for params in ({"page_size": 0}, {"page_size": "x"}, {"after": -1}, {"after": "1.5"}):
        resp = http.get(f"{sim.api_url}/sales", params=params)
        assert resp.status_code == 400, params
        assert "error" in resp.json()


def test_unknown_path_404(sim: SimulatorServer, http: requests.Session) -> None:
    resp = http.get(f"{sim.api_url}/registers")
    assert resp.status_code == 404 and resp.json() == {"error": "Not found"}
    assert requests.get(f"{sim.url}/nothing").status_code == 404


def test_money_literals_survive_in_raw_bytes(sim: SimulatorServer, http: requests.Session) -> None:
    raw = http.get(f"{sim.api_url}/sales", params={"page_size": 50}).content
    literal = re.search(rb'"price_total":(-?\d+\.\d{10}),', raw).group(1)
    body = simplejson.loads(raw, parse_float=Decimal)
    totals = [li["price_total"] for s in body["data"] for li in s["line_items"]]
    assert Decimal(literal.decode()) in totals
    assert all(isinstance(t, Decimal) for t in totals)
    assert str(totals[0]).count(".") == 1 and len(str(totals[0]).split(".")[1]) == 10
    assert b'"discount":0.0000000000' in raw


def test_same_seed_same_response_bytes(make_sim: MakeSim, http: requests.Session) -> None:
    a, b = make_sim(), make_sim()
    for entity in ENTITIES:
        url_a, url_b = f"{a.api_url}/{entity}", f"{b.api_url}/{entity}"
        params = {"page_size": 1000, "deleted": "true"}
        assert http.get(url_a, params=params).content == http.get(url_b, params=params).content
