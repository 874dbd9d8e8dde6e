"""What a scheduled sync leaves to another process, and when it asks again."""

from __future__ import annotations

from sync.engine.runner import EntityResult
from sync.runs import SKIPPED, RunStatus
from sync.service.busy import RETRY_SECONDS, BusyRetry

ASKED = ["outlets", "customers", "products", "inventory", "sales"]


def result(entity: str, status: str = RunStatus.SUCCESS, busy: bool = False) -> EntityResult:
    return EntityResult(entity=entity, run_id="r", status=status, busy=busy)


def test_a_yielded_store_is_asked_again_whole_after_the_pause():
    retry = BusyRetry()
    retry.note(ASKED, [result("outlets", SKIPPED, busy=True)], by="job", every=60, now=100.0)
    assert retry.take(100.0 + RETRY_SECONDS - 0.1) is None
    due = retry.take(100.0 + RETRY_SECONDS)
    assert due is not None and due.entities == ASKED and (due.by, due.every) == ("job", 60)
    assert retry.take(1000.0) is None  # taken once; the next sync notes what is left


def test_only_the_busy_entities_are_asked_again_after_a_run_of_the_others():
    retry = BusyRetry()
    results = [result(e) for e in ASKED if e != "sales"] + [result("sales", SKIPPED, busy=True)]
    retry.note(ASKED, results, by="job", every=60, now=0.0)
    assert retry.entities == ["sales"] and retry.seconds_left(1.0) == RETRY_SECONDS - 1.0


def test_nothing_is_asked_again_when_no_lease_was_busy():
    retry = BusyRetry()
    results = [result("outlets", RunStatus.FAILED), result("customers", SKIPPED)]  # done elsewhere
    retry.note(ASKED, results, by="job", every=60, now=0.0)
    assert retry.take(1e9) is None and retry.seconds_left(0.0) is None
