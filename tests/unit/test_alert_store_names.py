"""Alerts name their store: among several stores every title says the store's name and
prefix and every body starts with it; with one store the title names it as before and the
body is unchanged."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from sync.alerts.messages import (
    StoreName,
    compose,
    compose_backfill,
    compose_digest,
    compose_test,
)
from tests.unit.test_alert_messages import NOW, SALES

BETA = StoreName("Beta Ltd", "beta", several=True)
ONLY = StoreName("Main St", "main")
DAYS = (date(2026, 11, 1), date(2026, 11, 30))
OUTLETS = replace(SALES, id=8, entity="outlets", title="outlets: sync failed (AUTH)")


def every_message(store: StoreName | str) -> dict[str, object]:
    return {
        "open": compose([(SALES, "open")], NOW, store),
        "resolved": compose([(replace(SALES, resolved_at=NOW), "resolved")], NOW, store),
        "several": compose([(SALES, "open"), (OUTLETS, "repeat")], NOW, store),
        "digest": compose_digest([SALES], [], NOW, store),
        "test": compose_test(store, "mailto://ops", NOW),
        "backfill": compose_backfill("sales", *DAYS, "cfo", [], None, store, NOW),
        "backfill failed": compose_backfill("sales", *DAYS, "cfo", [], "AUTH", store, NOW),
    }


@pytest.mark.parametrize("kind", list(every_message(BETA)))
def test_among_several_stores_every_message_names_the_store_and_its_prefix(kind):
    message = every_message(BETA)[kind]
    assert "Beta Ltd (beta)" in message.title
    assert message.body.startswith("Store: Beta Ltd (beta)\n")


@pytest.mark.parametrize("kind", list(every_message(ONLY)))
def test_with_one_store_the_title_names_it_and_the_body_is_as_before(kind):
    message = every_message(ONLY)[kind]
    assert "Main St" in message.title and "(main)" not in message.title
    assert "Store:" not in message.body
    assert message == every_message("Main St")[kind]


def test_a_store_named_by_its_prefix_is_not_named_twice():
    message = compose([(SALES, "open")], NOW, StoreName("beta", "beta", several=True))
    assert message.title.endswith("· beta")
    assert message.body.startswith("Store: beta\n")
