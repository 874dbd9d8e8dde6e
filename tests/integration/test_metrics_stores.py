"""/metrics over two stores in one database, on SQLite and Postgres: each store's series
carry its prefix and its own values; a scrape limited to some stores shows only those;
a disabled store's series go away."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update

from sync.api.metrics import render_metrics
from sync.storage.schema import lightspeed_stores
from tests.integration.test_api_health import scrape, value
from tests.integration.test_api_stores import ACME, BETA, api, two_store_simulator

__all__ = ["api", "two_store_simulator"]  # the fixtures, used by name below


def stores_in(samples: list) -> set[str]:
    return {s.labels["store"] for s in samples}


def test_each_store_has_its_own_series(api):
    running, _, _ = api
    found = scrape(running)
    stale = found["lightspeed_sync_entity_stale"]
    assert stores_in(stale) == {ACME, BETA} and len(stale) == 2 * 6
    # Beta's sales are three days old (the fixture), acme's are fresh.
    assert value(stale, store=BETA, entity="sales") == 1
    assert value(stale, store=ACME, entity="sales") == 0
    assert value(found["lightspeed_sync_data_ready"], store=BETA) == 0
    assert value(found["lightspeed_sync_data_ready"], store=ACME) == 1
    runs = found["lightspeed_sync_runs"]
    assert value(runs, store=BETA, entity="sales", status="success") >= 1
    assert len(found["lightspeed_sync_db_up"]) == 1
    assert "store" not in found["lightspeed_sync_db_up"][0].labels


def test_a_scrape_limited_to_some_stores_shows_only_them(api):
    running, _, _ = api
    text = render_metrics(running.ctx, stores={BETA}).decode()
    found = {f.name: f.samples for f in text_string_to_metric_families(text)}
    assert stores_in(found["lightspeed_sync_health_score"]) == {BETA}
    assert stores_in(found["lightspeed_sync_runs"]) == {BETA}
    assert ACME not in text
    nothing = render_metrics(running.ctx, stores=set()).decode()
    assert "lightspeed_sync_db_up 1.0" in nothing and "store=" not in nothing


def test_a_disabled_store_leaves_the_scrape(api):
    running, engine, _ = api
    with engine.begin() as conn:
        conn.execute(
            update(lightspeed_stores)
            .where(lightspeed_stores.c.prefix == BETA)
            .values(enabled=False)
        )
    found = scrape(running)
    assert stores_in(found["lightspeed_sync_entity_stale"]) == {ACME}
