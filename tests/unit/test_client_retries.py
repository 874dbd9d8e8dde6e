"""Retries in our words, and the right diagnosis for a host name that does not resolve."""

from __future__ import annotations

import logging
import re
import time

import pytest

from sync.config import load_settings
from sync.errors import ErrorKind, SyncError
from sync.lightspeed import diagnosis
from sync.lightspeed.transport import LightspeedClient
from sync.logs import setup_logging
from tests.support.scripted_server import Reply, ScriptedServer

TOKEN = "tok-SECRET-123456"
PAGE = {"data": [{"id": "a", "version": 11}], "version": {"min": 11, "max": 11}}
# RFC 6761: names under .invalid never resolve, on any machine, online or not.
UNKNOWN_BASE = "http://nosuchstore-xyz.invalid/api/2.0"


def client(base_url: str, retries: str = "3") -> LightspeedClient:
    settings = load_settings(
        {
            "LIGHTSPEED_BASE_URL": base_url,
            "LIGHTSPEED_TOKEN": TOKEN,
            "LIGHTSPEED_TIMEOUT_SECONDS": "0.5",
            "LIGHTSPEED_MAX_RETRIES": retries,
        },
        env_file=None,
    )
    return LightspeedClient(settings)


@pytest.fixture
def dns(monkeypatch):
    """A resolver that knows only the names a test adds (no internet in tests)."""
    known: set[str] = {"127.0.0.1"}
    monkeypatch.setattr(diagnosis, "resolve_host", lambda host: host in known)
    return known


def test_it_says_each_retry_in_one_plain_line(caplog):
    replies = [Reply(503, {"error": "x"}), Reply(503, {"error": "x"}), Reply(body=PAGE)]
    caplog.set_level(logging.INFO)
    with ScriptedServer(replies).running() as server:
        client(server.url).list_page("/outlets", 0)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("sync.")]
    assert len(ours) == 2
    assert re.fullmatch(
        r"outlets: Lightspeed did not answer \(503\), retrying in \S+ s \(1/3\)", ours[0]
    )
    assert re.fullmatch(
        r"outlets: Lightspeed did not answer \(503\), retrying in \S+ s \(2/3\)", ours[1]
    )


def test_it_names_the_wait_of_a_rate_limit(caplog):
    replies = [Reply(429, {"error": "x"}, {"Retry-After": "1"}), Reply(body=PAGE)]
    caplog.set_level(logging.INFO)
    with ScriptedServer(replies).running() as server:
        client(server.url).list_page("/sales", 0)
    ours = [r.getMessage() for r in caplog.records if r.name.startswith("sync.")]
    assert ours == ["sales: Lightspeed's rate limit was reached (429), retrying in 1 s (1/3)"]


def test_it_does_not_retry_a_name_that_does_not_exist(dns, caplog):
    dns.add(diagnosis.REFERENCE_HOST)
    caplog.set_level(logging.DEBUG)
    start = time.monotonic()
    with pytest.raises(SyncError) as caught:
        client(UNKNOWN_BASE, retries="6").list_page("/outlets", 0)
    assert time.monotonic() - start < 3
    assert caught.value.kind is ErrorKind.CONFIG
    assert "nosuchstore-xyz.invalid does not resolve" in caught.value.message
    assert "LIGHTSPEED_BASE_URL" in caught.value.recovery
    assert not [r for r in caplog.records if "retrying" in r.getMessage()]


def test_it_blames_the_network_when_no_name_resolves(dns):
    with pytest.raises(SyncError) as caught:
        client(UNKNOWN_BASE).list_page("/outlets", 0)
    assert caught.value.kind is ErrorKind.NETWORK
    assert "network or DNS is down" in caught.value.message


def test_it_names_the_prefix_when_the_store_name_does_not_resolve(dns):
    dns.add(diagnosis.REFERENCE_HOST)
    error = diagnosis.unresolved_host_error("https://nosuchstore-xyz.retail.lightspeed.app/api/2.0")
    assert error.kind is ErrorKind.CONFIG
    assert "store prefix 'nosuchstore-xyz' is probably wrong" in error.message
    assert "LIGHTSPEED_DOMAIN_PREFIX" in error.recovery


def test_urllib3_retry_lines_stay_out_of_the_console_but_reach_the_file(tmp_path, capsys):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    path = setup_logging(tmp_path, (TOKEN,))
    try:
        with ScriptedServer([Reply(503, {"error": "x"}), Reply(body=PAGE)]).running() as server:
            client(server.url).list_page("/outlets", 0)
        logging.getLogger("urllib3.connectionpool").warning("Retrying (_CountingRetry(total=5))")
    finally:
        for handler in root.handlers:
            handler.flush()
    console = capsys.readouterr().err
    assert "outlets: Lightspeed did not answer (503)" in console
    assert "urllib3" not in console and "_CountingRetry" not in console
    assert "_CountingRetry" in path.read_text()
    for handler in root.handlers:
        handler.close()
    root.handlers[:], root.level = handlers, level


def test_a_403_names_the_missing_scope():
    with ScriptedServer([Reply(403, {"error": "permission denied"})]).running() as server:
        with pytest.raises(SyncError) as caught:
            client(server.url).list_page("/inventory", 0)
    assert caught.value.kind is ErrorKind.AUTH
    assert caught.value.message == (
        "The access token may not read /inventory (403 permission denied): it lacks the scope "
        "inventory:read."
    )
    assert caught.value.recovery.startswith("Give the token the scope inventory:read")
