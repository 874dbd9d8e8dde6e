"""Alerts over two stores in one database, on SQLite, Postgres and the Supabase REST API
(which counts the stores over REST): a store whose token is
refused alerts through a real webhook receiver, naming itself (name and prefix); the other
store, healthy, opens and sends nothing."""

from __future__ import annotations

from typing import Any

from sync.alerts import open_incidents
from sync.service.scheduler import SchedulerService
from sync.storage.backend import open_store
from sync.storage.sql.db import create_db_engine, migrate
from sync.storage.stores import configured_store
from tests.conftest import backend_env
from tests.integration.test_alert_delivery import EVERY_ENTITY, QUIET
from tests.integration.test_two_stores import STORES, settings_of, two_store_simulator

__all__ = ["two_store_simulator"]  # the fixture, used by name below

ACME, BETA = STORES
NAMES = {ACME: "Acme Co", BETA: "Beta Ltd"}


def test_only_the_failing_store_alerts_and_its_message_names_it(
    every_backend: str, every_db_url: str, two_store_simulator: Any, webhook: Any, request
):
    sim = two_store_simulator
    extra = {**QUIET, **backend_env(every_backend, request), "ALERT_URLS": webhook.url()}
    settings = {
        p: settings_of(p, every_db_url, sim, {**extra, "STORE_NAME": NAMES[p]}) for p in STORES
    }
    engine = create_db_engine(every_db_url)
    if every_backend != "supabase-rest":  # the project is migrated already
        migrate(engine, configured_store(settings[ACME]))
    stores = {p: open_store(settings[p]) for p in STORES}
    try:
        for store in stores.values():
            store.ensure_state_rows()  # also beta's lightspeed_stores row
        sim.site(BETA).set_faults(auth_fail=True)
        for prefix in STORES:
            SchedulerService(settings[prefix], stores[prefix]).run_job(EVERY_ENTITY)

        [(_, body, _)] = webhook.posts
        assert body["title"].startswith("[CRITICAL]")
        assert body["title"].endswith("· Beta Ltd (beta)")
        assert body["message"].startswith("Store: Beta Ltd (beta)\n")
        assert "Acme" not in body["title"] + body["message"]
        assert open_incidents(engine, ACME) == []
        assert {i.rule for i in open_incidents(engine, BETA)} == {"sync_failed"}
    finally:
        for store in stores.values():
            if store.sql is not None:
                store.sql.dispose()
            else:
                store.close()  # type: ignore[attr-defined]
        engine.dispose()
