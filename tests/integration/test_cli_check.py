"""`python -m sync check`: one line per check, the sentence for each ✗, exit 0 only when ready."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import bcrypt
import pytest
from sqlalchemy import func, select

from sync.cli.entry import main
from sync.config import load_settings
from sync.engine.runner import Runner
from sync.lightspeed import diagnosis
from sync.runs import utcnow
from sync.service.heartbeat import Heartbeat
from sync.storage.schema import alert_notifications
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.sql.store import Store
from tests.conftest import SIM_TOKEN

REPO = Path(__file__).resolve().parents[2]
COOKIE_KEY = "k" * 8 + "0123456789abcdefghijklmnopqrstuvwxyz"
DASH = "\u2013"  # information, or not checked
SETTING_PREFIXES = ("LIGHTSPEED_", "DATABASE_URL", "DASHBOARD_", "ALERT_", "SUPABASE_", "SYNC_")


@pytest.fixture
def ready(tmp_path, simulator) -> dict[str, str]:
    """A ready installation: migrated and synced SQLite, the simulator, dashboard login, alerts."""
    env = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'copy.db'}",
        "LIGHTSPEED_BASE_URL": simulator.api_url,
        "LIGHTSPEED_TOKEN": SIM_TOKEN,
        "DASHBOARD_PASSWORD_HASH": bcrypt.hashpw(b"a long password", bcrypt.gensalt(4)).decode(),
        "DASHBOARD_COOKIE_KEY": COOKIE_KEY,
        "ALERT_URLS": "json://127.0.0.1:9/alerts",
        "LOG_DIR": str(tmp_path / "logs"),
    }
    engine = create_db_engine(env["DATABASE_URL"])
    migrate(engine)
    store = Store(engine)
    store.ensure_state_rows()
    Runner(load_settings(env, env_file=None), store).run()
    Heartbeat(store, period_seconds=30, clock=utcnow).beat()
    engine.dispose()
    return env


@pytest.fixture
def check(tmp_path, monkeypatch, capsys):
    """Run `check` in this process (so the resolver seam applies): (exit code, output lines)."""
    for name in list(os.environ):
        if name.startswith(SETTING_PREFIXES):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def run(env: dict[str, str], *args: str) -> tuple[int, list[str]]:
        (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        code = main(["check", *args])
        captured = capsys.readouterr()
        return code, (captured.out + captured.err).splitlines()

    yield run
    root.handlers[:], root.level = handlers, level


def line(lines: list[str], start: str) -> str:
    found = [text for text in lines if text.startswith(start)]
    assert len(found) == 1, "\n".join(lines)
    return found[0]


def test_a_ready_installation_passes_every_check_in_under_3_seconds(ready, tmp_path):
    clean = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "HOME": str(tmp_path)}
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "sync", "check"],
        env={**clean, **ready},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    elapsed = time.monotonic() - start
    lines = result.stdout.splitlines()
    assert result.returncode == 0, result.stdout + result.stderr
    assert elapsed < 3, f"check took {elapsed:.1f} s"
    assert all(text.startswith("✓ ") for text in lines[:-1]), result.stdout
    for start_of_line in (
        "✓ settings:",
        "✓ database:",
        "✓ Lightspeed address:",
        "✓ Lightspeed token: accepted",
        "✓ scope customers:read: GET /customers works",
        "✓ scope inventory:read:",
        "✓ rate limit:",
        "✓ dashboard password:",
        "✓ dashboard cookie key:",
        "✓ dashboard database:",
        "✓ alert channel json://127.0.0.1:9/***: apprise reads it",
        "✓ scheduler: running",
        "✓ last run sales:",
    ):
        line(lines, start_of_line)
    assert lines[-1] == "Everything needed is ready."
    assert SIM_TOKEN not in result.stdout and COOKIE_KEY not in result.stdout


def test_it_makes_one_call_per_endpoint_and_writes_nothing(ready, check, simulator, tmp_path):
    before = (tmp_path / "copy.db").read_bytes()
    simulator.reset_stats()
    code, _ = check(ready)
    assert code == 0
    stats = simulator.stats()
    assert stats["total"] == 5, stats
    assert (tmp_path / "copy.db").read_bytes() == before


def test_it_names_the_prefix_when_the_store_name_does_not_resolve(ready, check, monkeypatch):
    known = {diagnosis.REFERENCE_HOST}
    monkeypatch.setattr(diagnosis, "resolve_host", lambda host: host in known)
    env = {**ready, "LIGHTSPEED_DOMAIN_PREFIX": "nosuchstore-xyz"}
    del env["LIGHTSPEED_BASE_URL"]
    start = time.monotonic()
    code, lines = check(env)
    assert time.monotonic() - start < 3
    assert code == 1
    assert line(lines, "✗ Lightspeed address:") == (
        "✗ Lightspeed address: There is no Lightspeed store at "
        "nosuchstore-xyz.retail.lightspeed.app: the name does not resolve, while "
        "secure.retail.lightspeed.app does. The store prefix 'nosuchstore-xyz' is probably "
        "wrong. Check LIGHTSPEED_DOMAIN_PREFIX in .env: it is the 'mystore' of your store's "
        "address, https://mystore.retail.lightspeed.app (the address you log in at)."
    )


def test_it_says_when_the_token_is_refused(ready, check):
    code, lines = check({**ready, "LIGHTSPEED_TOKEN": "not-the-token-42"})
    assert code == 1
    refused = line(lines, "✗ Lightspeed token:")
    assert "Lightspeed refused the token (401 Access token is not valid)" in refused
    assert "put it in LIGHTSPEED_TOKEN" in refused
    assert not [text for text in lines if "not-the-token-42" in text]


def test_it_names_the_missing_scope(ready, check, simulator):
    simulator.set_faults(forbidden_paths=["/inventory"])
    code, lines = check(ready)
    assert code == 1
    assert line(lines, "✗ scope inventory:read:") == (
        "✗ scope inventory:read: The token may not read /inventory (403 permission denied): "
        "it lacks the scope inventory:read. Give the token the scope inventory:read (a personal "
        "token: create a new one with all five read scopes), then put it in LIGHTSPEED_TOKEN."
    )
    line(lines, "✓ scope sales:read:")
    line(lines, "✓ Lightspeed token: accepted")


def test_a_404_on_every_endpoint_means_a_wrong_base_url(ready, check, simulator):
    code, lines = check({**ready, "LIGHTSPEED_BASE_URL": simulator.url + "/api/1.0"})
    assert code == 1
    wrong = line(lines, "✗ Lightspeed address:")
    assert "Every endpoint answered 404" in wrong and "LIGHTSPEED_DOMAIN_PREFIX" in wrong


def test_it_says_to_migrate_an_unmigrated_database(ready, check, tmp_path):
    create_db_engine(f"sqlite:///{tmp_path / 'empty.db'}").dispose()
    (tmp_path / "empty.db").touch()
    code, lines = check({**ready, "DATABASE_URL": f"sqlite:///{tmp_path / 'empty.db'}"})
    assert code == 1
    unmigrated = line(lines, "✗ database:")
    assert "answers but is not migrated" in unmigrated
    assert unmigrated.endswith(
        "Run `python -m sync migrate` (the service unit runs it before starting)."
    )
    line(lines, f"{DASH} scheduler: not checked")


def test_it_refuses_a_weak_cookie_key(ready, check):
    code, lines = check({**ready, "DASHBOARD_COOKIE_KEY": "short-key-123"})
    assert code == 1
    assert line(lines, "✗ dashboard cookie key:").startswith(
        "✗ dashboard cookie key: DASHBOARD_COOKIE_KEY has only 13 characters; it needs at least "
        "32 so that nobody can forge a login cookie. Replace it with a long random string"
    )
    assert not [text for text in lines if "short-key-123" in text]


def test_it_names_an_alert_url_apprise_cannot_read(ready, check):
    code, lines = check({**ready, "ALERT_URLS": "json://127.0.0.1:9/a bogus://user:topsecret9@x"})
    assert code == 1
    bad = line(lines, "✗ alert channel ALERT_URLS #2:")
    assert "apprise cannot read ALERT_URLS entry #2 (bogus://...)." in bad
    assert "e.g. mailto://" in bad
    line(lines, "✓ alert channel json://")
    line(lines, "✓ settings: every other setting parses")
    # The rest is still checked.
    line(lines, "✓ scope sales:read:")
    assert not [text for text in lines if "topsecret9" in text]


def test_a_stopped_scheduler_is_information_not_a_failure(ready, check, tmp_path):
    store = Store(create_db_engine(ready["DATABASE_URL"]))
    Heartbeat(store, period_seconds=30, clock=utcnow).stop()
    store.engine.dispose()
    code, lines = check(ready)
    assert code == 0
    stopped = line(lines, f"{DASH} scheduler:")
    assert stopped.startswith(f"{DASH} scheduler: not running (stopped at ")


def test_before_the_scheduler_starts_only_a_broken_setting_stops_it(ready, check, simulator):
    simulator.set_faults(fail_next=[503] * 5)
    code, lines = check({**ready, "DASHBOARD_COOKIE_KEY": "weak"}, "--service")
    assert code == 0, "\n".join(lines)
    names = [text.split(": ", 1)[0] for text in lines[:-1]]
    assert not [name for name in names if "dashboard" in name or "scheduler" in name]
    assert "✗ scope customers:read" in names
    assert f"{DASH} Lightspeed token" in names
    assert lines[-1] == "Starting the scheduler: it retries the failures above by itself."
    code, lines = check({**ready, "LIGHTSPEED_TOKEN": "not-the-token-42"}, "--service")
    assert code == 1
    assert lines[-1].startswith("The scheduler was not started: 1 problem(s)")
    code, lines = check({**ready, "ALERT_URLS": "bogus://x"}, "--service")
    assert code == 1
    line(lines, "✗ alert channel ALERT_URLS #1:")


@pytest.mark.postgres
def test_on_postgres_it_tells_a_writer_login_from_a_read_only_one(ready, check, pg_url):
    import psycopg

    migrate(create_db_engine(pg_url))
    admin = pg_url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(
            "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'lsync_check_dash') "
            "THEN CREATE ROLE lsync_check_dash LOGIN IN ROLE dashboard_reader; END IF; END $$"
        )
    env = {**ready, "DATABASE_URL": pg_url, "DASHBOARD_DATABASE_URL": pg_url}
    code, lines = check(env)
    assert code == 1
    writer = line(lines, "✗ dashboard database:")
    assert "The dashboard's login 'postgres' can change the copy (lightspeed_" in writer
    assert "IN ROLE dashboard_reader" in writer and "DASHBOARD_DATABASE_URL" in writer
    reader = pg_url.replace("postgres@", "lsync_check_dash@")
    code, lines = check({**env, "DASHBOARD_DATABASE_URL": reader})
    assert line(lines, "✓ dashboard database:") == (
        "✓ dashboard database: login 'lsync_check_dash' can read the copy but not change it"
    )


def test_send_delivers_a_test_message_to_each_channel_and_writes_nothing(ready, check, webhook):
    import json

    code, lines = check({**ready, "ALERT_URLS": webhook.url()}, "--send")
    assert code == 0, "\n".join(lines)
    line(lines, f"✓ alert channel json://127.0.0.1:{webhook.port}/***/***: test message sent")
    assert len(webhook.posts) == 1 and "Test alert" in webhook.posts[0][1]["title"]
    engine = create_db_engine(ready["DATABASE_URL"])
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(alert_notifications)).scalar() == 0
    engine.dispose()
    code, lines = check({**ready, "ALERT_URLS": "json://127.0.0.1:9/closed"}, "--send", "--json")
    report = json.loads("\n".join(lines[: lines.index("}") + 1]))  # stdout; then stderr
    assert code == 1 and report["ok"] is False
    channel = next(c for c in report["checks"] if c["name"].startswith("alert channel"))
    assert channel["status"] == "fail"
    assert channel["summary"].startswith("the test message could not be sent")
