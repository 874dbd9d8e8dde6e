"""Several stores in one stand-in: own data, tokens, rate limits and OAuth apps; routing."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from sync.simulator import SimulatorConfig, SimulatorServer
from sync.simulator.multistore import host_prefix, parse_stores, store_seed

STORES = ("acme", "acme-nz", "beta")
CLIENT_ID, CLIENT_SECRET = "multi-app", "multi-secret"


@pytest.fixture
def make_stores() -> Iterator[Callable[..., SimulatorServer]]:
    """Factory: a tiny simulator serving STORES (tokens tok-{prefix}); stopped afterwards."""
    started: list[SimulatorServer] = []

    def factory(stores: Any = STORES, **overrides: Any) -> SimulatorServer:
        tokens = overrides.pop("store_tokens", None)
        values: dict[str, Any] = {"seed": 42, "scale": "tiny", "token": "tok-{prefix}"}
        values.update(overrides)
        sim = SimulatorServer(SimulatorConfig(**values), stores=stores, store_tokens=tokens)
        started.append(sim.start())
        return sim

    yield factory
    for sim in started:
        sim.stop()


@pytest.fixture
def stores(make_stores: Callable[..., SimulatorServer]) -> SimulatorServer:
    return make_stores()


def get(url: str, token: str | None, **headers: str) -> requests.Response:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return requests.get(url, headers=headers, timeout=5)


def ids(rows: list[dict[str, Any]]) -> set[str]:
    return {row["id"] for row in rows}


def test_each_store_has_its_own_deterministic_data(stores, make_stores):
    sales = {prefix: ids(stores.site(prefix).dump("sales")) for prefix in STORES}
    assert not sales["acme"] & sales["beta"] and not sales["acme"] & sales["acme-nz"]
    assert len({stores.site(p).config.seed for p in STORES}) == 3
    again = make_stores(stores=["beta"])
    assert ids(again.site("beta").dump("sales")) == sales["beta"], "same base seed, same data"
    assert again.site("beta").config.seed == store_seed(42, "beta")
    answer = get(f"{stores.site('beta').api_url}/sales?page_size=1000", "tok-beta")
    assert ids(answer.json()["data"]) == sales["beta"]


def test_a_stores_token_is_refused_by_every_other_store(stores):
    for prefix in STORES:
        for other in STORES:
            answer = get(f"{stores.site(prefix).api_url}/outlets", f"tok-{other}")
            assert answer.status_code == (200 if other == prefix else 401), (prefix, other)


def test_a_per_store_token_replaces_the_shared_one(make_stores):
    sim = make_stores(stores=["a", "b"], token="shared", store_tokens={"b": "only-b"})
    assert get(f"{sim.site('a').api_url}/outlets", "shared").status_code == 200
    assert get(f"{sim.site('b').api_url}/outlets", "shared").status_code == 401
    assert get(f"{sim.site('b').api_url}/outlets", "only-b").status_code == 200


def test_each_store_has_its_own_rate_limit(make_stores):
    sim = make_stores(rate_limit=3, rate_window=60.0)
    acme, beta = sim.site("acme"), sim.site("beta")
    codes = [get(f"{acme.api_url}/outlets", "tok-acme").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    answer = get(f"{beta.api_url}/outlets", "tok-beta")
    assert answer.status_code == 200 and answer.headers["X-RateLimit-Remaining"] == "2"
    assert acme.stats()["by_status"] == {"200": 3, "429": 1}
    assert beta.stats()["total"] == 1


def test_faults_are_set_per_store(stores):
    answer = requests.post(f"{stores.site('acme').url}/_sim/faults", json={"fail_next": [503]})
    assert answer.status_code == 200
    assert get(f"{stores.site('beta').api_url}/outlets", "tok-beta").status_code == 200
    assert get(f"{stores.site('acme').api_url}/outlets", "tok-acme").status_code == 503


@pytest.mark.parametrize("header", ["Host", "X-Forwarded-Host"])
def test_the_host_header_picks_the_store(stores, header):
    port = stores.port
    hosts = {
        "Host": f"acme-nz.localhost:{port}",
        "X-Forwarded-Host": "acme-nz.retail.lightspeed.app",
    }
    named = {header: hosts[header]}
    answer = get(
        f"{stores.url}/api/2.0/customers?page_size=1000&deleted=true", "tok-acme-nz", **named
    )
    assert answer.status_code == 200
    assert ids(answer.json()["data"]) == ids(stores.site("acme-nz").dump("customers"))
    health = get(f"{stores.url}/_sim/health", None, **named).json()
    assert health["domain_prefix"] == "acme-nz"
    assert get(f"{stores.url}/api/2.0/outlets", "tok-beta", **named).status_code == 401


def test_the_path_prefix_picks_the_store_and_its_control_endpoints(stores):
    assert stores.api_url == f"{stores.url}/{{prefix}}/api/2.0"
    beta = stores.site("beta")
    assert beta.api_url == f"{stores.url}/beta/api/2.0"
    assert get(f"{beta.url}/_sim/health", None).json()["domain_prefix"] == "beta"
    requests.post(f"{beta.url}/_sim/mutate", json={"new_sales": 2}, timeout=5).raise_for_status()
    assert stores.site("beta").counts()["sales"] == stores.site("acme").counts()["sales"] + 2
    overview = get(f"{stores.url}/_sim/health", None).json()
    assert sorted(overview["stores"]) == sorted(STORES)


@pytest.mark.parametrize(
    ("path", "headers", "status", "words"),
    [
        ("/api/2.0/outlets", {}, 404, "3 stores are served here"),
        ("/_sim/faults", {}, 404, "put the store's prefix first"),
        ("/nope/api/2.0/outlets", {}, 404, "no store 'nope'"),
        ("/api/2.0/outlets", {"Host": "nope.localhost"}, 404, "no store 'nope'"),
        ("/beta/api/2.0/outlets", {"Host": "acme.localhost"}, 400, "Host names store acme"),
    ],
)
def test_a_request_naming_no_store_or_an_unknown_one_is_refused(
    stores, path, headers, status, words
):
    answer = get(f"{stores.url}{path}", "tok-beta", **headers)
    assert answer.status_code == status and words in answer.json()["error"]


def test_one_store_is_served_as_always(make_sim, http):
    sim = make_sim()
    assert sim.api_url == f"{sim.url}/api/2.0" and "{prefix}" not in sim.banner()
    plain = http.get(f"{sim.api_url}/outlets")
    named = http.get(f"{sim.url}/devstore/api/2.0/outlets")
    assert plain.status_code == named.status_code == 200 and plain.json() == named.json()
    assert sim.stats()["total"] == 2 and sim.config.seed == 42
    assert http.get(f"{sim.url}/acme/api/2.0/outlets").status_code == 404


def test_the_python_api_names_the_store_to_pick(stores):
    with pytest.raises(RuntimeError, match=r"sim\.site"):
        stores.dump("sales")
    with pytest.raises(KeyError, match="no store 'zeta'"):
        stores.site("zeta")


def test_a_list_of_stores_is_checked():
    assert parse_stores("3") == ["store1", "store2", "store3"]
    assert parse_stores(" acme, Acme-NZ ") == ["acme", "acme-nz"]
    for bad in ("0", "acme,acme", "ac me", "api", "acme,-x", ""):
        with pytest.raises(ValueError):
            parse_stores(bad)


def authorize(store_url: str, scope: str = "sales:read") -> dict[str, str]:
    query = {
        "response_type": "code",
        "client_id": CLIENT_ID,
        "redirect_uri": "http://127.0.0.1:9/cb",
        "state": "s",
        "scope": scope,
    }
    answer = requests.get(f"{store_url}/connect", params=query, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    return {k: v[-1] for k, v in parse_qs(urlsplit(answer.headers["Location"]).query).items()}


def exchange(store_url: str, code: str) -> requests.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": "http://127.0.0.1:9/cb",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    return requests.post(f"{store_url}/api/1.0/token", data=form, timeout=5)


def test_each_store_has_its_own_oauth_token_endpoint(make_stores):
    sim = make_stores(oauth_client_id=CLIENT_ID, oauth_client_secret=CLIENT_SECRET)
    acme, beta = sim.site("acme"), sim.site("beta")
    back = authorize(acme.url)
    assert back["domain_prefix"] == "acme"
    assert exchange(beta.url, back["code"]).json() == {"error": "invalid_grant"}
    assert beta.oauth is not None and beta.oauth.exchanged == [back["code"]]
    back = authorize(acme.url)
    tokens = exchange(acme.url, back["code"]).json()
    assert tokens["domain_prefix"] == "acme"
    assert get(f"{acme.api_url}/outlets", tokens["access_token"]).status_code == 200
    assert get(f"{beta.api_url}/outlets", tokens["access_token"]).status_code == 401
    assert exchange(sim.url, "x").status_code == 404, "no default store's token endpoint"


def test_the_token_endpoint_is_also_reached_by_host(make_stores):
    sim = make_stores(oauth_client_id=CLIENT_ID, oauth_client_secret=CLIENT_SECRET)
    back = authorize(sim.site("beta").url)
    form = {
        "grant_type": "authorization_code",
        "code": back["code"],
        "redirect_uri": "http://127.0.0.1:9/cb",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    host = {"Host": f"beta.localhost:{sim.port}"}
    answer = requests.post(f"{sim.url}/api/1.0/token", data=form, headers=host, timeout=5)
    assert answer.status_code == 200 and answer.json()["domain_prefix"] == "beta"


@pytest.mark.parametrize(
    ("host", "prefix"),
    [
        ("acme.localhost:8765", "acme"),
        ("ACME-NZ.retail.lightspeed.app", "acme-nz"),
        ("acme.retail.lightspeed.app, proxy.internal", "acme"),
        ("127.0.0.1:8765", None),
        ("localhost:8765", None),
        ("a.b.localhost", None),
        ("[::1]:8765", None),
        (None, None),
    ],
)
def test_a_host_names_a_store_only_in_the_two_known_forms(host, prefix):
    assert host_prefix(host) == prefix
