"""`python -m sync settings` as a subprocess: sources, masked secrets, bad values, exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TOKEN = "tok-from-env-0123456789"
DB_PASSWORD = "db-pass-4242"
MAIL_PASSWORD = "s3cretMailPw"
SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#alerts"
SECRETS = (TOKEN, DB_PASSWORD, MAIL_PASSWORD, "TIiajkdnlazkcOXrIdevi7FQ", "cookie-key-xyz987")


def settings_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    # A clean environment: only what the test sets can show up as `environment`.
    base = {"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "HOME": str(cwd)}
    return subprocess.run(
        [sys.executable, "-m", "sync", "settings", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def lines_by_name(stdout: str) -> dict[str, str]:
    return {line.split()[0]: line for line in stdout.splitlines()[1:]}


def write_env_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "SYNC_INTERVAL_MINUTES=15\n"
        "LIGHTSPEED_TOKEN=from-file-token\n"
        f"DATABASE_URL=postgresql://writer:{DB_PASSWORD}@db.example.com:5432/postgres\n"
        f"ALERT_URLS=mailto://user:{MAIL_PASSWORD}@smtp.example.com:587?to=cfo@example.com\n"
        f"ALERT_URLS_CRITICAL={SLACK}\n"
        "DASHBOARD_COOKIE_KEY=cookie-key-xyz987\n"
        "SYNC_INTERVAL_MINUTES_SALES=5\n"
    )


def test_it_lists_every_setting_with_its_source_and_masks_secrets(tmp_path):
    write_env_file(tmp_path)
    env = {"LIGHTSPEED_TOKEN": TOKEN, "LIGHTSPEED_DOMAIN_PREFIX": "MyStore"}
    result = settings_cli(env=env, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = lines_by_name(result.stdout)
    assert result.stdout.splitlines()[0].split() == ["NAME", "VALUE", "SOURCE", "DEFAULT"]
    # The default only where it differs from the value, and every line fits 100 columns.
    assert rows["LIGHTSPEED_TOKEN"].split()[1:] == ["***", "environment"]
    assert rows["LIGHTSPEED_DOMAIN_PREFIX"].split()[1:] == ["MyStore", "environment"]
    assert rows["SYNC_INTERVAL_MINUTES"].split()[1:] == ["15", ".env", "60"]
    assert rows["SYNC_PAGE_SIZE"].split()[1:] == ["1000", "default"]
    assert rows["SYNC_INTERVAL_MINUTES_SALES"].split()[1:] == ["5", ".env"]
    below = result.stdout.split(rows["SYNC_INTERVAL_MINUTES_SALES"] + "\n")[1].splitlines()[0]
    assert below.strip() == "(default: = SYNC_INTERVAL_MINUTES)"  # too long for its column
    assert max(map(len, result.stdout.splitlines())) <= 100
    assert "SYNC_INTERVAL_MINUTES_INVENTORY" not in rows  # unset overrides are left out
    assert "postgresql://writer:***@db.example.com" in rows["DATABASE_URL"]
    assert "mailto://user:***@smtp.example.com" in rows["ALERT_URLS"]
    assert rows["ALERT_URLS_CRITICAL"].endswith(".env")
    assert rows["DASHBOARD_COOKIE_KEY"].split()[1] == "***"
    for secret in SECRETS:
        assert secret not in result.stdout + result.stderr


def test_a_bad_value_is_shown_with_its_sentence_and_exits_2(tmp_path):
    write_env_file(tmp_path)
    env = {"SYNC_PAGE_SIZE": "0", "ALERT_URLS_WARNING": "bogus://user:topsecret9@x"}
    result = settings_cli(env=env, cwd=tmp_path)
    assert result.returncode == 2
    rows = lines_by_name(result.stdout)
    assert rows["SYNC_PAGE_SIZE"].endswith(
        "environment  1000  error: SYNC_PAGE_SIZE='0' is not valid: "
        "put a whole number from 1 to 10000 there."
    )
    assert "bogus://... " in rows["ALERT_URLS_WARNING"]
    assert "error: ALERT_URLS_WARNING entry #1 (bogus://...)" in rows["ALERT_URLS_WARNING"]
    assert "topsecret9" not in result.stdout + result.stderr
    # The other settings are still listed, and stderr says which ones to fix.
    assert rows["SYNC_INTERVAL_MINUTES"].split()[1:] == ["15", ".env", "60"]
    assert "2 settings not valid (SYNC_PAGE_SIZE, ALERT_URLS_WARNING)" in result.stderr


def test_json_output_and_the_env_file_option(tmp_path):
    env_file = tmp_path / "other.env"
    env_file.write_text("STORE_NAME=Corner Shop\nSUPABASE_SERVICE_ROLE_KEY=sr-secret-77\n")
    result = subprocess.run(
        [sys.executable, "-m", "sync", "--env-file", str(env_file), "settings", "--json"],
        env={"PATH": os.environ["PATH"], "PYTHONPATH": str(REPO), "HEALTH_GREEN_HOURS": "x"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    rows = {row["name"]: row for row in json.loads(result.stdout)}
    assert rows["STORE_NAME"] == {
        "name": "STORE_NAME",
        "value": "Corner Shop",
        "default": "",
        "source": ".env",
        "secret": False,
        "error": None,
    }
    assert rows["SUPABASE_SERVICE_ROLE_KEY"]["value"] == "***"
    assert rows["HEALTH_GREEN_HOURS"]["error"] == (
        "HEALTH_GREEN_HOURS='x' is not valid: put a positive number of hours there."
    )
    assert "sr-secret-77" not in result.stdout


def test_example_prints_the_shipped_env_example(tmp_path):
    result = settings_cli("--example", env={}, cwd=tmp_path)
    assert result.returncode == 0
    assert result.stdout == (REPO / ".env.example").read_text()
