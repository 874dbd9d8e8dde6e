"""A backfill ends like a sync run: partial and failed backfills are classified and recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from sync.engine.backfill import backfill
from sync.engine.runner import Runner
from sync.errors import ErrorKind
from sync.storage.schema import sync_log, sync_rejects


def log_row(store, run_id: str, entity: str = "sales"):
    with store.engine.connect() as conn:
        return conn.execute(
            select(sync_log).where(sync_log.c.run_id == run_id, sync_log.c.entity_type == entity)
        ).one()


def break_a_sale(simulator) -> date:
    """Give one searchable sale a total that is not a number; returns its sale date."""
    sale = next(s for s in simulator.dump("sales") if not s.get("deleted_at"))
    with simulator.store.lock:
        simulator.store.rewrite("sales", sale["id"], lambda rec: rec.update(total_price="12,50abc"))
    return datetime.fromisoformat(sale["sale_date"]).astimezone(UTC).date()


def test_a_partial_backfill_records_its_error_type_like_a_partial_run(
    every_store, simulator, settings_for, every_db_url
):
    store = every_store
    settings = settings_for(every_db_url, simulator.api_url)
    Runner(settings, store).run()
    day = break_a_sale(simulator)
    synced = Runner(settings, store).run(entities=["sales"])[0]
    assert synced.status == "partial"

    result = backfill(settings, store, "sales", day, day)

    assert result.status == "partial" and result.rejected == 1
    run, sync = log_row(store, result.run_id), log_row(store, synced.run_id)
    assert run.action == "backfill" and run.status == "partial"
    assert run.error_type == sync.error_type == ErrorKind.VALIDATION.value
    assert run.error_details == sync.error_details
    assert "sync_rejects" in run.error_details
    assert log_row(store, result.run_id, "sale_line_items").error_type == "VALIDATION"


def test_an_unexpected_error_in_a_backfill_is_a_classified_failure(
    store, simulator, settings_for, db_url
):
    settings = settings_for(db_url, simulator.api_url)
    Runner(settings, store).run(entities=["sales"])
    first = min(datetime.fromisoformat(s["sale_date"]).date() for s in simulator.dump("sales"))

    def broken_progress(*_: object) -> None:
        raise RuntimeError("progress display broke")

    result = backfill(settings, store, "sales", first, first, on_page=broken_progress)

    assert result.status == "failed" and result.error is not None
    assert result.error.kind is ErrorKind.API
    assert result.error.message == (
        "Unexpected RuntimeError while syncing sales: progress display broke"
    )
    run = log_row(store, result.run_id)
    assert run.status == "failed" and run.error_type == "API" and run.finished_at is not None
    # The lease was released: the next backfill runs instead of being skipped.
    assert backfill(settings, store, "sales", first, first).status == "success"


def test_a_malformed_search_page_fails_the_backfill_and_is_kept(
    store, simulator, settings_for, db_url
):
    settings = settings_for(db_url, simulator.api_url)
    Runner(settings, store).run(entities=["sales"])
    first = min(datetime.fromisoformat(s["sale_date"]).date() for s in simulator.dump("sales"))
    simulator.set_faults(malformed_rate=1.0)

    result = backfill(settings, store, "sales", first, first)

    assert result.status == "failed" and result.error.kind is ErrorKind.API
    with store.engine.connect() as conn:
        reject = conn.execute(
            select(sync_rejects).where(sync_rejects.c.run_id == result.run_id)
        ).one()
    assert "malformed JSON" in reject.reason and "search page at offset 0" in reject.reason
    assert log_row(store, result.run_id).error_type == "API"
