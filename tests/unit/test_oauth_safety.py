"""Connecting as an app: scopes asked for and granted, and where the client secret may go."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from sync.cli.connect_command import printable, refusal, scope_problem, state_matches
from sync.config import load_settings
from sync.errors import SyncError
from sync.lightspeed.identity import USER_AGENT, missing_scopes
from sync.lightspeed.oauth import (
    TokenEndpoint,
    TokenSet,
    authorize_url,
    checked_token_url,
    valid_prefix,
)
from tests.support.scripted_server import Reply, ScriptedServer

READ = "customers:read outlets:read products:read sales:read inventory:read"
APP = {"LIGHTSPEED_CLIENT_ID": "app", "LIGHTSPEED_CLIENT_SECRET": "s3cret-value"}


def settings(**env: str):
    return load_settings({**APP, **env}, env_file=None)


def test_the_authorize_url_asks_for_the_five_read_scopes_by_default():
    url = authorize_url(settings(), "http://127.0.0.1:8765/callback", "st")
    assert "scope=customers%3Aread%20outlets%3Aread" in url
    assert parse_qs(urlsplit(url).query)["scope"] == [READ]


def test_lightspeed_scopes_changes_what_is_asked_for():
    url = authorize_url(settings(LIGHTSPEED_SCOPES="sales:read,outlets:read"), "http://x/cb", "s")
    assert parse_qs(urlsplit(url).query)["scope"] == ["sales:read outlets:read"]


@pytest.mark.parametrize(
    ("granted", "missing"),
    [
        (READ, ()),
        (f"{READ} webhooks", ()),
        ("sales:read outlets:read", ("customers:read", "products:read", "inventory:read")),
        ("", ("customers:read", "outlets:read", "products:read", "sales:read", "inventory:read")),
    ],
)
def test_missing_scopes_are_the_needed_ones_not_granted(granted, missing):
    assert missing_scopes(granted) == missing


def test_a_grant_without_a_scope_the_sync_needs_is_named():
    tokens = TokenSet("a", "r", 0, 0, scope="sales:read outlets:read")
    problem = scope_problem(tokens)
    assert problem and "customers:read products:read inventory:read" in problem
    assert scope_problem(TokenSet("a", "r", 0, 0, scope=READ)) is None
    assert scope_problem(TokenSet("a", "r", 0, 0, scope=None)) is None


def test_access_denied_names_both_causes_and_the_scopes_requested():
    text = refusal({"error": "access_denied"}, settings(LIGHTSPEED_SCOPES="sales:read"))
    assert "declined" in text and "does not declare" in text and "(sales:read)" in text


@pytest.mark.parametrize(
    "value",
    ["evil.example/", "x@evil.example/", "evil.example#", "a:1", "a.b", "", "-x", "a" * 64, "é"],
)
def test_a_callback_prefix_with_anything_but_letters_digits_and_hyphens_is_refused(value):
    assert valid_prefix(value) is None


def test_a_store_prefix_is_accepted_lower_cased():
    assert valid_prefix("My-Store2") == "my-store2"


@pytest.mark.parametrize(
    "env",
    [
        {"LIGHTSPEED_DOMAIN_PREFIX": "mystore", "LIGHTSPEED_TOKEN_URL": "https://evil.example/t"},
        {
            "LIGHTSPEED_DOMAIN_PREFIX": "mystore",
            "LIGHTSPEED_TOKEN_URL": "http://mystore.retail.lightspeed.app/api/1.0/token",
        },
        {"LIGHTSPEED_BASE_URL": "https://staging.example.com/api/2.0"},
        {
            "LIGHTSPEED_BASE_URL": "https://evil.example/api/2.0",
            "LIGHTSPEED_TOKEN_URL": "http://127.0.0.1:9/token",
        },
        {
            "LIGHTSPEED_BASE_URL": "http://127.0.0.1:9/api/2.0",
            "LIGHTSPEED_TOKEN_URL": "https://evil.example/token",
        },
    ],
)
def test_the_secret_is_never_posted_outside_the_store_host_or_a_local_simulator(env):
    with pytest.raises(SyncError) as refused:
        TokenEndpoint(settings(**env))
    assert "s3cret-value" not in str(refused.value)


def test_the_store_host_and_a_loopback_simulator_are_accepted():
    store = settings(LIGHTSPEED_DOMAIN_PREFIX="mystore")
    assert checked_token_url(store) == "https://mystore.retail.lightspeed.app/api/1.0/token"
    sim = settings(LIGHTSPEED_BASE_URL="http://127.0.0.1:8765/api/2.0")
    assert checked_token_url(sim) == "http://127.0.0.1:8765/api/1.0/token"


def test_token_requests_carry_the_products_user_agent():
    answer = {"access_token": "a", "refresh_token": "r", "expires_in": 60, "scope": READ}
    server = ScriptedServer([Reply(200, answer)])
    with server.running():
        base = server.url  # http://127.0.0.1:PORT/api/2.0
        TokenEndpoint(settings(LIGHTSPEED_BASE_URL=base)).exchange_code("c", "http://x/cb")
    assert server.seen[0].path == "/api/1.0/token"
    assert server.seen[0].headers["User-Agent"] == USER_AGENT
    assert "python-requests" not in USER_AGENT


def test_state_comparison_refuses_non_ascii_without_raising():
    assert state_matches({"state": "abc"}, "abc")
    assert not state_matches({"state": "ábc"}, "abc")
    assert not state_matches({}, "abc")


def test_terminal_escapes_are_stripped_before_an_error_is_printed():
    assert printable("\x1b[31mred\x1b[0m\r\nok\x07") == "[31mred[0mok"
    assert len(printable("x" * 500)) <= 121
