"""LIGHTSPEED_BASE_URL may contain {prefix}: the store's domain prefix is put there."""

from __future__ import annotations

import pytest

from sync.config import load_settings
from sync.errors import ErrorKind, SyncError
from sync.lightspeed.oauth import checked_token_url


def settings(**env: str):
    return load_settings(env, env_file=None)


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("http://127.0.0.1:8765/{prefix}/api/2.0", "http://127.0.0.1:8765/acme-nz/api/2.0"),
        ("https://{prefix}.retail.lightspeed.app/api/2.0/", "https://acme-nz.retail.lightspeed.app/api/2.0"),
        ("http://127.0.0.1:8765/api/2.0", "http://127.0.0.1:8765/api/2.0"),
    ],
)  # fmt: skip
def test_it_puts_the_domain_prefix_into_the_base_url(template, expected):
    found = settings(LIGHTSPEED_DOMAIN_PREFIX="Acme-NZ", LIGHTSPEED_BASE_URL=template)
    assert found.api_base_url == expected


def test_a_placeholder_without_a_domain_prefix_is_one_clear_sentence():
    found = settings(LIGHTSPEED_BASE_URL="http://127.0.0.1:8765/{prefix}/api/2.0")
    with pytest.raises(SyncError) as info:
        found.api_base_url  # noqa: B018
    assert info.value.kind is ErrorKind.CONFIG
    message = info.value.message
    assert "{prefix}" in message and "LIGHTSPEED_DOMAIN_PREFIX" in message
    assert message.count(". ") == 0 and message.endswith(".")


@pytest.mark.parametrize(
    "template",
    [
        "http://127.0.0.1:8765/{store}/api/2.0",
        "https://{domain_prefix}.retail.lightspeed.app/api/2.0",
        "http://127.0.0.1:8765/{prefix/api/2.0",
        "http://127.0.0.1:8765/{prefix}}/api/2.0",
    ],
)
def test_only_the_prefix_placeholder_is_accepted(template):
    with pytest.raises(SyncError) as info:
        settings(LIGHTSPEED_DOMAIN_PREFIX="acme", LIGHTSPEED_BASE_URL=template)
    assert info.value.kind is ErrorKind.CONFIG
    assert "LIGHTSPEED_BASE_URL" in info.value.message and "{prefix}" in info.value.message


def test_the_token_endpoint_follows_the_stores_base_url():
    sim = settings(
        LIGHTSPEED_DOMAIN_PREFIX="acme",
        LIGHTSPEED_BASE_URL="http://127.0.0.1:8765/{prefix}/api/2.0",
    )
    assert checked_token_url(sim) == "http://127.0.0.1:8765/acme/api/1.0/token"
    store = settings(
        LIGHTSPEED_DOMAIN_PREFIX="acme",
        LIGHTSPEED_BASE_URL="https://{prefix}.retail.lightspeed.app/api/2.0",
    )
    assert checked_token_url(store) == "https://acme.retail.lightspeed.app/api/1.0/token"
