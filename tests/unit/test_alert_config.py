"""Alert settings: routing, limits, one-sentence errors, and secrets kept out of sight."""

from __future__ import annotations

import pytest

from sync.alerts.notify import channels, hide_path, mask_url
from sync.config import load_settings
from sync.errors import ErrorKind, SyncError

MAIL = "mailto://user:s3cretpw@smtp.example.com:587?to=cfo@example.com"
SLACK = "slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ/#alerts"
HOOK = "json://hooks.example.com/lightspeed"


def test_alerts_have_working_defaults():
    settings = load_settings({}, env_file=None)
    assert settings.alert_cooldown_minutes == 60 and settings.alert_digest_time is None
    assert settings.alert_limit("consecutive_failures", "sales") == 3
    assert settings.alert_limit("success_rate_percent", "sales") == 95
    assert settings.all_alert_urls == ()


def test_each_severity_falls_back_to_alert_urls():
    settings = load_settings(
        {
            "ALERT_URLS": MAIL,
            "ALERT_URLS_CRITICAL": f"{MAIL} {SLACK}",
            "ALERT_URLS_WARNING": "off",
        },
        env_file=None,
    )
    assert settings.alert_urls_for("critical") == (MAIL, SLACK)
    assert settings.alert_urls_for("error") == (MAIL,)
    assert settings.alert_urls_for("warning") == ()
    assert settings.all_alert_urls == (MAIL, SLACK)


def test_limits_can_be_set_per_entity_and_rules_switched_off():
    settings = load_settings(
        {
            "ALERT_SLOW_RUN_MINUTES": "20",
            "ALERT_SLOW_RUN_MINUTES_INVENTORY": "90",
            "ALERT_DISABLED": "empty_success slow_run:customers",
            "ALERT_DIGEST_TIME": "8:00",
            "ALERT_TRADING_HOURS": "09:00-21:30",
        },
        env_file=None,
    )
    assert settings.alert_limit("slow_run_minutes", "inventory") == 90
    assert settings.alert_limit("slow_run_minutes", "sales") == 20
    assert not settings.alert_enabled("empty_success", "sales")
    assert not settings.alert_enabled("slow_run", "customers")
    assert settings.alert_enabled("slow_run", "sales")
    assert settings.alert_digest_time == "08:00"
    assert settings.alert_trading_hours == ("09:00", "21:30")


@pytest.mark.parametrize(
    ("env", "variable"),
    [
        ({"ALERT_URLS": "nonsense://x"}, "ALERT_URLS"),
        ({"ALERT_URLS_CRITICAL": "mailto://x"}, "ALERT_URLS_CRITICAL"),
        ({"ALERT_COOLDOWN_MINUTES": "0"}, "ALERT_COOLDOWN_MINUTES"),
        ({"ALERT_DIGEST_TIME": "25:00"}, "ALERT_DIGEST_TIME"),
        ({"ALERT_TRADING_HOURS": "9 to 5"}, "ALERT_TRADING_HOURS"),
        ({"ALERT_DISABLED": "everything"}, "ALERT_DISABLED"),
        ({"ALERT_CONSECUTIVE_FAILURES": "2.5"}, "ALERT_CONSECUTIVE_FAILURES"),
        ({"ALERT_SUCCESS_RATE_PERCENT_SALES": "120"}, "ALERT_SUCCESS_RATE_PERCENT_SALES"),
    ],
)
def test_a_bad_alert_setting_names_the_variable(env, variable):
    with pytest.raises(SyncError) as info:
        load_settings(env, env_file=None)
    assert info.value.kind is ErrorKind.CONFIG and variable in info.value.message


def test_a_rejected_url_is_named_by_position_without_its_secret():
    with pytest.raises(SyncError) as info:
        load_settings({"ALERT_URLS": f"{MAIL} bogus://user:topsecret9@x"}, env_file=None)
    assert "#2 (bogus://...)" in info.value.message and "topsecret9" not in str(info.value)


def test_url_secrets_are_masked_everywhere():
    settings = load_settings({"ALERT_URLS": f"{MAIL} {SLACK} {HOOK}"}, env_file=None)
    for secret in ("s3cretpw", "TIiajkdnlazkcOXrIdevi7FQ", "A1BRTD4JD", "T1JJ3T3L2"):
        assert secret in settings.secrets
        assert secret not in repr(settings)
    labels = [c.label for c in channels(settings.all_alert_urls, settings.secrets)]
    assert labels == [
        "mailto://user:***@smtp.example.com:587/***",
        "slack://T...2/***/***/***",
        "json://hooks.example.com/***",
    ]
    assert "lightspeed" not in settings.secrets  # plain words stay readable in logs


def test_a_token_in_a_webhook_path_is_secret_and_never_in_a_label():
    url = "json://hooks.example.com/v1/Xk29fjQ0aPz7Lm3Q/alerts"
    settings = load_settings({"ALERT_URLS": url}, env_file=None)
    assert "Xk29fjQ0aPz7Lm3Q" in settings.secrets
    assert [c.label for c in channels([url], settings.secrets)] == [
        "json://hooks.example.com/***/***/***"
    ]
    assert hide_path("json://host/old-stored-token #2") == "json://host/*** #2"


def test_an_unreadable_url_gets_a_label_without_its_text():
    assert mask_url("nope://user:pw12345@host") == "nope://(unreadable URL)"
