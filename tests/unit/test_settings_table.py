"""The settings table: each variable declared once, listed in .env.example, secrets kept out."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path

import pytest

from sync.config import (
    DEFAULT,
    ENV_FILE,
    ENVIRONMENT,
    TABLE,
    Family,
    Setting,
    Settings,
    load_settings,
    read_settings,
)
from sync.config.example import render_env_example
from sync.errors import ErrorKind, SyncError

REPO = Path(__file__).resolve().parents[2]
SETTINGS = [item for item in TABLE if isinstance(item, Setting)]
FAMILIES = [item for item in TABLE if isinstance(item, Family)]
MEMBER_NAMES = {name for f in FAMILIES for member in f.members for name in f.names(member)}
# filled by the loader from other variables; added_store by store_settings (not a variable)
DERIVED = {"database_url_set", "alert_secrets", "added_store"}


def env_example_names() -> list[str]:
    text = (REPO / ".env.example").read_text()
    return re.findall(r"^(?:# )?([A-Z][A-Z0-9_]+)=", text, flags=re.MULTILINE)


def test_env_example_lists_every_declared_setting_and_no_unknown_one():
    listed = env_example_names()
    assert len(listed) == len(set(listed)), "a variable is listed twice"
    assert {s.name for s in SETTINGS} <= set(listed)
    for family in FAMILIES:
        assert set(listed) & {n for m in family.members for n in family.names(m)}, family
    assert set(listed) <= {s.name for s in SETTINGS} | MEMBER_NAMES


def test_env_example_is_generated_from_the_table():
    shipped = (REPO / ".env.example").read_text()
    assert shipped == render_env_example(), (
        "regenerate: python -m sync settings --example > .env.example"
    )


def test_every_settings_field_is_declared_once_or_derived():
    declared = [s.attr for s in SETTINGS] + [f.field for f in FAMILIES]
    assert len({s.name for s in SETTINGS}) == len(SETTINGS)
    assert {f.name for f in fields(Settings)} == set(declared) | DERIVED
    assert len(set(declared)) == len(declared) - 2  # alert_overrides: one family per limit


def test_secret_fields_stay_out_of_the_generated_repr():
    hidden = {f.name for f in fields(Settings) if not f.repr}
    secret = {s.attr for s in SETTINGS if s.secret} | {f.field for f in FAMILIES if f.secret}
    assert secret <= hidden
    for item in SETTINGS:
        if item.name == "LIGHTSPEED_TOKEN_URL":  # the token endpoint's address, not a token
            assert not item.secret
        elif re.search(r"TOKEN|KEY|HASH|SECRET|PASSWORD", item.name):
            assert item.secret, item.name


def test_every_setting_has_a_help_sentence():
    for item in SETTINGS:
        assert item.help.rstrip().endswith("."), item.name


def test_repr_shows_no_secret_and_no_database_password():
    settings = load_settings(
        {
            "LIGHTSPEED_TOKEN": "tok-very-secret",
            "DASHBOARD_COOKIE_KEY": "cookie-key-secret",
            "DASHBOARD_PASSWORD_HASH": "$2b$12$hashhashhash",
            "SUPABASE_SERVICE_ROLE_KEY": "service-role-secret",
            "DATABASE_URL": "postgresql://writer:db-pass-secret@db.example.com:5432/postgres",
            "DASHBOARD_DATABASE_URL": "postgresql://reader:ro-pass-secret@db.example.com/pg",
            "ALERT_URLS": "mailto://user:s3cretpw@smtp.example.com:587?to=cfo@example.com",
        },
        env_file=None,
    )
    shown = repr(settings)
    for secret in ("tok-very", "cookie-key", "hashhash", "service-role", "pass-secret", "s3cret"):
        assert secret not in shown
    assert "db.example.com" in shown and "sync_interval_minutes=60" in shown


def test_it_reads_each_variable_from_the_environment_then_env_file_then_default(tmp_path):
    env_file = tmp_path / ".env"
    env_file.write_text(
        "SYNC_INTERVAL_MINUTES=15\nLIGHTSPEED_TOKEN=from-file\nSYNC_PAGE_SIZE=200\n"
        "SYNC_INTERVAL_MINUTES_SALES=5\n"
    )
    env = {"LIGHTSPEED_TOKEN": "from-env", "SYNC_PAGE_SIZE": "  "}
    readings = {r.name: r for r in read_settings(env, env_file=env_file)}
    assert (readings["LIGHTSPEED_TOKEN"].source, readings["LIGHTSPEED_TOKEN"].value) == (
        ENVIRONMENT,
        "from-env",
    )
    assert (readings["SYNC_INTERVAL_MINUTES"].source, readings["SYNC_INTERVAL_MINUTES"].value) == (
        ENV_FILE,
        15,
    )
    # A blank value in the environment still wins over .env: the default applies.
    assert (readings["SYNC_PAGE_SIZE"].source, readings["SYNC_PAGE_SIZE"].value) == (DEFAULT, 1000)
    assert readings["SYNC_INTERVAL_MINUTES_SALES"].value == 5
    assert "SYNC_INTERVAL_MINUTES_INVENTORY" not in readings  # unset overrides are not listed
    assert load_settings(env, env_file=env_file).interval_minutes("sales") == 5


def test_reading_keeps_going_after_a_bad_value():
    readings = read_settings(
        {"SYNC_INTERVAL_MINUTES": "soon", "RETENTION_MONTHS": "0", "STORE_NAME": "Shop"},
        env_file=None,
    )
    errors = {r.name: r.error.message for r in readings if r.error}
    assert errors == {
        "SYNC_INTERVAL_MINUTES": "SYNC_INTERVAL_MINUTES='soon' is not valid: "
        "put a whole number from 1 to 10080 there.",
        "RETENTION_MONTHS": "RETENTION_MONTHS='0' is not valid: "
        "put a whole number from 1 to 1200 there.",
    }
    assert next(r for r in readings if r.name == "STORE_NAME").value == "Shop"


def test_load_names_the_first_bad_value_in_table_order():
    with pytest.raises(SyncError) as info:
        load_settings({"ALERT_COOLDOWN_MINUTES": "0", "SYNC_PAGE_SIZE": "x"}, env_file=None)
    assert info.value.kind is ErrorKind.CONFIG
    assert info.value.message.startswith("SYNC_PAGE_SIZE='x'")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"HEALTH_GREEN_HOURS": "20"},
            "HEALTH_YELLOW_HOURS='12.0' is not valid: "
            "put a number of hours ≥ HEALTH_GREEN_HOURS (20) there.",
        ),
        (
            {"HEALTH_YELLOW_HOURS_SALES": "1", "HEALTH_GREEN_HOURS": "1.5"},
            "HEALTH_YELLOW_HOURS_SALES='1' is not valid: "
            "put a number of hours ≥ HEALTH_GREEN_HOURS_SALES (1.5) there.",
        ),
        (
            {"NIGHTLY_FULL_ENTITIES": "sales bogus"},
            "NIGHTLY_FULL_ENTITIES='sales bogus' is not valid: "
            "put names from customers, outlets, products, sales, inventory there.",
        ),
        (
            {"SYNC_ON_START": "maybe"},
            "SYNC_ON_START='maybe' is not valid: put true or false there.",
        ),
        (
            {"DASHBOARD_DATABASE_URL": "mysql://u:pw@h/d"},
            "DASHBOARD_DATABASE_URL must start with sqlite:/// or postgresql:// (got a URL of "
            "another kind); e.g. sqlite:///data/lightspeed.db or "
            "postgresql://user:pass@host:5432/db.",
        ),
    ],
)
def test_cross_checks_and_parsers_keep_their_sentences(env, message):
    with pytest.raises(SyncError) as info:
        load_settings(env, env_file=None)
    assert info.value.message == message


def test_health_overrides_fall_back_to_the_global_thresholds():
    settings = load_settings(
        {"HEALTH_GREEN_HOURS_INVENTORY": "24", "HEALTH_YELLOW_HOURS_SALES": "30"}, env_file=None
    )
    assert settings.health_hours("inventory") == (24.0, 24.0)
    assert settings.health_hours("sales") == (2.0, 30.0)
    assert settings.health_hours("customers") == (2.0, 12.0)
