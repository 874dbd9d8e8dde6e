"""`python -m sync connect` end to end against the simulator's authorize page and token endpoint."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests

from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.tokens import SqlTokenStore
from tests.support.oauth_app import app_env, child_env, oauth_simulator, secrets_seen
from tests.support.processes import REPO


@pytest.fixture
def oauth_sim():
    yield from oauth_simulator()


@pytest.fixture
def migrated(sqlite_url):
    engine = create_db_engine(sqlite_url)
    migrate(engine)
    yield sqlite_url
    engine.dispose()


def start_connect(env: dict[str, str], *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "sync", "connect", "--no-browser", "--timeout", "20", *args],
        env=child_env(env),
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def authorize_url(process: subprocess.Popen) -> str:
    """The authorize URL `connect` prints (read within a few seconds)."""
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        found = re.search(r"https?://\S+/connect\?\S+", line)
        if found:
            return found.group(0)
    raise AssertionError("connect printed no authorize URL")


def approve(url: str) -> str:
    """What the browser does: the simulator's page redirects back with a code."""
    answer = requests.get(url, allow_redirects=False, timeout=5)
    assert answer.status_code == 302
    return answer.headers["Location"]


def with_state(location: str, state: str) -> str:
    parts = urlsplit(location)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()} | {"state": state}
    return parts._replace(query=urlencode(query)).geturl()


def test_it_connects_when_the_callback_carries_the_right_state(migrated, oauth_sim):
    process = start_connect(app_env(migrated, oauth_sim), "--port", "0")
    url = authorize_url(process)
    assert "response_type=code" in url and "client_id=sync-test-app" in url
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A" in url and "%2Fcallback" in url
    callback = requests.get(approve(url), timeout=5)
    assert callback.status_code == 200
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, out + err
    assert "Connected to store devstore as an app" in out
    engine = create_db_engine(migrated)
    stored = SqlTokenStore(engine, store="default").load()
    engine.dispose()
    assert stored is not None and stored.refresh_token in oauth_sim.oauth.refresh
    assert [s for s in secrets_seen(oauth_sim) if s in out + err] == []


def test_it_refuses_a_callback_with_a_forged_state(migrated, oauth_sim):
    process = start_connect(app_env(migrated, oauth_sim), "--port", "0")
    url = authorize_url(process)
    forged = with_state(approve(url), "forged-by-someone-else")
    forged_code = parse_qs(urlsplit(forged).query)["code"][0]
    refused = requests.get(forged, timeout=5)
    assert refused.status_code == 400
    assert process.poll() is None, "connect keeps waiting for the real callback"
    assert forged_code not in oauth_sim.oauth.exchanged
    requests.get(approve(url), timeout=5)  # the owner's own approval still connects
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, out + err
    assert "Refused a callback whose state does not match" in err
    assert forged_code not in oauth_sim.oauth.exchanged


def test_print_url_then_the_pasted_address_connects(migrated, oauth_sim):
    process = start_connect(app_env(migrated, oauth_sim), "--print-url")
    location = approve(authorize_url(process))
    assert location.startswith("http://127.0.0.1:8765/callback?")
    out, err = process.communicate(location + "\n", timeout=20)
    assert process.returncode == 0, out + err
    assert "Connected to store devstore" in out


def test_a_pasted_address_with_a_forged_state_is_refused_and_not_exchanged(migrated, oauth_sim):
    process = start_connect(app_env(migrated, oauth_sim), "--print-url")
    forged = with_state(approve(authorize_url(process)), "forged")
    _out, err = process.communicate(forged + "\n", timeout=20)
    assert process.returncode == 1
    assert "Refused a callback whose state does not match" in err
    assert oauth_sim.oauth.exchanged == []


def test_connect_without_the_app_credentials_names_them(migrated, oauth_sim):
    env = app_env(migrated, oauth_sim, LIGHTSPEED_CLIENT_SECRET="")
    process = start_connect(env, "--port", "0")
    out, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "LIGHTSPEED_CLIENT_SECRET" in out + err


@pytest.mark.postgres
def test_over_the_supabase_rest_backend_connect_and_run_say_it_is_not_supported(
    supabase_project, oauth_sim
):
    from tests.conftest import SERVICE_KEY

    env = app_env(
        "", oauth_sim, SUPABASE_URL=supabase_project.url, SUPABASE_SERVICE_ROLE_KEY=SERVICE_KEY
    )
    process = start_connect(env, "--port", "0")
    out, err = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "over the Supabase REST backend it is not supported yet" in out + err
    run = subprocess.run(
        [sys.executable, "-m", "sync", "run", "--entity", "outlets"],
        env=child_env(env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode != 0
    assert "not supported yet" in run.stdout + run.stderr


def callback_base(url: str) -> str:
    """The listener's callback address, from the redirect_uri inside the authorize URL."""
    return parse_qs(urlsplit(url).query)["redirect_uri"][0]


def state_of(url: str) -> str:
    return parse_qs(urlsplit(url).query)["state"][0]


def test_connect_asks_for_the_read_scopes_and_the_grant_holds_them(migrated, oauth_sim):
    process = start_connect(app_env(migrated, oauth_sim), "--port", "0")
    url = authorize_url(process)
    requests.get(approve(url), timeout=5)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 0, out + err
    asked = "customers:read outlets:read products:read sales:read inventory:read"
    assert oauth_sim.oauth.asked_scopes == [asked]
    engine = create_db_engine(migrated)
    assert SqlTokenStore(engine, store="default").load().scope == asked
    engine.dispose()


def test_a_grant_missing_a_scope_the_sync_needs_names_it(migrated, oauth_sim):
    env = app_env(migrated, oauth_sim, LIGHTSPEED_SCOPES="sales:read outlets:read")
    process = start_connect(env, "--port", "0")
    requests.get(approve(authorize_url(process)), timeout=5)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 1, out + err
    assert "Connected to store devstore" in out
    assert "also needs customers:read products:read inventory:read" in out


def test_access_denied_names_both_causes_and_the_scopes_requested(migrated):
    from sync.simulator import SimulatorConfig, SimulatorServer
    from tests.support.oauth_app import CLIENT_ID, CLIENT_SECRET

    config = SimulatorConfig(
        scale="tiny",
        oauth_client_id=CLIENT_ID,
        oauth_client_secret=CLIENT_SECRET,
        oauth_scopes=["sales:read"],  # the app declares one scope; connect asks for five
    )
    with SimulatorServer(config) as sim:
        process = start_connect(app_env(migrated, sim), "--port", "0")
        denied = requests.get(approve(authorize_url(process)), timeout=5)
        out, _err = process.communicate(timeout=20)
    assert denied.status_code == 200 and process.returncode == 1
    assert "access_denied" in out and "declined" in out and "does not declare" in out
    assert "customers:read outlets:read products:read sales:read inventory:read" in out
    assert sim.oauth.exchanged == []


class _Watch:
    """A loopback listener that counts connections: as HTTPS_PROXY it sees every request."""

    def __init__(self) -> None:
        import socket
        import threading

        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.mark.parametrize("prefix", ["evil.example/", "x@evil.example/", "evil.example#", "a:b"])
def test_a_callback_prefix_that_is_not_a_store_prefix_sends_nothing(migrated, oauth_sim, prefix):
    watch = _Watch()
    env = app_env(migrated, oauth_sim, LIGHTSPEED_BASE_URL="")
    env |= {"HTTPS_PROXY": f"http://127.0.0.1:{watch.port}", "NO_PROXY": "127.0.0.1"}
    env |= {"HTTP_PROXY": f"http://127.0.0.1:{watch.port}"}
    try:
        process = start_connect(env, "--port", "0")
        url = authorize_url(process)
        forged = f"{callback_base(url)}?" + urlencode(
            {"code": "stolen-code", "domain_prefix": prefix, "state": state_of(url)}
        )
        assert requests.get(forged, timeout=5).status_code == 200
        out, err = process.communicate(timeout=20)
    finally:
        watch.close()
    assert process.returncode == 1
    assert "is not a Lightspeed store prefix" in err and "nothing was sent" in err
    assert "evil" not in out + err
    assert watch.connections == 0, "a request left for the forged token endpoint"
    assert oauth_sim.oauth.exchanged == []


def test_the_listener_survives_an_idle_connection_and_a_non_ascii_state(migrated, oauth_sim):
    import socket

    process = start_connect(app_env(migrated, oauth_sim), "--port", "0")
    url = authorize_url(process)
    port = urlsplit(callback_base(url)).port
    silent = socket.create_connection(("127.0.0.1", port))  # connects, never sends a byte
    try:
        odd = requests.get(f"{callback_base(url)}?code=x&state=%C3%A9t%C3%A9", timeout=5)
        assert odd.status_code == 400
        started = time.monotonic()
        assert requests.get(approve(url), timeout=5).status_code == 200
        out, err = process.communicate(timeout=20)
    finally:
        silent.close()
    assert process.returncode == 0, out + err
    assert time.monotonic() - started < 10
    assert "Traceback" not in err


def test_a_silent_connection_does_not_stretch_the_timeout(migrated, oauth_sim):
    import socket

    process = subprocess.Popen(
        [sys.executable, "-m", "sync", "connect", "--no-browser", "--timeout", "3", "--port", "0"],
        env=child_env(app_env(migrated, oauth_sim)),
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = authorize_url(process)
    started = time.monotonic()
    silent = socket.create_connection(("127.0.0.1", urlsplit(callback_base(url)).port))
    try:
        out, _err = process.communicate(timeout=20)
    finally:
        silent.close()
    assert process.returncode == 1 and "No callback arrived within 3 s" in out
    assert time.monotonic() - started < 6


def test_control_characters_in_the_error_never_reach_the_terminal(migrated, oauth_sim):
    process = start_connect(app_env(migrated, oauth_sim), "--port", "0")
    url = authorize_url(process)
    query = urlencode({"error": "\x1b[2J\x1b[31mgotcha\x07", "state": state_of(url)})
    requests.get(f"{callback_base(url)}?{query}", timeout=5)
    out, err = process.communicate(timeout=20)
    assert process.returncode == 1
    assert "gotcha" in out and "\x1b" not in out + err and "\x07" not in out + err
