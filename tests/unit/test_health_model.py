"""The health model's pure rules: SLA tiers, score, verdict, counts, data ready, summary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.config import load_settings
from sync.health import (
    HEALTH_ENTITIES,
    Colour,
    EntityReading,
    Freshness,
    HealthFacts,
    Overall,
    ReconciliationReading,
    SchedulerReading,
    ScoreInputs,
    build_summary,
    data_ready,
    error_rates,
    freshness_severity,
    health_score,
    mttr,
    next_run_for,
    overall_verdict,
    status_counts,
    tier_thresholds,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
SLA = timedelta(hours=2)
H = timedelta(hours=1)
S = timedelta(seconds=1)


@pytest.mark.parametrize(
    ("age", "tier"),
    [
        (timedelta(0), Freshness.OK),
        (2 * H, Freshness.OK),
        (2 * H + S, Freshness.WARNING),
        (4 * H, Freshness.WARNING),
        (4 * H + S, Freshness.HIGH),
        (8 * H, Freshness.HIGH),
        (8 * H + S, Freshness.CRITICAL),
        (timedelta(days=3), Freshness.CRITICAL),
    ],
)
def test_freshness_tiers_at_their_boundaries(age, tier):
    assert freshness_severity(NOW - age, NOW, SLA) is tier


def test_never_synced_is_critical_and_thresholds_are_multiples_of_the_sla():
    assert freshness_severity(None, NOW, SLA) is Freshness.CRITICAL
    assert tier_thresholds(SLA) == {
        Freshness.WARNING: 2 * H,
        Freshness.HIGH: 4 * H,
        Freshness.CRITICAL: 8 * H,
    }


def inputs(**changes) -> ScoreInputs:
    base = {
        "scheduler_alive": True,
        "freshness": [Freshness.OK] * 6,
        "failure_streaks": [0] * 6,
        "reconciliation": "matched",
        "anything_synced": True,
    }
    return ScoreInputs(**{**base, **changes})


def test_the_score_is_100_only_when_everything_is_fresh_alive_and_verified():
    assert health_score(inputs()) == 100
    assert health_score(inputs(scheduler_alive=False)) == 80
    assert health_score(inputs(reconciliation=None)) == 92
    assert health_score(inputs(reconciliation="mismatch")) == 85
    assert health_score(inputs(failure_streaks=[1, 0, 0, 0, 0, 0])) == 98
    assert health_score(inputs(freshness=[Freshness.WARNING] + [Freshness.OK] * 5)) == 96


@pytest.mark.parametrize(
    "changes",
    [
        {"freshness": [Freshness.CRITICAL] + [Freshness.OK] * 5},
        {"freshness": [Freshness.OK] * 5 + [Freshness.CRITICAL], "reconciliation": None},
    ],
)
def test_a_critical_entity_keeps_the_score_below_60(changes):
    assert health_score(inputs(**changes)) < 60


def test_nothing_synced_scores_zero_and_the_score_stays_in_range():
    assert health_score(inputs(anything_synced=False)) == 0
    worst = inputs(
        scheduler_alive=False,
        freshness=[Freshness.CRITICAL] * 6,
        failure_streaks=[9] * 6,
        reconciliation="mismatch",
    )
    assert health_score(worst) == 0


def test_any_shortfall_costs_at_least_one_point():
    for tier in (Freshness.WARNING, Freshness.HIGH):
        assert health_score(inputs(freshness=[Freshness.OK] * 5 + [tier])) < 100
    assert health_score(inputs(reconciliation="error")) < 100


G, Y, R = Colour.GREEN, Colour.YELLOW, Colour.RED
OK = Freshness.OK


@pytest.mark.parametrize(
    ("colours", "tiers", "alive", "ready", "status"),
    [
        ([G] * 6, [OK] * 6, True, True, Overall.HEALTHY),
        ([G] * 6, [OK] * 6, False, True, Overall.WARNING),
        ([Y] + [G] * 5, [Freshness.WARNING] + [OK] * 5, True, True, Overall.WARNING),
        ([G] * 6, [Freshness.HIGH] + [OK] * 5, True, True, Overall.WARNING),
        ([R] + [G] * 5, [OK] * 6, True, True, Overall.CRITICAL),
        ([G] * 6, [Freshness.CRITICAL] + [OK] * 5, True, True, Overall.CRITICAL),
        ([G] * 6, [OK] * 6, True, False, Overall.CRITICAL),
    ],
)
def test_the_verdict_takes_the_scheduler_and_readiness_into_account(
    colours, tiers, alive, ready, status
):
    verdict = overall_verdict(colours, tiers, scheduler_alive=alive, data_ready=ready)
    assert verdict.status is status
    assert verdict.text.startswith(status.value)
    if status is Overall.HEALTHY:
        assert "scheduler" in verdict.text


def test_a_stopped_scheduler_is_never_shown_as_healthy():
    verdict = overall_verdict([G] * 6, [OK] * 6, scheduler_alive=False, data_ready=True)
    assert "scheduler is not running" in verdict.text and "HEALTHY" not in verdict.text


def test_status_counts_follow_the_colours():
    counts = status_counts([G, G, Y, R, R, R])
    assert counts.as_json() == {"healthy": 2, "delayed": 1, "error": 3}


def reading(name: str = "sales", **values) -> EntityReading:
    base = {"status": "success", "last_success": NOW - H, "records_total": 10}
    return EntityReading(name, **{**base, **values})


def ready_of(sales: EntityReading, lines: EntityReading | None = None, check=None):
    readings = {"sales": sales, "sale_line_items": lines or reading("sale_line_items")}
    return data_ready(readings, check, NOW, lambda _name: SLA)


def test_fresh_filled_sales_are_ready():
    assert ready_of(reading()).ready


def test_empty_sales_are_not_ready():
    result = ready_of(reading(records_total=0, last_success=None, last_run_at=NOW - H))
    assert not result.ready
    (reason,) = result.reasons
    assert reason.entity == "sales" and "no sales" in reason.reason
    assert reason.since == NOW - H and "python -m sync run" in reason.next_step


def test_critically_stale_line_items_are_not_ready_since_4x_the_sla():
    lines = reading("sale_line_items", last_success=NOW - 8 * H - S)
    (reason,) = ready_of(reading(), lines).reasons
    assert reason.entity == "sale_line_items" and "critically stale" in reason.reason
    assert reason.since == NOW - S
    assert ready_of(reading(), reading("sale_line_items", last_success=NOW - 8 * H)).ready


def test_auth_failures_block_but_other_failures_do_not():
    since = NOW - 3 * H
    failing = reading(status="failed", error_type="AUTH", failing_since=since)
    (reason,) = ready_of(failing).reasons
    assert "AUTH" in reason.reason and reason.since == since
    assert "LIGHTSPEED_TOKEN" in reason.next_step
    assert ready_of(reading(status="failed", error_type="NETWORK")).ready


def test_a_mismatch_of_yesterdays_sales_blocks_with_its_repair():
    check = ReconciliationReading(
        "r",
        NOW - H,
        "mismatch",
        ("2026-11-22 outlet 1 sales_total differs by 5",),
        "python -m sync backfill --entity sales --from 2026-11-22 --to 2026-11-22",
    )
    (reason,) = ready_of(reading(), check=check).reasons
    assert reason.entity == "sales" and "differs by 5" in reason.reason
    assert reason.since == NOW - H and "backfill" in reason.next_step
    assert ready_of(reading(), check=ReconciliationReading("r", NOW, "matched")).ready
    assert reason.as_json()["since"] == (NOW - H).isoformat()


def test_next_run_comes_from_the_plan_and_line_items_follow_sales():
    jobs = [
        {"name": "incremental: all", "next_run": "2026-11-23T13:00:00+00:00"},
        {"name": "incremental: sales", "next_run": "2026-11-23T12:15:00+00:00"},
        {"name": "nightly full: inventory, products", "next_run": "2026-11-24T02:00:00+00:00"},
        {"name": "nightly reconcile + prune", "next_run": "2026-11-24T02:00:00+00:00"},
    ]
    assert next_run_for("sale_line_items", jobs) == datetime(2026, 11, 23, 12, 15, tzinfo=UTC)
    assert next_run_for("inventory", jobs) == datetime(2026, 11, 23, 13, 0, tzinfo=UTC)
    assert next_run_for("inventory", jobs[2:]) == datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert next_run_for("customers", jobs[3:]) is None


def test_mttr_and_error_rates():
    assert mttr(None, 0) is None
    assert mttr(600.0, 4) == timedelta(seconds=150)
    assert error_rates({"AUTH": 2, None: 1, "NETWORK": 1}, 8) == {
        "AUTH": 0.25,
        "NETWORK": 0.125,
        "UNKNOWN": 0.125,
    }
    assert error_rates({"AUTH": 1}, 0) == {}


def facts(**changes) -> HealthFacts:
    entities = tuple(
        reading(name, runs_24h={"success": 2}, avg_duration_ms_24h=1500.0)
        for name in HEALTH_ENTITIES
    )
    base = {
        "entities": entities,
        "scheduler": SchedulerReading(last_beat=NOW - S, state="idle"),
        "fetched_at": NOW,
    }
    return HealthFacts(**{**base, **changes})


def test_the_summary_json_has_the_api_shape():
    settings = load_settings({"FRESHNESS_SLA_HOURS_INVENTORY": "6"}, env_file=None)
    body = build_summary(facts(), NOW, settings).as_json()
    assert {
        "overall_status",
        "health_score",
        "data_ready",
        "data_ready_reasons",
        "status_counts",
        "entities",
        "scheduler",
        "active_alerts",
        "performance_summary",
        "last_updated",
    } <= set(body)
    assert list(body["entities"]) == list(HEALTH_ENTITIES)
    fields = {
        "colour",
        "freshness_severity",
        "last_successful_sync",
        "success_rate_24h",
        "consecutive_failures",
        "average_duration_s",
        "records_processed_today",
        "process_peak_memory_bytes",
        "next_scheduled_run",
    }
    assert all(fields <= set(e) for e in body["entities"].values())
    assert body["entities"]["inventory"]["freshness_sla_hours"] == 6
    assert body["entities"]["sales"]["freshness_sla_hours"] == 2
    assert body["overall_status"] == "HEALTHY" and body["health_score"] == 92
    assert body["performance_summary"]["average_duration_s"] == 1.5
    assert body["performance_summary"]["runs_24h"] == 12


def test_a_database_without_any_sync_scores_zero_and_is_blocked():
    empty = facts(entities=(), scheduler=SchedulerReading())
    summary = build_summary(empty, NOW, load_settings({}, env_file=None))
    assert summary.health_score == 0 and summary.overall_status is Overall.CRITICAL
    assert not summary.data_ready
    assert {r.entity for r in summary.reasons} == {"sales", "sale_line_items"}
    assert summary.counts.error == 6


def test_the_summary_rounds_floats_to_what_they_mean_and_has_one_status():
    odd = {
        "avg_duration_ms_24h": 1234.56789123,
        "last_run_duration_ms": 987.654321,
        "peak_rss_bytes": 123456789.75,
        "api_ms_mean": 12.3456789012345,
        "api_ms_p95": 45.6789,
        "runs_24h": {"success": 3},
    }
    entities = tuple(reading(name, **odd) for name in HEALTH_ENTITIES)
    body = build_summary(facts(entities=entities), NOW, load_settings({}, env_file=None)).as_json()
    sales = body["entities"]["sales"]
    assert sales["average_duration_s"] == 1.235 and sales["last_run_duration_s"] == 0.988
    peak = sales["process_peak_memory_bytes"]
    assert peak == 123456790 and isinstance(peak, int) and "peak_memory_bytes" not in sales
    assert sales["api_ms_mean"] == 12.3 and sales["api_ms_p95"] == 45.7
    assert sales["status"] == "success" and "last_run_status" not in sales
    performance = body["performance_summary"]
    assert performance["average_duration_s"] == 1.235
    assert performance["peak_memory_bytes"] == 123456790
