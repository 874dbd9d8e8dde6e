"""Schedulers sharing stores: a store whose cycle another process began is left to it and
asked again within seconds, so a slot goes to a store nobody syncs, and a dead process's
lease is taken over within seconds, not at the next interval."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select

from sync.engine.runner import Runner
from sync.runs import utcnow
from sync.service import busy
from sync.storage.schema import sync_locks, sync_log
from tests.support.processes import wait_for
from tests.support.scheduler import FAST, scheduler_thread

ALL = {"customers", "outlets", "products", "sales", "sale_line_items", "inventory"}


@pytest.fixture(autouse=True)
def quick_retry(monkeypatch):
    monkeypatch.setattr(busy, "RETRY_SECONDS", 0.3)


def hold_outlets(store, seconds: float, entity: str = "outlets") -> None:
    """Another scheduler, on another host, began this store's cycle: it holds `entity`."""
    now = utcnow()
    with store.engine.begin() as conn:
        conn.execute(
            insert(sync_locks).values(
                store=store.prefix,
                entity_type=entity,
                holder="elsewhere:4242:0a1b2c3d",
                host="elsewhere",
                pid=4242,
                acquired_at=now,
                expires_at=now + timedelta(seconds=seconds),
            )
        )


def runs(store) -> list[tuple[str, str]]:
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(sync_log.c.entity_type, sync_log.c.status))]


def synced(store) -> set[str]:
    return {entity for entity, status in runs(store) if status == "success"}


def test_a_store_another_scheduler_began_is_left_to_it_then_asked_again(
    store, simulator, settings_for, db_url
):
    settings = settings_for(db_url, simulator.api_url, **FAST, SYNC_ON_START="true")
    hold_outlets(store, 600)
    with scheduler_thread(settings, store):
        time.sleep(2.0)  # several retries: each finds the store still busy
        assert runs(store) == []  # not one entity of it synced beside the other process
        with store.engine.begin() as conn:  # the other process is gone, its work undone
            conn.execute(delete(sync_locks))
        wait_for(lambda: synced(store) == ALL, 20, "the store's cycle")
    assert sorted(runs(store)) == sorted((e, "success") for e in ALL)  # each once


def test_an_expired_lease_is_taken_over_within_seconds(store, simulator, settings_for, db_url):
    settings = settings_for(db_url, simulator.api_url, **FAST, SYNC_ON_START="true")
    hold_outlets(store, 2)  # its holder stopped renewing: the lease expires in 2 s
    started = time.monotonic()
    with scheduler_thread(settings, store):
        wait_for(lambda: synced(store) == ALL, 20, "the takeover")
    assert time.monotonic() - started < 15  # not at the next interval (10 hours away)


def test_a_store_is_left_when_all_before_the_busy_entity_was_synced_elsewhere(
    store, simulator, settings_for, db_url
):
    settings = settings_for(db_url, simulator.api_url, **FAST, SYNC_ON_START="true")
    Runner(settings, store).run(["outlets"], trigger="schedule")  # the other one's first run
    hold_outlets(store, 600, entity="customers")  # ... and its second, under way
    with scheduler_thread(settings, store):
        time.sleep(2.0)
        assert runs(store) == [("outlets", "success")]  # nothing run beside it
        with store.engine.begin() as conn:
            conn.execute(delete(sync_locks))
        wait_for(lambda: synced(store) == ALL, 20, "the rest of the cycle")
    assert len(runs(store)) == len(ALL)  # outlets not run again: done this cycle
