from __future__ import annotations

import pytest

from sync.config import DEFAULT_PAGE_SIZE, load_settings
from sync.errors import ErrorKind, Severity, SyncError, redact


def test_every_kind_has_a_severity_and_a_recovery_sentence():
    for kind in ErrorKind:
        error = SyncError(kind, "something happened")
        assert error.recovery.endswith(".")
        assert isinstance(error.severity, Severity)


@pytest.mark.parametrize(
    ("kind", "retryable", "severity"),
    [
        (ErrorKind.AUTH, False, Severity.CRITICAL),
        (ErrorKind.CONFIG, False, Severity.CRITICAL),
        (ErrorKind.NETWORK, True, Severity.WARNING),
        (ErrorKind.RATE_LIMIT, True, Severity.WARNING),
        (ErrorKind.DATABASE, True, Severity.CRITICAL),
    ],
)
def test_it_classifies_kinds(kind, retryable, severity):
    error = SyncError(kind, "x")
    assert error.retryable is retryable
    assert error.severity is severity


def test_redact_masks_given_secrets_and_token_shapes():
    text = "Bearer abc123secret and ?access_token=zzz9 and postgresql://u:pw123@h/db"
    masked = redact(text, "abc123secret")
    assert "abc123secret" not in masked
    assert "zzz9" not in masked
    assert "pw123" not in masked


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Token abc123def456", "abc123def456"),
        ('{"apikey": "sb_secret_Qw3rty", "other": 1}', "sb_secret_Qw3rty"),
        ("connect(password='hunter2 with spaces')", "hunter2 with spaces"),
        ('dsn: password="p@ss;word"', "p@ss;word"),
    ],
)
def test_redact_masks_token_headers_json_keys_and_quoted_passwords(text, secret):
    assert secret not in redact(text)
    assert "token expired" in redact("the token expired")  # plain words stay readable


def test_database_passwords_are_masked_everywhere():
    settings = load_settings(
        {
            "DATABASE_URL": "postgresql://writer:Wr1ter%40pw@db.example.com/lsync",
            "DASHBOARD_DATABASE_URL": "postgresql://dashboard:R3aderPw@db.example.com/lsync",
        },
        env_file=None,
    )
    assert {"Wr1ter@pw", "Wr1ter%40pw", "R3aderPw"} <= set(settings.secrets)
    assert "Wr1ter" not in repr(settings) and "R3aderPw" not in repr(settings)
    assert redact("login failed for Wr1ter@pw", *settings.secrets) == "login failed for ***"


def test_settings_defaults():
    settings = load_settings({}, env_file=None)
    assert settings.database_url == "sqlite:///data/lightspeed.db"
    assert settings.sync_interval_minutes == 60
    assert settings.sync_page_size == DEFAULT_PAGE_SIZE
    assert settings.dashboard_cookie_days == 1.0  # a login lasts a day
    assert settings.dashboard_address == "127.0.0.1"
    assert settings.reader_login_problem is None  # SQLite has no roles


@pytest.mark.parametrize(
    ("env", "warned"),
    [
        ({"DATABASE_URL": "postgresql://sync:pw@db/lsync"}, True),
        (
            {
                "DATABASE_URL": "postgresql://sync:pw@db/lsync",
                "DASHBOARD_DATABASE_URL": "postgresql://sync:pw@db/lsync",
            },
            True,
        ),
        (
            {
                "DATABASE_URL": "postgresql://sync:pw@db/lsync",
                "DASHBOARD_DATABASE_URL": "postgresql://dashboard:pw2@db/lsync",
            },
            False,
        ),
    ],
)
def test_it_warns_when_the_dashboard_reads_with_the_writers_login(env, warned):
    problem = load_settings(env, env_file=None).reader_login_problem
    assert (problem is not None) is warned
    if problem:
        assert "DASHBOARD_DATABASE_URL" in problem and "pw" not in problem.replace("PASSWORD", "")


def test_api_url_is_built_from_the_prefix():
    settings = load_settings({"LIGHTSPEED_DOMAIN_PREFIX": "MyStore"}, env_file=None)
    assert settings.api_base_url == "https://mystore.retail.lightspeed.app/api/2.0"


def test_base_url_overrides_prefix():
    settings = load_settings(
        {"LIGHTSPEED_DOMAIN_PREFIX": "x", "LIGHTSPEED_BASE_URL": "http://127.0.0.1:1/api/2.0/"},
        env_file=None,
    )
    assert settings.api_base_url == "http://127.0.0.1:1/api/2.0"


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"SYNC_INTERVAL_MINUTES": "soon"}, "SYNC_INTERVAL_MINUTES"),
        ({"SYNC_PAGE_SIZE": "0"}, "SYNC_PAGE_SIZE"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        (
            {"LIGHTSPEED_DOMAIN_PREFIX": "https://x.retail.lightspeed.app"},
            "LIGHTSPEED_DOMAIN_PREFIX",
        ),
        ({"LIGHTSPEED_BASE_URL": "localhost:8000"}, "LIGHTSPEED_BASE_URL"),
    ],
)
def test_a_bad_setting_names_the_variable(env, variable):
    with pytest.raises(SyncError) as info:
        load_settings(env, env_file=None)
    assert info.value.kind is ErrorKind.CONFIG
    assert variable in info.value.message


def test_missing_token_and_prefix_are_config_errors():
    settings = load_settings({}, env_file=None)
    with pytest.raises(SyncError, match="LIGHTSPEED_DOMAIN_PREFIX"):
        settings.api_base_url  # noqa: B018
    with pytest.raises(SyncError, match="LIGHTSPEED_TOKEN"):
        settings.token  # noqa: B018


def test_secrets_are_not_in_repr():
    settings = load_settings({"LIGHTSPEED_TOKEN": "tok-very-secret"}, env_file=None)
    assert "tok-very-secret" not in repr(settings)
    assert "tok-very-secret" in settings.secrets


def test_env_file_is_read_and_environment_wins(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text("SYNC_INTERVAL_MINUTES=15\nLIGHTSPEED_TOKEN=from-file\n")
    settings = load_settings({"LIGHTSPEED_TOKEN": "from-env"}, env_file=env_file)
    assert settings.sync_interval_minutes == 15
    assert settings.token == "from-env"
