"""GET /search?type=sales: date range (inclusive), filters, offset paging."""

from __future__ import annotations

from typing import Any

import requests

from sync.simulator import SimulatorServer


def _search(http: requests.Session, sim: SimulatorServer, **params: Any) -> requests.Response:
    return http.get(f"{sim.api_url}/search", params={"type": "sales", **params})


def _z(ts: str) -> str:
    return ts.replace("+00:00", "Z")


def test_date_range_offset_paging(sim: SimulatorServer, http: requests.Session) -> None:
    sales = [s for s in sim.dump("sales") if s["deleted_at"] is None]
    dates = sorted(s["sale_date"] for s in sales)
    lo, hi = dates[20], dates[90]
    expected = sorted(
        (s for s in sales if lo <= s["sale_date"] <= hi), key=lambda s: (s["sale_date"], s["id"])
    )
    got: list[dict[str, Any]] = []
    offset = 0
    while True:
        resp = _search(http, sim, date_from=_z(lo), date_to=_z(hi), offset=offset, page_size=9)
        assert resp.status_code == 200 and set(resp.json()) == {"data"}
        page = resp.json()["data"]
        if not page:
            break
        assert len(page) <= 9
        got.extend(page)
        offset += len(page)
    assert [s["id"] for s in got] == [s["id"] for s in expected]
    assert got[0]["sale_date"] == lo and got[-1]["sale_date"] == hi  # both bounds inclusive


def test_filters_and_deleted(sim: SimulatorServer, http: requests.Session) -> None:
    deleted = sim.mutate(delete_sales=3)["changed"]["sales"]
    everything = {"date_from": "2020-01-01T00:00:00Z", "date_to": "2030-01-01T00:00:00Z"}
    plain = _search(http, sim, page_size=1000, **everything).json()["data"]
    assert not set(deleted) & {s["id"] for s in plain}
    with_deleted = _search(http, sim, page_size=1000, deleted="true", **everything).json()["data"]
    assert set(deleted) <= {s["id"] for s in with_deleted}
    outlet = plain[0]["outlet_id"]
    by_outlet = _search(http, sim, page_size=1000, outlet_id=outlet, **everything).json()["data"]
    assert by_outlet and all(s["outlet_id"] == outlet for s in by_outlet)
    params = {"page_size": 1000, "status": ["VOIDED", "SAVED"], **everything}
    by_status = _search(http, sim, **params).json()["data"]
    assert {s["status"] for s in by_status} <= {"VOIDED", "SAVED"}
    assert len(by_status) == sum(s["status"] in ("VOIDED", "SAVED") for s in plain)


def test_page_size_capped_and_errors(make_sim: Any, http: requests.Session) -> None:
    sim = make_sim(scale="small")
    resp = _search(http, sim, page_size=5000, date_from="2020-01-01T00:00:00Z")
    assert resp.status_code == 200 and len(resp.json()["data"]) == 1000
    assert len(_search(http, sim).json()["data"]) == 100
    assert _search(http, sim, date_from="yesterday").status_code == 400
    assert _search(http, sim, page_size=0).status_code == 400
    resp = http.get(f"{sim.api_url}/search", params={"type": "registers"})
    assert resp.status_code == 400 and "error" in resp.json()


EVERYTHING = {"date_from": "2020-01-01T00:00:00Z", "date_to": "2030-01-01T00:00:00Z"}


def _ids(http: requests.Session, sim: SimulatorServer, **params: Any) -> list[str]:
    resp = _search(http, sim, page_size=1000, **EVERYTHING, **params)
    assert resp.status_code == 200, resp.text
    return [s["id"] for s in resp.json()["data"]]


def test_order_by_sale_date_is_honoured_refused_or_ignored_by_switch(
    make_sim: Any, http: requests.Session
) -> None:
    by_date = _ids(http, make_sim(), order_by="sale_date", order_direction="asc")
    newest_first = _ids(http, make_sim(), order_by="sale_date", order_direction="desc")
    assert newest_first == by_date[::-1]
    refusing = make_sim(search_order_by="refuse")
    refused = _search(http, refusing, order_by="sale_date", **EVERYTHING)
    assert refused.status_code == 400 and "order_by" in refused.json()["error"]
    assert _ids(http, refusing) == by_date  # without order_by it answers
    ignoring = make_sim(search_order_by="ignore", search_unordered=True)
    assert _ids(http, ignoring, order_by="sale_date") == sorted(by_date)


def test_unordered_answers_page_by_offset_in_id_order(make_sim: Any, http: requests.Session):
    sim = make_sim(search_unordered=True)
    everything = sorted(_ids(http, sim))
    pages = [
        [s["id"] for s in _search(http, sim, page_size=10, offset=o, **EVERYTHING).json()["data"]]
        for o in range(0, len(everything), 10)
    ]
    assert [i for page in pages for i in page] == everything


def test_outlets_take_the_zones_given(make_sim: Any) -> None:
    sim = make_sim(outlet_time_zones=["Pacific/Auckland", "America/New_York"])
    zones = [o["time_zone"] for o in sim.dump("outlets")]
    assert set(zones) == {"Pacific/Auckland", "America/New_York"}
