"""Only a refusal of the page size shrinks it; any other 400/422 leaves it alone."""

from __future__ import annotations

import pytest

from sync.config import load_settings
from sync.errors import ErrorKind, SyncError
from sync.lightspeed.transport import LightspeedClient
from tests.support.scripted_server import Reply, ScriptedServer

PAGE = {"data": [{"id": "a", "version": 11}], "version": {"max": 11, "min": 11}}


def client_for(server: ScriptedServer) -> LightspeedClient:
    env = {
        "LIGHTSPEED_BASE_URL": server.url,
        "LIGHTSPEED_TOKEN": "tok-123456789",
        "LIGHTSPEED_TIMEOUT_SECONDS": "0.5",
        "LIGHTSPEED_MAX_RETRIES": "1",
    }
    return LightspeedClient(load_settings(env, env_file=None))


@pytest.mark.parametrize("status", [400, 422])
def test_a_refusal_of_another_parameter_keeps_the_page_size(status):
    with ScriptedServer([Reply(status, {"error": "Invalid value for after"})]).running() as server:
        client = client_for(server)
        with pytest.raises(SyncError) as info:
            client.list_page("/sales", 0)
    assert info.value.kind is ErrorKind.API and "after" in info.value.message
    assert client.page_size == 1000


def test_a_passing_400_is_retried_at_the_same_size_and_keeps_it():
    replies = [Reply(400, {"error": "Please try again later."}), Reply(body=PAGE)]
    with ScriptedServer(replies).running() as server:
        client = client_for(server)
        client.list_page("/sales", 0)
    assert "page_size=1000" in server.seen[1].path
    assert client.page_size == 1000


def test_a_size_refused_without_saying_so_steps_down_when_smaller_pages_work():
    refusal = Reply(400, {"error": "Bad request"})
    with ScriptedServer([refusal, refusal, Reply(body=PAGE)]).running() as server:
        client = client_for(server)
        client.list_page("/sales", 0)
    assert "page_size=200" in server.seen[2].path
    assert client.page_size == 200
