from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from sync.config import load_settings
from sync.engine.decode import Page, decode_list, fetch_decoded
from sync.entities import ENTITY_BY_NAME
from sync.errors import ErrorKind, SyncError
from sync.lightspeed.budget import FileBudget
from sync.lightspeed.pacing import RatePacer
from sync.lightspeed.paging import page_cursor
from sync.lightspeed.transport import LightspeedClient
from tests.support.scripted_server import Reply, ScriptedServer

TOKEN = "tok-SECRET-123456"
EMPTY = {"data": [], "version": {"min": None, "max": None}}
PAGE = {
    "data": [{"id": "a", "version": 11}, {"id": "b", "version": 12}],
    "version": {"max": 12, "min": 11},
}


def client_for(server: ScriptedServer, **env: str) -> LightspeedClient:
    settings = load_settings(
        {
            "LIGHTSPEED_BASE_URL": server.url,
            "LIGHTSPEED_TOKEN": TOKEN,
            "LIGHTSPEED_TIMEOUT_SECONDS": "0.5",
            "LIGHTSPEED_MAX_RETRIES": "3",
            **env,
        },
        env_file=None,
    )
    return LightspeedClient(settings)


def read(client: LightspeedClient, path: str, after: int = 0, **kwargs: bool) -> Page:
    """One page of `path` as the engine reads it: asked, then decoded (exact numbers)."""
    spec = ENTITY_BY_NAME[path.strip("/")]
    return fetch_decoded(
        lambda: client.list_page(path, after, **kwargs), lambda raw: decode_list(raw, spec)
    )


def test_it_sends_bearer_auth_and_paging_params():
    with ScriptedServer([Reply(body=PAGE)]).running() as server:
        page = read(client_for(server), "/customers", 10, deleted=True)
    seen = server.seen[0]
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    assert "after=10" in seen.path and "page_size=1000" in seen.path and "deleted=true" in seen.path
    assert page.version_max == 12 and page.api_calls == 1


def test_it_retries_5xx_then_succeeds_and_counts_calls():
    replies = [Reply(503, {"error": "x"}), Reply(502, {"error": "x"}), Reply(body=PAGE)]
    with ScriptedServer(replies).running() as server:
        client = client_for(server)
        page = read(client, "/sales")
    assert len(page.rows) == 2
    assert client.api_calls == 3
    assert client.retries == 2
    (took,) = client.timings.since(0)  # one request, its retries inside it
    assert took > 0


def test_it_retries_after_http_date():
    when = datetime.now(UTC) + timedelta(seconds=2)
    header = {"Retry-After": format_datetime(when, usegmt=True)}
    replies = [Reply(429, {"error": "Too Many Requests"}, header), Reply(body=PAGE)]
    with ScriptedServer(replies).running() as server:
        client_for(server).list_page("/sales", 0)
    gap = server.seen[1].at - server.seen[0].at
    assert gap >= 0.9  # the date has 1 s resolution; it still must be waited for


def test_a_retry_after_wait_does_not_count_against_the_reply_deadline():
    # The reply's deadline is 0.5 s x 4 = 2 s; the wait before the second attempt is 3 s.
    replies = [Reply(429, {"error": "x"}, {"Retry-After": "3"}), Reply(body=PAGE)]
    with ScriptedServer(replies).running() as server:
        page = client_for(server).list_page("/sales", 0)
    assert page.status == 200 and len(server.seen) == 2
    assert server.seen[1].at - server.seen[0].at >= 2.9


def test_it_retries_after_seconds():
    replies = [Reply(429, {"error": "x"}, {"Retry-After": "1"}), Reply(body=PAGE)]
    with ScriptedServer(replies).running() as server:
        client_for(server).list_page("/sales", 0)
    assert server.seen[1].at - server.seen[0].at >= 0.95


def test_a_huge_retry_after_is_capped():
    replies = [Reply(429, {"error": "x"}, {"Retry-After": "86400"}), Reply(body=PAGE)]
    with ScriptedServer(replies).running() as server:
        start = time.monotonic()
        client_for(server, LIGHTSPEED_RETRY_AFTER_MAX_SECONDS="0.2").list_page("/sales", 0)
    assert time.monotonic() - start < 5


@pytest.mark.parametrize(
    ("status", "body", "kind"),
    [
        (401, {"error": "Access token is not valid"}, ErrorKind.AUTH),
        (403, {"error": "permission denied"}, ErrorKind.AUTH),
        (404, {"error": "Not found"}, ErrorKind.CONFIG),
        (400, {"error": "bad request"}, ErrorKind.API),
        (500, {"error": "boom"}, ErrorKind.API),
        (429, {"error": "Too Many Requests"}, ErrorKind.RATE_LIMIT),
    ],
)
def test_statuses_map_to_error_kinds(status, body, kind):
    with ScriptedServer([Reply(status, body, {"Retry-After": "0"})]).running() as server:
        client = client_for(server, SYNC_PAGE_SIZE="100", LIGHTSPEED_MAX_RETRIES="1")
        with pytest.raises(SyncError) as info:
            client.list_page("/sales", 0)
    assert info.value.kind is kind
    assert TOKEN not in str(info.value) and TOKEN not in info.value.details()


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_are_not_retried(status):
    with ScriptedServer([Reply(status, {"error": "no"})]).running() as server:
        with pytest.raises(SyncError):
            client_for(server).list_page("/sales", 0)
    assert len(server.seen) == 1


def test_an_echoed_token_never_reaches_the_message():
    reply = Reply(401, {"error": f"token {TOKEN} is not valid"})
    with ScriptedServer([reply]).running() as server:
        with pytest.raises(SyncError) as info:
            client_for(server).list_page("/sales", 0)
    assert TOKEN not in str(info.value)


def test_timeouts_are_retried_then_classified():
    with ScriptedServer([Reply(body=PAGE, delay=1.5)]).running() as server:
        with pytest.raises(SyncError) as info:
            client_for(server, LIGHTSPEED_MAX_RETRIES="1").list_page("/sales", 0)
    assert info.value.kind is ErrorKind.TIMEOUT
    assert len(server.seen) == 2


def test_connection_refused_is_network():
    server = ScriptedServer([Reply()])
    server.httpd.server_close()  # nothing listens on that port any more
    with pytest.raises(SyncError) as info:
        client_for(server, LIGHTSPEED_MAX_RETRIES="1").list_page("/sales", 0)
    assert info.value.kind is ErrorKind.NETWORK


def test_malformed_json_is_retried_then_reported():
    replies = [Reply(body=b'{"data": [{"id": "a"'), Reply(body=PAGE)]
    with ScriptedServer(replies).running() as server:
        page = read(client_for(server), "/sales")
    assert len(page.rows) == 2

    with ScriptedServer([Reply(body=b"<html>oops")]).running() as server:
        with pytest.raises(SyncError) as info:
            read(client_for(server), "/sales")
    assert info.value.kind is ErrorKind.API
    assert "malformed JSON" in info.value.message


def test_oversize_page_size_steps_down_when_refused():
    replies = [Reply(400, {"error": "page_size too large"}), Reply(body=PAGE)]
    with ScriptedServer(replies).running() as server:
        client = client_for(server)
        client.list_page("/sales", 0)
    assert "page_size=200" in server.seen[1].path
    assert client.page_size == 200


def test_numbers_arrive_as_decimals():
    body = b'{"data": [{"id": "a", "version": 5, "price": 20.6611600000}], "version": {"max": 5}}'
    with ScriptedServer([Reply(body=body)]).running() as server:
        page = read(client_for(server), "/products")
    assert str(page.rows[0]["price"]) == "20.6611600000"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"version": {"max": 20, "min": 3}}, 20),
        ({"version": {"max": None, "min": None}}, 15),
        ({}, 15),
        ({"version": None}, 15),
    ],
)
def test_page_cursor_falls_back_to_row_versions(body, expected):
    assert page_cursor(body, [{"version": 15}, {"version": 3}]) == expected


def test_a_bare_array_body_is_read_as_the_page():
    body = b'[{"id": "a", "version": 5}, {"id": "b", "version": 9}]'
    with ScriptedServer([Reply(body=body)]).running() as server:
        page = read(client_for(server), "/inventory")
    assert [r["id"] for r in page.rows] == ["a", "b"] and page.version_max == 9


def test_a_429_holds_the_shared_budget_until_its_retry_after(tmp_path):
    other = RatePacer(300, budget=FileBudget(tmp_path / "budget.json"))
    replies = [Reply(429, {"error": "x"}, {"Retry-After": "2"}), Reply(body=PAGE)]
    with ScriptedServer(replies).running() as server:
        settings = load_settings(
            {"LIGHTSPEED_BASE_URL": server.url, "LIGHTSPEED_TOKEN": TOKEN}, env_file=None
        )
        pacer = RatePacer(300, budget=FileBudget(tmp_path / "budget.json"))
        before = time.time()
        LightspeedClient(settings, pacer=pacer).list_page("/sales", 0)
    # Another process of the same store sees the hold the 429 asked for.
    state = other.state()
    assert state.remaining == 0
    assert before + 1.5 <= (state.window_end or 0) <= time.time() + 0.5
