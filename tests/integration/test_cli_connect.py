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
    stored = SqlTokenStore(engine).load()
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
