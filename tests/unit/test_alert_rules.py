"""Alert rules at their boundary values: plain facts in, findings out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sync.alerts.facts import in_trading_hours
from sync.alerts.rules import (
    Beat,
    EntityFacts,
    Limits,
    Rule,
    RunFacts,
    SalesWindow,
    empty_success,
    evaluate_entity,
    failure_streak,
    memory,
    scheduler_down,
    slow_limit,
    slow_run,
    stale,
    success_rate,
    sync_failed,
)
from sync.errors import Severity
from sync.health import Thresholds

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LIMITS = Limits()


def run(
    log_id: int = 1,
    status: str = "success",
    *,
    minutes_ago: float = 5,
    action: str = "incremental",
    duration: timedelta | None = timedelta(seconds=10),
    upserted: int = 3,
    version_from: int = 100,
    error_type: str | None = None,
    details: str | None = None,
) -> RunFacts:
    return RunFacts(
        log_id=log_id,
        status=status,
        action=action,
        started_at=NOW - timedelta(minutes=minutes_ago),
        duration_ms=None if duration is None else int(duration.total_seconds() * 1000),
        records_upserted=upserted,
        version_from=version_from,
        error_type=error_type,
        error_details=details,
    )


def failed(log_id: int, kind: str = "NETWORK", minutes_ago: float = 5) -> RunFacts:
    return run(
        log_id,
        "failed",
        minutes_ago=minutes_ago,
        error_type=kind,
        details="It broke — Do this.",
    )


def facts(*runs: RunFacts, **extra: object) -> EntityFacts:
    values: dict[str, object] = {"last_success": NOW - timedelta(minutes=5)}
    values.update(extra)
    return EntityFacts("sales", runs=runs, **values)  # type: ignore[arg-type]


# -- sync_failed and consecutive failures ------------------------------------------------


def test_a_successful_latest_run_is_not_a_failure():
    assert sync_failed(facts(run(2), failed(1)), LIMITS) is None


@pytest.mark.parametrize(
    ("kind", "severity"),
    [
        ("AUTH", Severity.CRITICAL),
        ("CONFIG", Severity.CRITICAL),
        ("DATABASE", Severity.CRITICAL),
        ("API", Severity.ERROR),
        ("NETWORK", Severity.WARNING),
        ("RATE_LIMIT", Severity.WARNING),
        ("SOMETHING_NEW", Severity.ERROR),
    ],
)
def test_it_takes_the_severity_from_the_error_class(kind, severity):
    finding = sync_failed(facts(failed(1, kind)), LIMITS)
    assert finding is not None and finding.severity is severity and finding.error_type == kind


def test_it_splits_the_stored_details_into_message_and_recovery():
    finding = sync_failed(facts(failed(1)), LIMITS)
    assert finding.message == "It broke" and finding.recovery == "Do this."


@pytest.mark.parametrize(("streak", "severity"), [(2, Severity.WARNING), (3, Severity.CRITICAL)])
def test_consecutive_failures_escalate_to_critical_at_the_limit(streak, severity):
    runs = [failed(10 - i, minutes_ago=5 + 60 * i) for i in range(streak)]
    finding = sync_failed(facts(*runs, run(1, minutes_ago=500)), LIMITS)
    assert finding.severity is severity
    assert finding.since == runs[-1].started_at  # since the first failure of the streak
    assert finding.observation == "10"


def test_interrupted_runs_neither_break_nor_extend_a_streak():
    runs = [failed(4), run(3, "interrupted"), failed(2), failed(1), run(0)]
    assert failure_streak(runs) == 3
    assert sync_failed(facts(*runs), Limits(consecutive_failures=4)).severity is Severity.WARNING


# -- stale ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "severity"),
    [
        (timedelta(hours=2) - timedelta(seconds=1), None),
        (timedelta(hours=2), Severity.WARNING),
        (timedelta(hours=12), Severity.WARNING),
        (timedelta(hours=12, seconds=1), Severity.CRITICAL),
    ],
)
def test_stale_follows_the_health_colour(age, severity):
    finding = stale(
        facts(run(1, minutes_ago=age.total_seconds() / 60), last_success=NOW - age), LIMITS, NOW
    )
    assert (finding.severity if finding else None) is severity


def test_stale_uses_the_entity_thresholds():
    limits = Limits(thresholds=Thresholds(green=timedelta(hours=6), yellow=timedelta(hours=24)))
    assert stale(facts(last_success=NOW - timedelta(hours=5)), limits, NOW) is None


def test_stale_is_silent_when_the_latest_run_failed():
    assert stale(facts(failed(1), last_success=NOW - timedelta(days=2)), LIMITS, NOW) is None


def test_never_synced_is_critical_unless_the_first_import_is_running():
    assert stale(facts(last_success=None), LIMITS, NOW).severity is Severity.CRITICAL
    assert stale(facts(last_success=None, running=True), LIMITS, NOW) is None


# -- scheduler_down ------------------------------------------------------------------------


def test_a_scheduler_never_seen_is_not_down():
    assert scheduler_down([], NOW, 30) is None


@pytest.mark.parametrize(("age", "down"), [(90, False), (91, True)])
def test_scheduler_is_down_after_three_missed_heartbeats(age, down):
    beats = [Beat(NOW - timedelta(seconds=age), "idle")]
    finding = scheduler_down(beats, NOW, 30)
    assert (finding is not None) is down
    if down:
        assert finding.severity is Severity.CRITICAL and finding.entity == "scheduler"


def test_a_stopped_scheduler_is_down_at_once():
    finding = scheduler_down([Beat(NOW - timedelta(seconds=1), "stopped")], NOW, 30)
    assert finding is not None and "stopped" in finding.message


def test_one_live_scheduler_is_enough():
    beats = [Beat(NOW - timedelta(hours=3), "stopped"), Beat(NOW - timedelta(seconds=5), "idle")]
    assert scheduler_down(beats, NOW, 30) is None


# -- slow_run --------------------------------------------------------------------------


def test_the_slow_limit_is_the_larger_of_the_fixed_limit_and_three_medians():
    assert slow_limit([], LIMITS) == timedelta(minutes=30)
    assert slow_limit([60_000] * 20, LIMITS) == timedelta(minutes=30)
    assert slow_limit([600_000, 1_200_000, 1_800_000], LIMITS) == timedelta(minutes=60)


@pytest.mark.parametrize(
    ("took", "baseline_minutes", "slow"),
    [
        (timedelta(minutes=30), [], False),
        (timedelta(minutes=30, milliseconds=1), [], True),
        (timedelta(minutes=60), [20] * 20, False),
        (timedelta(minutes=60, milliseconds=1), [20] * 20, True),
    ],
)
def test_a_run_is_slow_only_above_its_limit(took, baseline_minutes, slow):
    baseline = tuple(m * 60_000 for m in baseline_minutes)
    finding = slow_run(facts(run(1, duration=took), baseline_ms=baseline), LIMITS)
    assert (finding is not None) is slow


def test_the_first_import_is_never_slow_but_a_full_pass_can_be():
    hours = timedelta(hours=3)
    assert slow_run(facts(run(1, duration=hours, version_from=0)), LIMITS) is None
    full = run(1, duration=hours, version_from=0, action="full")
    assert slow_run(facts(full), LIMITS).severity is Severity.WARNING


# -- success_rate ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("finished", "failed_runs", "fires"),
    [
        (9, 5, False),  # too few runs to judge
        (10, 1, True),  # 90 %
        (20, 1, False),  # exactly 95 %
        (21, 2, True),  # 90.5 %
    ],
)
def test_success_rate_below_the_limit_over_enough_runs(finished, failed_runs, fires):
    f = facts(run(1), finished_24h=finished, failed_24h=failed_runs)
    assert (success_rate(f, LIMITS) is not None) is fires


def test_success_rate_is_silent_while_the_latest_run_fails():
    assert success_rate(facts(failed(1), finished_24h=20, failed_24h=10), LIMITS) is None


# -- empty_success ---------------------------------------------------------------------


def window(weeks_with_sales: int = 4, sales: int = 0, trading: bool = True) -> SalesWindow:
    return SalesWindow(sales, weeks_with_sales, 4, trading)


@pytest.mark.parametrize(
    ("upserted", "sales_window", "fires"),
    [
        (0, window(3), True),
        (0, window(2), False),  # that hour does not usually sell
        (1, window(4), False),
        (0, window(4, sales=1), False),  # the copy has a sale in the hour
        (0, window(4, trading=False), False),
    ],
)
def test_an_empty_sales_run_in_a_usually_busy_hour(upserted, sales_window, fires):
    f = facts(run(1, upserted=upserted), sales_window=sales_window)
    assert (empty_success(f, LIMITS) is not None) is fires


def test_trading_hours_include_the_opening_minute_and_exclude_the_closing_one():
    def local(hour: int, minute: int = 0) -> datetime:
        return datetime(2026, 11, 23, hour, minute).astimezone()

    hours = ("09:00", "21:00")
    assert not in_trading_hours(local(8, 59), hours)
    assert in_trading_hours(local(9), hours)
    assert in_trading_hours(local(20, 59), hours)
    assert not in_trading_hours(local(21), hours)
    assert in_trading_hours(local(1), ("22:00", "02:00"))
    assert in_trading_hours(local(3), None)


def test_evaluate_entity_skips_disabled_rules():
    f = facts(failed(1), last_success=None)
    assert [x.rule for x in evaluate_entity(f, LIMITS, NOW)] == [Rule.SYNC_FAILED]
    assert evaluate_entity(f, LIMITS, NOW, lambda rule, _entity: rule != "sync_failed") == []


MB = 2**20


@pytest.mark.parametrize(
    ("peak", "fires"),
    [(None, False), (100 * MB, False), (512 * MB, False), (512 * MB + 1, True)],
)
def test_memory_fires_above_the_limit(peak, fires):
    latest = RunFacts(1, "success", "full", NOW - timedelta(minutes=5), peak_rss_bytes=peak)
    found = memory(facts(latest), Limits(memory_bytes=512 * MB))
    assert (found is not None) is fires
    if found:
        assert found.rule is Rule.MEMORY and found.severity is Severity.WARNING
        assert "512 MB" in found.message and "SYNC_PAGE_SIZE" in found.recovery
        assert found.observation == "1"


def test_memory_judges_the_latest_run_only():
    big = RunFacts(1, "success", "full", NOW - timedelta(hours=2), peak_rss_bytes=900 * MB)
    small = RunFacts(2, "failed", "incremental", NOW, peak_rss_bytes=90 * MB)
    assert memory(facts(small, big), Limits(memory_bytes=512 * MB)) is None
    assert [f.rule for f in evaluate_entity(facts(big), LIMITS, NOW)] == [Rule.MEMORY]


@pytest.mark.parametrize(
    ("peak_mb", "at_once", "fires"),
    [(527, 10, False), (5120, 10, False), (5121, 10, True), (600, 1, True), (600, None, True)],
)
def test_memory_allows_the_limit_per_store_syncing_at_once(peak_mb, at_once, fires):
    """Ten stores syncing in one scheduler share its memory: 527 MB is 53 MB each."""
    latest = RunFacts(
        7,
        "success",
        "incremental",
        NOW - timedelta(minutes=5),
        peak_rss_bytes=peak_mb * MB,
        stores_at_once=at_once,
    )
    found = memory(facts(latest), Limits(memory_bytes=512 * MB))
    assert (found is not None) is fires
    if found and at_once == 10:
        assert found.message == (
            f"The incremental sync of sales ran while 10 stores synced at once in its scheduler "
            f"process, which peaked at {peak_mb:,} MB of memory (limit 5,120 MB: 512 MB per "
            "store at once)."
        )
    if found and at_once != 10:
        assert found.message.endswith(f"peaked at {peak_mb} MB of memory (limit 512 MB).")
