"""Files only their owner can read: .env after set-password, a new SQLite database and its
WAL/SHM files; both systemd units set UMask=0077; the API's unit gets no writer secrets."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from sync.config import load_settings
from sync.errors import SyncError
from sync.storage.sql.db import create_db_engine, migrate
from tests.support.processes import REPO, set_password


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_set_password_makes_an_existing_env_0600(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("LOG_DIR=logs\n")
    env_file.chmod(0o644)
    result = set_password(env_file, "a long enough passphrase")
    assert result.returncode == 0, result.stderr
    assert "DASHBOARD_COOKIE_KEY" in env_file.read_text()
    assert mode(env_file) == 0o600


def test_a_new_sqlite_database_and_its_wal_and_shm_are_0600(tmp_path):
    old = os.umask(0o022)
    try:
        engine = create_db_engine(f"sqlite:///{tmp_path / 'data' / 'copy.db'}")
        migrate(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT count(*) FROM sync_state")
            files = sorted((tmp_path / "data").iterdir())
            assert [f.name for f in files] == ["copy.db", "copy.db-shm", "copy.db-wal"]
            assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
        engine.dispose()
    finally:
        os.umask(old)
    assert mode(tmp_path / "data") == 0o700


def unit(name: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (REPO / "deploy" / name).read_text().splitlines():
        if "=" in line and not line.startswith("#"):
            key, _, value = line.partition("=")
            found.setdefault(key, []).append(value)
    return found


def test_both_units_create_files_only_their_user_reads():
    for name in ("lightspeed-sync.service", "lightspeed-sync-api.service"):
        assert unit(name)["UMask"] == ["0077"], name


def test_the_api_unit_gets_neither_the_writer_password_nor_lightspeed_secrets():
    api = unit("lightspeed-sync-api.service")
    assert api["EnvironmentFile"] == ["/opt/lightspeed-sync/api.env"]
    assert "-/opt/lightspeed-sync/.env" in api["InaccessiblePaths"]
    assert "--env-file /opt/lightspeed-sync/api.env api" in api["ExecStart"][0]
    example = REPO / "deploy" / "api.env.example"
    settings = load_settings({}, env_file=example)
    assert settings.api_database_url and settings.api_database_url.startswith("postgresql://api:")
    assert settings.lightspeed_client_secret is None and settings.lightspeed_token is None
    assert settings.database_url.startswith("sqlite")  # the writer's URL is not in it
    assert settings.least_privilege_problems == ()


def test_a_database_that_cannot_be_created_is_one_sentence(tmp_path):
    (tmp_path / "data").write_text("a file where the folder should be")
    with pytest.raises(SyncError, match="Cannot create the SQLite database") as refused:
        create_db_engine(f"sqlite:///{tmp_path / 'data' / 'copy.db'}")
    assert "DATABASE_URL" in refused.value.message
