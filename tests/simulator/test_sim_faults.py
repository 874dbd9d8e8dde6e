"""Auth, rate limits, 429 bursts, fail_next and random faults (only on /api/2.0)."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime

import pytest
import requests

from sync.simulator import SimulatorServer

MakeSim = Callable[..., SimulatorServer]


def test_missing_or_wrong_token_is_401(sim: SimulatorServer) -> None:
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic dev-token"}):
        resp = requests.get(f"{sim.api_url}/sales", headers=headers)
        assert resp.status_code == 401
        assert resp.json() == {"error": "Access token is not valid"}
        assert "X-RateLimit-Remaining" in resp.headers


def test_token_none_accepts_any_bearer(make_sim: MakeSim) -> None:
    sim = make_sim(token=None)
    ok = requests.get(f"{sim.api_url}/outlets", headers={"Authorization": "Bearer anything"})
    assert ok.status_code == 200
    assert requests.get(f"{sim.api_url}/outlets").status_code == 401


def test_auth_fail_and_forbidden(sim: SimulatorServer, http: requests.Session) -> None:
    sim.set_faults(auth_fail=True)
    assert http.get(f"{sim.api_url}/outlets").status_code == 401
    sim.set_faults(auth_fail=False, forbidden=True)
    resp = http.get(f"{sim.api_url}/outlets")
    assert resp.status_code == 403 and resp.json() == {"error": "permission denied"}
    sim.set_faults(forbidden=False)
    assert http.get(f"{sim.api_url}/outlets").status_code == 200
    # control endpoints never fail
    sim.set_faults(auth_fail=True)
    assert requests.get(f"{sim.url}/_sim/health").status_code == 200


def test_rate_limit_window_429_with_http_date(sim: SimulatorServer, http: requests.Session) -> None:
    sim.set_faults(rate_limit=3, rate_window=2.0, rate_limit_reset_header=True)
    remaining = []
    for _ in range(3):
        resp = http.get(f"{sim.api_url}/outlets")
        assert resp.status_code == 200
        assert resp.headers["X-RateLimit-Limit"] == "3"
        remaining.append(int(resp.headers["X-RateLimit-Remaining"]))
        assert int(resp.headers["X-RateLimit-Reset"]) >= time.time()
    assert remaining == [2, 1, 0]
    resp = http.get(f"{sim.api_url}/outlets")
    assert resp.status_code == 429
    assert resp.json() == {"error": "Too Many Requests", "message": "Rate limiting enforced"}
    assert resp.headers["Retry-After"].endswith(" GMT")
    retry_at = parsedate_to_datetime(resp.headers["Retry-After"])
    now = dt.datetime.now(dt.UTC)
    assert now - dt.timedelta(seconds=1) <= retry_at <= now + dt.timedelta(seconds=4)
    wait = (retry_at - now).total_seconds()
    time.sleep(max(0.0, wait) + 0.05)
    assert http.get(f"{sim.api_url}/outlets").status_code == 200


def test_burst_429(sim: SimulatorServer, http: requests.Session) -> None:
    sim.set_faults(burst_429_every=3, burst_429_length=2, retry_after_seconds=2)
    codes = [http.get(f"{sim.api_url}/outlets").status_code for _ in range(8)]
    assert codes == [200, 200, 429, 429, 200, 429, 429, 200]
    sim.set_faults(burst_429_every=1, burst_429_length=1)
    resp = http.get(f"{sim.api_url}/outlets")
    retry_at = parsedate_to_datetime(resp.headers["Retry-After"])
    delta = (retry_at - dt.datetime.now(dt.UTC)).total_seconds()
    assert 0 <= delta <= 3.1


def test_fail_next_in_order(sim: SimulatorServer, http: requests.Session) -> None:
    sim.set_faults(fail_next=[503, 503, 429, 500])
    codes = [http.get(f"{sim.api_url}/sales").status_code for _ in range(5)]
    assert codes == [503, 503, 429, 500, 200]
    assert sim.config.fail_next == []
    sim.set_faults(fail_next=[502])
    resp = http.get(f"{sim.api_url}/sales")
    assert resp.status_code == 502 and "error" in resp.json()


def test_malformed_body(sim: SimulatorServer, http: requests.Session) -> None:
    sim.set_faults(malformed_rate=1.0)
    resp = http.get(f"{sim.api_url}/sales", params={"page_size": 5})
    assert resp.status_code == 200
    assert int(resp.headers["Content-Length"]) == len(resp.content)
    with pytest.raises(ValueError):
        resp.json()


def test_error_rate_and_seeded_choice(sim: SimulatorServer, http: requests.Session) -> None:
    sim.set_faults(error_rate=1.0, fault_seed=5)
    first = [http.get(f"{sim.api_url}/outlets").status_code for _ in range(12)]
    assert set(first) <= {500, 502, 503} and len(set(first)) > 1
    sim.set_faults(fault_seed=5)  # same seed, same sequence
    assert [http.get(f"{sim.api_url}/outlets").status_code for _ in range(12)] == first
    sim.set_faults(error_rate=0.3, fault_seed=1)
    codes = [http.get(f"{sim.api_url}/outlets").status_code for _ in range(60)]
    assert 3 < sum(c != 200 for c in codes) < 40


def test_timeout_delay(sim: SimulatorServer, http: requests.Session) -> None:
    sim.set_faults(timeout_rate=1.0, timeout_delay=0.6)
    with pytest.raises(requests.exceptions.ReadTimeout):
        http.get(f"{sim.api_url}/outlets", timeout=0.2)
    start = time.perf_counter()
    assert http.get(f"{sim.api_url}/outlets", timeout=5).status_code == 200
    assert time.perf_counter() - start >= 0.55


def test_stats_count_api_requests_only(sim: SimulatorServer, http: requests.Session) -> None:
    sim.reset_stats()
    http.get(f"{sim.api_url}/customers")
    http.get(f"{sim.api_url}/customers")
    requests.get(f"{sim.api_url}/sales")  # 401
    requests.get(f"{sim.url}/_sim/health")
    stats = requests.get(f"{sim.url}/_sim/stats").json()
    assert stats == {
        "total": 3,
        "by_path": {"/customers": 2, "/sales": 1},
        "by_status": {"200": 2, "401": 1},
    }
    assert requests.post(f"{sim.url}/_sim/stats/reset").json()["total"] == 0
    assert sim.stats()["total"] == 0


def test_faults_over_http(sim: SimulatorServer, http: requests.Session) -> None:
    cfg = requests.get(f"{sim.url}/_sim/faults").json()
    assert cfg["error_rate"] == 0.0 and cfg["page_size_policy"] == "clamp"
    cfg = requests.post(f"{sim.url}/_sim/faults", json={"fail_next": [503]}).json()
    assert cfg["fail_next"] == [503] and cfg["scale"] == "tiny"
    assert http.get(f"{sim.api_url}/outlets").status_code == 503
    bad = requests.post(f"{sim.url}/_sim/faults", json={"error_rate": 2})
    assert bad.status_code == 400 and "error" in bad.json()
    bad = requests.post(f"{sim.url}/_sim/faults", json={"seed": 1})
    assert bad.status_code == 400


def test_it_answers_403_on_one_endpoint_only(sim: SimulatorServer, http: requests.Session) -> None:
    sim.set_faults(forbidden_paths=["/inventory"])
    resp = http.get(f"{sim.api_url}/inventory", params={"page_size": 1})
    assert resp.status_code == 403 and resp.json() == {"error": "permission denied"}
    assert http.get(f"{sim.api_url}/outlets").status_code == 200
    bad = requests.post(f"{sim.url}/_sim/faults", json={"forbidden_paths": ["inventory"]})
    assert bad.status_code == 400


def test_faults_dict_in_config(make_sim: MakeSim, http: requests.Session) -> None:
    sim = make_sim(faults={"forbidden": True})
    assert http.get(f"{sim.api_url}/outlets").status_code == 403


def test_only_loopback() -> None:
    with pytest.raises(ValueError):
        SimulatorServer(host="0.0.0.0")
