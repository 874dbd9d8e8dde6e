"""API keys: shown once, stored as a hash, 401 without a live key, 403 for a read key's POST."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from sync.storage.schema import api_keys, sync_requests
from sync.storage.sql.api_keys import check_key, create_key, stamp_used
from sync.storage.sql.db import create_db_engine, migrate
from tests.conftest import make_settings
from tests.support.api_server import running_api
from tests.support.cli import CliResult, run_cli

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str, db_url: str, cwd: Path) -> CliResult:
    """`python -m sync <args>` in this process (tests/support/cli.py)."""
    return run_cli(*args, env={"DATABASE_URL": db_url, "LOG_DIR": str(cwd / "logs")}, cwd=cwd)


@pytest.fixture
def engine(db_url):
    engine = create_db_engine(db_url)
    migrate(engine)
    yield engine
    engine.dispose()


def test_it_prints_a_new_key_once_on_its_last_line_and_stores_only_its_hash(
    engine, db_url, tmp_path
):
    created = cli("api-key", "create", "grafana", db_url=db_url, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    assert key.startswith("lss_") and len(key) > 40 and " " not in key
    with engine.connect() as conn:
        row = conn.execute(select(api_keys)).one()
    assert row.name == "grafana" and row.scope == "read" and row.revoked_at is None
    assert row.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in str(tuple(row)) and key.startswith(row.prefix)

    admin = cli("api-key", "create", "ops", "--admin", db_url=db_url, cwd=tmp_path)
    listed = cli("api-key", "list", db_url=db_url, cwd=tmp_path)
    assert listed.returncode == 0
    assert "grafana" in listed.stdout and "ops" in listed.stdout and "admin" in listed.stdout
    assert key not in listed.stdout and admin.stdout.splitlines()[-1] not in listed.stdout
    assert row.key_hash not in listed.stdout

    again = cli("api-key", "create", "grafana", db_url=db_url, cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr
    assert "Traceback" not in again.stderr

    revoked = cli("api-key", "revoke", "grafana", db_url=db_url, cwd=tmp_path)
    assert revoked.returncode == 0 and "Revoked" in revoked.stdout
    assert check_key(engine, key) is None
    twice = cli("api-key", "revoke", "grafana", db_url=db_url, cwd=tmp_path)
    assert twice.returncode == 1 and "No live key" in twice.stdout
    assert "revoked" in cli("api-key", "list", db_url=db_url, cwd=tmp_path).stdout


def test_it_answers_401_without_a_key_or_with_a_wrong_or_revoked_one(engine, db_url):
    settings = make_settings(db_url, "http://127.0.0.1:9/api/2.0")
    with running_api(settings, engine) as api:
        for path in ("/api/sync-health/incidents", "/metrics"):
            missing = api.get(path)
            assert missing.status_code == 401, path
            assert missing.headers["WWW-Authenticate"] == "Bearer"
            assert "Authorization: Bearer" in missing.json()["error"]
            assert api.get(path, "lss_" + "x" * 43).status_code == 401
            wrong_last = "B" if api.read_key.endswith("A") else "A"
            assert api.get(path, api.read_key[:-1] + wrong_last).status_code == 401
            assert api.get(path, "not-even-a-key").status_code == 401
        assert api.get("/api/sync-health/incidents", api.read_key).status_code == 200

        name = next(k.name for k in [check_key(engine, api.read_key)] if k)
        with engine.begin() as conn:
            conn.execute(
                text("UPDATE api_keys SET revoked_at = CURRENT_TIMESTAMP WHERE name = :n"),
                {"n": name},
            )
        refused = api.get("/api/sync-health/incidents", api.read_key)
        assert refused.status_code == 401 and "revoked" in refused.json()["error"]


def test_a_read_key_may_not_post_and_an_admin_key_may(engine, db_url):
    settings = make_settings(db_url, "http://127.0.0.1:9/api/2.0")
    with running_api(settings, engine) as api:
        body = {"entity": "sales", "reason": "month end"}
        refused = api.post("/api/sync-health/sync-requests", api.read_key, json=body)
        assert refused.status_code == 403 and "admin" in refused.json()["error"]
        assert api.post("/api/sync-health/sync-requests", json=body).status_code == 401
        with engine.connect() as conn:
            assert conn.execute(select(sync_requests)).all() == []
        accepted = api.post("/api/sync-health/sync-requests", api.admin_key, json=body)
        assert accepted.status_code == 202, accepted.text
        with engine.connect() as conn:
            row = conn.execute(select(sync_requests)).one()
        admin = check_key(engine, api.admin_key)
        assert admin is not None
        assert row.requested_by == admin.name and row.reason == "month end"
        assert row.status == "queued" and row.entity_type == "sales"


def test_last_use_is_stamped_at_most_once_a_minute(engine, db_url):
    settings = make_settings(db_url, "http://127.0.0.1:9/api/2.0")
    with running_api(settings, engine) as api:
        assert api.get("/api/sync-health/incidents", api.read_key).status_code == 200
        first = check_key(engine, api.read_key)
        assert first is not None and first.last_used_at is not None
        assert api.get("/api/sync-health/incidents", api.read_key).status_code == 200
        assert check_key(engine, api.read_key).last_used_at == first.last_used_at
    later = first.last_used_at + timedelta(seconds=61)
    assert not stamp_used(engine, first, first.last_used_at + timedelta(seconds=30))
    assert stamp_used(engine, first, later)
    assert check_key(engine, api.read_key).last_used_at == later


def test_a_key_name_must_be_printable(engine):
    from sync.errors import SyncError
    from sync.runs import utcnow

    with pytest.raises(SyncError, match="printable"):
        create_key(engine, "bad\nname", admin=False, now=utcnow())
