"""The sentences a CFO reads: score reasons, the nightly check, changes, backfill estimates."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from sync.dashboard import wording
from sync.health import Deduction, ScoreInputs, health_score, score_deductions
from sync.health.freshness import Freshness

PARIS = ZoneInfo("Europe/Paris")
OK, LATE, CRIT = Freshness.OK, Freshness.WARNING, Freshness.CRITICAL


@pytest.mark.parametrize(
    ("records", "seconds", "words"),
    [
        (12_400, 230, "about 12,400 sales, about 4 minutes"),
        (1, 20, "about 1 sale, less than a minute"),
        (250_000, 7_300, "about 250,000 sales, about 2 hours"),
        (0, 3, "no sales in the copy for these days; it takes less than a minute"),
    ],
)
def test_it_says_a_backfill_estimate_in_plain_words(records, seconds, words):
    assert wording.estimate_words("sales", records, seconds) == words


def test_inventory_estimates_count_inventory_records():
    assert wording.estimate_words("inventory", 840, 61) == (
        "about 840 inventory records, about 2 minutes"
    )


@pytest.mark.parametrize(
    ("now", "at", "words"),
    [
        (datetime(2026, 12, 5, 21, 0, tzinfo=UTC), "02:00", "tonight at 02:00 CET"),
        (datetime(2026, 12, 5, 0, 30, tzinfo=UTC), "02:00", "tonight at 02:00 CET"),
        (datetime(2026, 12, 5, 9, 0, tzinfo=UTC), "23:30", "tonight at 23:30 CET"),
        (datetime(2026, 12, 5, 9, 0, tzinfo=UTC), "07:00", "tomorrow at 07:00 CET"),
        (datetime(2026, 12, 5, 9, 0, tzinfo=UTC), "14:00", "today at 14:00 CET"),
        (datetime(2026, 7, 5, 21, 0, tzinfo=UTC), "02:00", "tonight at 02:00 CEST"),
        (datetime(2026, 12, 5, 21, 0, tzinfo=UTC), None, ""),
    ],
)
def test_it_says_when_the_nightly_reconciliation_runs_on_the_stores_clock(now, at, words):
    assert wording.when_nightly(now, PARIS, at) == words


def test_a_missing_reconciliation_costs_8_points_and_says_when_it_runs():
    inputs = ScoreInputs(True, [OK] * 6, [0] * 6, None, True)
    assert health_score(inputs) == 92
    [d] = score_deductions(inputs)
    text = wording.deduction_text(d, nightly="tonight at 02:00 CET")
    assert text == "\u22128: no reconciliation yet, it runs tonight at 02:00 CET"


@pytest.mark.parametrize(
    "inputs",
    [
        ScoreInputs(True, [OK] * 5 + [CRIT], [0] * 5 + [2], "mismatch", True),
        ScoreInputs(False, [LATE] * 6, [1] * 6, "matched", True),
        ScoreInputs(True, [OK, LATE, OK, LATE, OK, OK], [0] * 6, "error", True),
        ScoreInputs(True, [OK] * 6, [0] * 6, "matched", True),
    ],
)
def test_the_deductions_add_up_to_what_the_score_misses(inputs):
    assert sum(d.points for d in score_deductions(inputs)) == 100 - health_score(inputs)


def test_each_deduction_names_its_cause():
    stale = wording.deduction_text(Deduction(15, "freshness"), stale=["Sales", "Inventory"])
    assert stale == "\u221215: Sales and Inventory past their freshness SLA"
    assert wording.deduction_text(Deduction(20, "scheduler")).endswith("scheduler is not running")
    mismatch = wording.deduction_text(Deduction(15, "verification", "mismatch"))
    assert "found differences" in mismatch
    assert wording.score_explanation([]) == ""


def test_the_sla_is_said_once_and_names_the_exceptions():
    assert wording.sla_sentence({"Sales": 2, "Customers": 2}).startswith(
        "Freshness SLA: 2 h for every entity."
    )
    assert "the others; Inventory 24 h" in wording.sla_sentence(
        {"Sales": 2, "Customers": 2, "Inventory": 24}
    )


@pytest.mark.parametrize(
    ("upserted", "deleted", "words"),
    [
        (2000, 19, "2,000 new or changed, 19 deleted"),
        (5, 0, "5 new or changed"),
        (0, 0, "no changes"),
    ],
)
def test_a_run_says_what_it_changed_and_what_it_deleted(upserted, deleted, words):
    assert wording.changes(upserted, deleted) == words
