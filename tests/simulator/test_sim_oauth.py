"""The stand-in's OAuth mode: authorize page, form-encoded token endpoint, rotation, revocation."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

APP, SECRET = "demo-app", "demo-secret"
REDIRECT = "http://127.0.0.1:9/callback"
READ = "customers:read outlets:read products:read sales:read inventory:read"


@pytest.fixture
def sim(make_sim):
    return make_sim(oauth_client_id=APP, oauth_client_secret=SECRET, oauth_token_seconds=1.0)


def authorize(sim, **overrides):
    params = {
        "response_type": "code",
        "client_id": APP,
        "redirect_uri": REDIRECT,
        "state": "s1",
        "scope": READ,
    }
    params = {k: v for k, v in {**params, **overrides}.items() if v is not None}
    return requests.get(f"{sim.url}/connect", params=params, allow_redirects=False, timeout=5)


def grant(sim, **form):
    return requests.post(
        f"{sim.url}/api/1.0/token",
        data={"client_id": APP, "client_secret": SECRET, **form},
        timeout=5,
    )


def code_of(answer) -> str:
    return parse_qs(urlsplit(answer.headers["Location"]).query)["code"][0]


def test_the_authorize_page_redirects_back_with_a_code_the_store_and_the_state(sim):
    answer = authorize(sim)
    assert answer.status_code == 302
    back = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert answer.headers["Location"].startswith(REDIRECT + "?")
    assert back["state"] == ["s1"] and back["domain_prefix"] == ["devstore"] and back["code"]
    assert authorize(sim, client_id="someone-else").status_code == 400


def back_of(answer) -> dict[str, list[str]]:
    assert answer.status_code == 302
    return parse_qs(urlsplit(answer.headers["Location"]).query)


def test_an_authorize_request_without_scope_is_denied_as_lightspeed_does_since_june_2026(sim):
    back = back_of(authorize(sim, scope=None))
    assert back == {"error": ["access_denied"], "state": ["s1"]}
    assert back_of(authorize(sim, scope=""))["error"] == ["access_denied"]
    assert sim.oauth.codes == {}


def test_a_scope_the_app_does_not_declare_is_denied(make_sim):
    sim = make_sim(oauth_client_id=APP, oauth_client_secret=SECRET, oauth_scopes=["sales:read"])
    assert back_of(authorize(sim))["error"] == ["access_denied"]
    assert "code" in back_of(authorize(sim, scope="sales:read"))


def test_the_token_answer_grants_the_scopes_asked_for_and_refreshes_keep_them(sim):
    code = code_of(authorize(sim, scope="sales:read outlets:read"))
    tokens = grant(sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()
    assert tokens["scope"] == "sales:read outlets:read"
    again = grant(sim, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).json()
    assert again["scope"] == "sales:read outlets:read"


def test_a_code_is_exchanged_once_for_tokens_that_expire(sim):
    code = code_of(authorize(sim))
    tokens = grant(sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT).json()
    assert tokens["token_type"] == "Bearer" and tokens["refresh_token"]
    assert tokens["expires"] >= time.time() and "customers:read" in tokens["scope"]
    again = grant(sim, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(f"{sim.api_url}/outlets", headers=bearer, timeout=5).status_code == 200
    time.sleep(max(0.0, tokens["expires"] - time.time()) + 0.05)
    assert requests.get(f"{sim.api_url}/outlets", headers=bearer, timeout=5).status_code == 401


def test_each_refresh_rotates_and_revokes_the_refresh_token_used(sim):
    first = sim.oauth.issue()["refresh_token"]
    second = grant(sim, grant_type="refresh_token", refresh_token=first).json()["refresh_token"]
    assert second != first
    reused = grant(sim, grant_type="refresh_token", refresh_token=first)
    assert reused.status_code == 400 and reused.json() == {"error": "invalid_grant"}
    assert grant(sim, grant_type="refresh_token", refresh_token=second).status_code == 200


def test_grants_in_the_query_string_or_with_a_wrong_secret_are_refused(sim):
    refresh = sim.oauth.issue()["refresh_token"]
    in_query = requests.post(
        f"{sim.url}/api/1.0/token",
        params={"grant_type": "refresh_token", "refresh_token": refresh},
        data={"client_id": APP, "client_secret": SECRET},
        timeout=5,
    )
    assert in_query.status_code == 400
    wrong = grant(sim, grant_type="refresh_token", refresh_token=refresh, client_secret="x")
    assert wrong.status_code == 401 and wrong.json()["error"] == "invalid_client"


def test_revocation_ends_every_token(sim):
    tokens = sim.oauth.issue()
    assert requests.post(f"{sim.url}/_sim/oauth/revoke", timeout=5).status_code == 200
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert requests.get(f"{sim.api_url}/outlets", headers=bearer, timeout=5).status_code == 401
    refused = grant(sim, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert refused.status_code == 400


def test_without_oauth_mode_there_is_no_token_endpoint(make_sim):
    plain = make_sim()
    assert requests.post(f"{plain.url}/api/1.0/token", timeout=5).status_code == 404
