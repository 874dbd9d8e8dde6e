"""The run-now queue's rules, decided once for both stores, on literal requests."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, timedelta

from sync.storage.leasing import HOST
from sync.storage.request_queue import (
    OpenRequest,
    backfill_open,
    merge_target,
    next_claim,
    orphaned,
    satisfied_by,
)

T0 = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)
JUNE = (date(2026, 6, 1), date(2026, 6, 30))


def req(
    id_: int,
    entity: str = "sales",
    *,
    status: str = "queued",
    action: str = "incremental",
    days: tuple[date, date] | None = None,
    minutes: int | None = None,
    claimed_by: str | None = None,
) -> OpenRequest:
    start, end = days or (None, None)
    at = T0 + timedelta(minutes=id_ if minutes is None else minutes)
    return OpenRequest(id_, entity, status, action, start, end, at, claimed_by=claimed_by)


def test_a_sync_merges_into_the_oldest_same_request_queued_or_running():
    queue = [req(3, status="running"), req(5), req(2, "products")]
    assert merge_target(queue, "sales", "incremental", None, None) == req(3, status="running")


def test_a_queued_sync_of_all_covers_one_entity_but_not_a_running_one():
    assert merge_target([req(1, "all")], "sales", "incremental", None, None) == req(1, "all")
    assert (
        merge_target([req(1, "all", status="running")], "sales", "incremental", None, None) is None
    )


def test_a_backfill_merges_only_into_the_same_entity_and_range():
    june = req(1, action="backfill", days=JUNE)
    assert merge_target([june, req(2, "all")], "sales", "backfill", *JUNE) == june
    july = (date(2026, 7, 1), date(2026, 7, 2))
    assert merge_target([june, req(2, "all")], "sales", "backfill", *july) is None
    assert backfill_open([june], "sales") and not backfill_open([june], "products")


def test_run_now_syncs_go_before_older_backfills_then_oldest_first():
    queue = [req(1, action="backfill", days=JUNE), req(4, "products"), req(3)]
    assert next_claim(queue).id == 3
    assert next_claim(queue, action="backfill").id == 1
    assert next_claim(queue, entities=["products"]).id == 4
    assert next_claim([req(1, "all"), req(2)], entities=["customers"]).id == 1


def test_a_backfill_waits_while_another_runs():
    running = req(1, "products", status="running", action="backfill", days=JUNE)
    waiting = req(2, action="backfill", days=JUNE)
    assert next_claim([running, waiting]) is None
    assert next_claim([running, waiting, req(9)]).id == 9


def test_a_claim_takes_the_queued_requests_it_carries_out():
    first = req(1, "all")
    queue = [
        first,
        req(2),
        req(3, "products"),
        req(4, status="running"),
        req(5, action="backfill", days=JUNE),
    ]
    assert [r.id for r in satisfied_by(first, queue)] == [2, 3]
    assert [r.id for r in satisfied_by(req(2), queue)] == []
    backfill = req(5, action="backfill", days=JUNE)
    twin = req(6, action="backfill", days=JUNE)
    assert satisfied_by(
        backfill, [backfill, twin, req(7, "products", action="backfill", days=JUNE)]
    ) == [twin]


def test_a_running_request_is_orphaned_when_its_scheduler_is_gone():
    here_alive = f"{HOST}:{os.getpid()}:x"
    elsewhere = "other-host:12:y"
    queue = [
        req(1, status="running", claimed_by=here_alive),
        req(2, status="running", claimed_by=elsewhere),
        req(3, status="running", claimed_by=None),
        req(4, claimed_by=None),
    ]
    assert orphaned(queue, fresh_instances=set()) == [2, 3]
    assert orphaned(queue, fresh_instances={elsewhere}) == [3]
