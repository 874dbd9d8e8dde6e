"""API_DATABASE_URL: the API's own login, falling back to the dashboard's, then the writer's."""

from __future__ import annotations

from sync.api.server import api_login_problem
from sync.config import load_settings
from sync.storage.sql.api_keys import KEY_MARK, PREFIX_LENGTH, key_hash, new_key

WRITER = "postgresql://sync:Wr1terPw@db.example.com/lsync"
READER = "postgresql://dashboard:R3aderPw@db.example.com/lsync"
API = "postgresql://api:Ap1Secret@db.example.com/lsync"


def settings(**env: str):
    return load_settings({"DATABASE_URL": WRITER, **env}, env_file=None)


def test_the_api_reads_its_own_url_then_the_dashboards_then_the_writers():
    assert (
        settings(API_DATABASE_URL=API, DASHBOARD_DATABASE_URL=READER).api_reader_database_url == API
    )
    assert settings(DASHBOARD_DATABASE_URL=READER).api_reader_database_url == READER
    assert settings().api_reader_database_url == WRITER


def test_the_api_password_is_masked_like_the_others():
    loaded = settings(API_DATABASE_URL=API)
    assert "Ap1Secret" in loaded.secrets
    assert "Ap1Secret" not in repr(loaded)


def test_it_warns_only_when_the_api_would_use_the_writers_login():
    problem = api_login_problem(settings())
    assert problem is not None and "IN ROLE sync_api" in problem and "Wr1terPw" not in problem
    assert api_login_problem(settings(API_DATABASE_URL=API)) is None
    assert api_login_problem(settings(DASHBOARD_DATABASE_URL=READER)) is None
    assert (
        api_login_problem(load_settings({"DATABASE_URL": "sqlite:///x.db"}, env_file=None)) is None
    )


def test_keys_are_random_and_only_their_hash_and_prefix_are_kept():
    first, second = new_key(), new_key()
    assert first != second and first.startswith(KEY_MARK) and len(first) == len(KEY_MARK) + 43
    assert key_hash(first) != key_hash(second) and len(key_hash(first)) == 64
    assert first not in key_hash(first) and len(first[:PREFIX_LENGTH]) == 12
