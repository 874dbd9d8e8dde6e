"""`api-key create --store` and `user add|list|stores|remove`: keys and dashboard users
limited to some stores, run in-process (sync.cli.entry.main) on SQLite and Postgres."""

from __future__ import annotations

import io
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert

from sync.auth import check_password, credentials, user_stores
from sync.cli.entry import main
from sync.config import load_settings
from sync.storage.schema import lightspeed_stores
from sync.storage.sql.api_keys import check_key
from sync.storage.sql.store import Store

PASSWORD = "a long enough secret"


@pytest.fixture
def env(store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A migrated database holding 'default' (the configured store) and beta; the path of
    the users file (not written yet)."""
    with store.engine.begin() as conn:
        conn.execute(
            insert(lightspeed_stores).values(
                prefix="beta", name="Beta Ltd", connection="token", added_at=datetime.now(UTC)
            )
        )
    db_url = store.engine.url.render_as_string(hide_password=False)
    monkeypatch.chdir(tmp_path)
    users = tmp_path / "secrets" / "users.toml"
    for name, value in {
        "DATABASE_URL": db_url,
        "LIGHTSPEED_DOMAIN_PREFIX": "default",
        "DASHBOARD_USERS_FILE": str(users),
        "LOG_DIR": str(tmp_path / "logs"),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("DASHBOARD_USERNAME", raising=False)
    return users


def run(capsys: pytest.CaptureFixture, *argv: str, stdin: str = "") -> tuple[int, str, str]:
    import sys

    saved, sys.stdin = sys.stdin, io.StringIO(stdin)
    try:
        code = main(list(argv))
    finally:
        sys.stdin = saved
    out, err = capsys.readouterr()
    return code, out, err


def test_a_key_created_with_stores_is_limited_to_them(env, capsys, store):
    code, out, _ = run(capsys, "api-key", "create", "franchise", "--store", "beta")
    assert code == 0 and "for the stores beta" in out
    key = out.strip().splitlines()[-1]
    found = check_key(store.engine, key)
    assert found is not None and found.stores == frozenset({"beta"})
    assert run(capsys, "api-key", "create", "grafana")[0] == 0
    code, out, _ = run(capsys, "api-key", "list")
    lines = {line.split()[0]: line.split() for line in out.splitlines()[1:]}
    assert lines["franchise"][3] == "beta" and lines["grafana"][3] == "all"


def test_an_unknown_store_is_one_sentence_and_creates_no_key(env, capsys):
    code, _, err = run(capsys, "api-key", "create", "franchise", "--store", "gamma")
    assert code == 2 and "Traceback" not in err
    assert "This database holds no store 'gamma'; no key was created." in err
    assert "beta, default" in err
    assert "franchise" not in run(capsys, "api-key", "list")[1]


def test_user_add_list_stores_and_remove(env, capsys):
    code, out, err = run(
        capsys, "user", "add", "Anna", "--store", "beta", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert code == 0, err
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    assert PASSWORD not in env.read_text() and PASSWORD not in out
    settings = load_settings()
    assert user_stores(settings, "anna") == frozenset({"beta"})
    assert user_stores(settings, "cfo") is None  # the .env user sees every store
    assert user_stores(settings, "bob") == frozenset()  # not a user: sees nothing
    entry = credentials(settings)["usernames"]["anna"]
    assert check_password(PASSWORD, entry["password"])

    code, out, _ = run(capsys, "user", "list")
    assert code == 0
    assert [line.split()[:2] for line in out.splitlines()[1:]] == [["cfo", "all"], ["anna", "beta"]]

    assert run(capsys, "user", "stores", "anna", "default", "beta")[0] == 0
    assert user_stores(load_settings(), "anna") == frozenset({"default", "beta"})
    assert stat.S_IMODE(env.stat().st_mode) == 0o600

    assert run(capsys, "user", "remove", "anna")[0] == 0
    assert "anna" not in credentials(load_settings())["usernames"]
    assert run(capsys, "user", "remove", "anna")[0] == 1


@pytest.mark.parametrize(
    ("argv", "stdin", "said"),
    [
        (("user", "add", "anna", "--store", "gamma"), PASSWORD, "holds no store 'gamma'"),
        (("user", "add", "cfo", "--store", "beta"), PASSWORD, "is the .env user"),
        (("user", "add", "an na", "--store", "beta"), PASSWORD, "cannot be a login name"),
        (("user", "add", "anna", "--store", "beta"), "short", "at least 10 characters"),
        (("user", "add", "anna", "--store", "beta"), "é" * 40, "bcrypt uses at most 72"),
    ],
)
def test_user_add_refuses_with_one_sentence(env, capsys, argv, stdin, said):
    code, _, err = run(capsys, *argv, "--password-stdin", stdin=stdin + "\n")
    assert code == 2 and said in err and "Traceback" not in err
    assert not env.exists()


def test_a_malformed_users_file_is_one_sentence_naming_it(env, capsys):
    env.parent.mkdir()
    env.write_text('[usernames.anna]\npassword = "not a hash"\nstores = ["beta"]\n')
    code, _, err = run(capsys, "user", "list")
    assert code == 2 and "Traceback" not in err
    assert f"The dashboard users file {env} is malformed" in err and "bcrypt" in err
