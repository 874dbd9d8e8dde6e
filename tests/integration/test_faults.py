"""Injected API faults: retries keep the copy exact; auth and malformed data are classified."""

from __future__ import annotations

from sqlalchemy import select

from sync.engine.runner import Runner
from sync.errors import ErrorKind
from sync.storage.schema import sync_log, sync_rejects, sync_state
from tests.support.compare import diff_all


def test_ten_percent_faults_still_give_an_exact_copy(store, simulator, settings_for, db_url):
    simulator.set_faults(
        error_rate=0.08,
        timeout_rate=0.02,
        timeout_delay=1.2,
        burst_429_every=23,
        burst_429_length=1,
        retry_after_seconds=0,
    )
    settings = settings_for(
        db_url,
        simulator.api_url,
        SYNC_PAGE_SIZE="20",
        LIGHTSPEED_TIMEOUT_SECONDS="0.6",
        LIGHTSPEED_MAX_RETRIES="8",
    )
    results = Runner(settings, store).run()
    assert [r.status for r in results] == ["success"] * len(results)
    stats = simulator.stats()
    assert sum(n for code, n in stats["by_status"].items() if code != "200") > 0
    simulator.set_faults(error_rate=0, timeout_rate=0, burst_429_every=0)
    assert diff_all(store.engine, simulator) == []
    assert sum(r.api_calls for r in results) >= stats["by_status"].get("200", 0)


def test_a_refused_token_fails_fast_as_auth_and_keeps_the_cursor(
    store, simulator, settings_for, db_url
):
    settings = settings_for(db_url, simulator.api_url)
    Runner(settings, store).run(entities=["products"])
    cursor = store.cursor("products")
    simulator.mutate(update_products=2)
    simulator.set_faults(auth_fail=True)
    simulator.reset_stats()
    results = Runner(settings, store).run()
    assert {r.status for r in results} == {"failed"}
    assert {r.error.kind for r in results} == {ErrorKind.AUTH}
    assert simulator.stats()["total"] == 1, "after the first 401 nothing else is attempted"
    assert store.cursor("products") == cursor
    with store.engine.connect() as conn:
        state = conn.execute(select(sync_state).where(sync_state.c.entity_type == "products")).one()
        logs = conn.execute(select(sync_log.c.error_type, sync_log.c.error_details)).all()
    assert state.status == "failed" and state.error_type == "AUTH"
    assert "LIGHTSPEED_TOKEN" in state.error_message
    assert all(settings.token not in (details or "") for _, details in logs)


def test_rate_limit_is_paced_without_429s(store, simulator, settings_for, db_url):
    simulator.set_faults(rate_limit=25, rate_window=2.0)
    settings = settings_for(
        db_url, simulator.api_url, SYNC_PAGE_SIZE="10", LIGHTSPEED_RATE_WINDOW_SECONDS="2"
    )
    results = Runner(settings, store).run()
    assert all(r.status == "success" for r in results)
    stats = simulator.stats()
    assert stats["total"] > 25, "the run must span more than one window to test pacing"
    assert stats["by_status"].get("429", 0) == 0


def test_bad_records_go_to_rejects_and_the_rest_is_synced(store, simulator, settings_for, db_url):
    settings = settings_for(db_url, simulator.api_url)
    simulator.mutate(bad_record={"entity": "products", "kind": "missing_id"})
    simulator.mutate(bad_record={"entity": "sales", "kind": "bad_number"})
    simulator.mutate(bad_record={"entity": "customers", "kind": "bad_timestamp"})
    results = {r.entity: r for r in Runner(settings, store).run()}
    assert results["products"].status == "partial" and results["products"].rejected == 1
    assert results["sales"].status == "partial" and results["sales"].rejected == 1
    assert results["customers"].status == "partial"
    assert results["outlets"].status == "success"
    assert diff_all(store.engine, simulator) == []
    with store.engine.connect() as conn:
        rejects = conn.execute(select(sync_rejects)).all()
        state = conn.execute(select(sync_state).where(sync_state.c.entity_type == "sales")).one()
    reasons = {r.entity_type: r.reason for r in rejects}
    assert "id" in reasons["products"]
    assert "total" in reasons["sales"] or "price" in reasons["sales"]
    assert all(r.raw is not None and r.run_id for r in rejects)
    assert state.error_type == "VALIDATION" and state.last_sync_time is not None


def test_occasional_malformed_json_is_retried(store, simulator, settings_for, db_url):
    simulator.set_faults(malformed_rate=0.2)
    settings = settings_for(db_url, simulator.api_url, SYNC_PAGE_SIZE="25")
    results = Runner(settings, store).run()
    assert all(r.status == "success" for r in results)
    simulator.set_faults(malformed_rate=0)
    assert diff_all(store.engine, simulator) == []


def test_persistently_malformed_json_fails_as_api_and_is_recorded(
    store, simulator, settings_for, db_url
):
    simulator.set_faults(malformed_rate=1.0)
    settings = settings_for(db_url, simulator.api_url)
    results = Runner(settings, store).run(entities=["outlets"])
    assert results[0].status == "failed" and results[0].error.kind is ErrorKind.API
    assert store.cursor("outlets") == 0
    with store.engine.connect() as conn:
        reject = conn.execute(select(sync_rejects)).one()
    assert "malformed JSON" in reject.reason and reject.raw["excerpt"]
