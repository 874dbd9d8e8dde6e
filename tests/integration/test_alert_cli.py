"""`python -m sync alerts test|check` as subprocesses, and secrets kept out of everything."""

from __future__ import annotations

import os

from sqlalchemy import select

from sync.engine.runner import Runner
from sync.storage.schema import alert_incidents, alert_notifications, sync_log, sync_state
from tests.conftest import SIM_TOKEN
from tests.integration.test_cli import base_env, cli
from tests.support.processes import REPO, start, stop_process, wait_for

MAIL_PASSWORD = "s3cretMailPw"
HOOK_PASSWORD = "hookPw4242"
SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#alerts"
HOOK_PATH_TOKEN = "wh0okT0ken9876543"
SECRETS = (
    MAIL_PASSWORD,
    HOOK_PASSWORD,
    HOOK_PATH_TOKEN,
    "TIiajkdnlazkcOXrIdevi7FQ",
    "A1BRTD4JD",
    SIM_TOKEN,
)


def test_a_stopped_scheduler_is_reported_by_an_independent_check(
    store, simulator, settings_for, db_url, webhook, tmp_path
):
    Runner(settings_for(db_url, simulator.api_url), store).run()
    env = {
        **base_env(db_url, simulator.api_url, tmp_path),
        "ALERT_URLS": webhook.url(),
        "HEARTBEAT_SECONDS": "1",
        "SCHEDULER_POLL_SECONDS": "0.2",
        "SYNC_ON_START": "false",
        "NIGHTLY_FULL_TIME": "off",
    }
    scheduler = start(
        ["scheduler"], {**os.environ, "PYTHONPATH": str(REPO), **env}, tmp_path, tmp_path / "s.log"
    )
    try:
        wait_for(lambda: "Scheduler" in (tmp_path / "s.log").read_text(), 20, "the scheduler")
        alive = cli("alerts", "check", env=env, cwd=tmp_path)
        assert alive.returncode == 0 and "Open incidents: 0 (all clear)" in alive.stdout
    finally:
        assert stop_process(scheduler) == 0
    assert webhook.posts == []

    check = cli("alerts", "check", env=env, cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    assert "1 opened" in check.stdout and "1 message(s) sent" in check.stdout
    assert "[critical] scheduler: scheduler down" in check.stdout
    assert "The scheduler stopped at" in check.stdout and "systemctl start" in check.stdout
    [(_path, body, _)] = webhook.posts
    assert body["title"].startswith("[CRITICAL] scheduler: scheduler down")
    again = cli("alerts", "check", env=env, cwd=tmp_path)
    assert "0 opened" in again.stdout and len(webhook.posts) == 1


def test_alerts_test_reports_each_channel_and_exits_1_when_one_fails(store, db_url, smtp, tmp_path):
    good = smtp.url(f"alerts:{MAIL_PASSWORD}")
    bad = f"json://hook:{HOOK_PASSWORD}@127.0.0.1:1/down"
    env = {"DATABASE_URL": db_url, "LOG_DIR": str(tmp_path / "logs"), "ALERT_URLS": f"{good} {bad}"}
    result = cli("alerts", "test", env=env, cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"sent    mailto://alerts:***@127.0.0.1:{smtp.port}/***"
    assert lines[1].startswith("FAILED  json://hook:***@127.0.0.1:1/***: ")
    assert len(smtp.messages) == 1 and "Test alert" in smtp.texts()[0][0]
    ok = cli("alerts", "test", env={**env, "ALERT_URLS": good}, cwd=tmp_path)
    assert ok.returncode == 0 and len(smtp.messages) == 2
    none = cli("alerts", "test", env={**env, "ALERT_URLS": ""}, cwd=tmp_path)
    assert none.returncode == 2 and "ALERT_URLS" in none.stderr
    with store.engine.connect() as conn:
        rows = conn.execute(select(alert_notifications.c.kind, alert_notifications.c.status)).all()
    assert sorted(rows) == [("test", "failed"), ("test", "sent"), ("test", "sent")]
    for text in (result.stdout, result.stderr, (tmp_path / "logs" / "sync.log").read_text()):
        assert MAIL_PASSWORD not in text and HOOK_PASSWORD not in text


def test_no_secret_from_alert_urls_reaches_logs_tables_or_output(
    store, simulator, db_url, smtp, webhook, tmp_path
):
    env = {
        **base_env(db_url, simulator.api_url, tmp_path),
        "ALERT_URLS": f"{smtp.url(f'alerts:{MAIL_PASSWORD}')} "
        f"{webhook.url(f'/hooks/{HOOK_PATH_TOKEN}', userinfo=f'hook:{HOOK_PASSWORD}')}",
        "ALERT_URLS_ERROR": SLACK,  # configured, never sent to (no error-severity incident)
    }
    simulator.set_faults(auth_fail=True)
    run = cli("run", env=env, cwd=tmp_path)
    check = cli("-v", "alerts", "check", env=env, cwd=tmp_path)
    assert run.returncode == 1 and check.returncode == 0, check.stderr
    assert "[critical] customers: sync failed (AUTH)" in check.stdout
    assert len(smtp.messages) == 1 and len(webhook.posts) == 1
    assert webhook.posts[0][2].startswith("Basic ")  # the password was used, not shown
    assert webhook.posts[0][0] == f"/hooks/{HOOK_PATH_TOKEN}"  # the token was used, not shown
    texts = [run.stdout, run.stderr, check.stdout, check.stderr]
    texts.append((tmp_path / "logs" / "sync.log").read_text())
    texts += [body for _, body in smtp.texts()] + [str(body) for _, body, _ in webhook.posts]
    with store.engine.connect() as conn:
        for table in (alert_incidents, alert_notifications, sync_log, sync_state):
            texts += [str(tuple(row)) for row in conn.execute(select(table))]
    assert "Loaded E-Mail URL: mailto://alerts:***@" in check.stderr  # apprise's debug lines
    for secret in SECRETS:
        assert all(secret not in text for text in texts), secret
