"""Pure alert rules: plain facts in, findings out. No I/O, no clock: `now` is passed in."""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from sync.days import clock_label
from sync.errors import ErrorKind, Severity, SyncError
from sync.health import Colour, Thresholds, consecutive_failures, entity_health, format_age
from sync.health.scheduler import WHEN
from sync.runs import COMPLETED, Action, Rule, RunStatus

RULE_TEXT = {
    Rule.SYNC_FAILED: "sync failed",
    Rule.STALE: "data is stale",
    Rule.SCHEDULER_DOWN: "scheduler down",
    Rule.SLOW_RUN: "slow sync",
    Rule.EMPTY_SUCCESS: "no sales synced in trading hours",
    Rule.SUCCESS_RATE: "low success rate",
    Rule.RECONCILIATION_MISMATCH: "copy differs from Lightspeed",
    Rule.MEMORY: "sync used too much memory",
}

RECOVERY = {
    Rule.STALE: "Check that the scheduler runs (`python -m sync status`, `systemctl status "
    "lightspeed-sync`) and read logs/sync.log; `python -m sync run` syncs now.",
    Rule.SCHEDULER_DOWN: "Start it again (`systemctl start lightspeed-sync`, or `python -m sync "
    "scheduler`); `journalctl -u lightspeed-sync` or logs/sync.log say why it stopped.",
    Rule.SLOW_RUN: "Lightspeed or the database is slow: check status.lightspeedhq.com and the "
    "database host's load; lower SYNC_PAGE_SIZE if requests time out.",
    Rule.EMPTY_SUCCESS: "Compare today's sales in Lightspeed with the copy (`python -m sync "
    "reconcile --date <today>`); check the token still has sales:read. A backfill repairs gaps.",
    Rule.RECONCILIATION_MISMATCH: "Run the repair the reconciliation offers (`python -m sync "
    "reconcile --repair`, or the backfill shown), then reconcile again.",
    Rule.MEMORY: "Lower SYNC_PAGE_SIZE (fewer records held at once), or give the host more "
    "memory and raise ALERT_MEMORY_MB; a full pass of a large store needs the most.",
    Rule.SUCCESS_RATE: "Runs fail intermittently: read the failed runs' error classes in "
    "sync_log or the dashboard's history; the suggestion of the most frequent class applies.",
}


@dataclass(frozen=True)
class RunFacts:
    """One finished sync_log row."""

    log_id: int
    status: str
    action: str
    started_at: datetime
    duration_ms: int | None = None
    records_upserted: int = 0
    version_from: int | None = None
    error_type: str | None = None
    error_details: str | None = None
    peak_rss_bytes: int | None = None
    stores_at_once: int | None = None  # stores syncing at once in its process


@dataclass(frozen=True)
class SalesWindow:
    """The hour before the latest sales run, and the same hour in earlier weeks."""

    sales_in_window: int
    weeks_with_sales: int
    weeks: int
    in_trading_hours: bool


@dataclass(frozen=True)
class EntityFacts:
    """What the rules know about one entity; `runs` are finished runs, newest first."""

    entity: str
    runs: tuple[RunFacts, ...] = ()
    last_success: datetime | None = None
    running: bool = False
    baseline_ms: tuple[int, ...] = ()  # successful runs of the latest run's action before it
    finished_24h: int = 0
    failed_24h: int = 0
    sales_window: SalesWindow | None = None

    @property
    def latest(self) -> RunFacts | None:
        return next((r for r in self.runs if r.status in COMPLETED), None)


@dataclass(frozen=True)
class Limits:
    """Rule limits for one entity (defaults = the documented defaults)."""

    consecutive_failures: int = 3
    slow_run: timedelta = timedelta(minutes=30)
    slow_factor: float = 3.0
    success_rate: float = 0.95
    min_runs: int = 10  # a rate over fewer runs says little (and repeats sync_failed)
    usual_weeks: int = 3
    thresholds: Thresholds = field(default_factory=Thresholds)
    memory_bytes: int = 512 * 2**20


@dataclass(frozen=True)
class Finding:
    """A condition that holds now; becomes (or updates) the open incident of rule+entity."""

    rule: Rule
    entity: str
    severity: Severity
    message: str
    since: datetime
    recovery: str
    error_type: str | None = None
    observation: str | None = None  # a new value counts as one more occurrence


def split_details(error_type: str | None, details: str | None) -> tuple[str, str]:
    """(message, recovery) from a stored 'message — recovery' text."""
    text = (details or "").strip()
    message, sep, recovery = text.partition(" — ")
    if sep and recovery.strip():
        return message.strip(), recovery.strip()
    return text or "no details recorded", kind_info(error_type)[1]


def kind_info(error_type: str | None) -> tuple[Severity, str]:
    """Severity and recovery of an error class; unknown classes count as errors."""
    try:
        error = SyncError(ErrorKind(error_type or ""), "x")
    except ValueError:
        return Severity.ERROR, "Read the run's error details in sync_log and logs/sync.log."
    return error.severity, error.recovery


def failure_streak(runs: Sequence[RunFacts]) -> int:
    """How many of the latest completed runs failed in a row (the health model's count)."""
    return consecutive_failures(r.status for r in runs)


def sync_failed(facts: EntityFacts, limits: Limits) -> Finding | None:
    """The latest run failed; N failures in a row make it critical."""
    latest = facts.latest
    if latest is None or latest.status != RunStatus.FAILED:
        return None
    streak = failure_streak(facts.runs)
    failed = [r for r in facts.runs if r.status in COMPLETED][:streak]
    severity, _ = kind_info(latest.error_type)
    message, recovery = split_details(latest.error_type, latest.error_details)
    if streak >= limits.consecutive_failures:
        severity = Severity.CRITICAL
        message += f" ({streak} failed runs in a row)"
    return Finding(
        Rule.SYNC_FAILED,
        facts.entity,
        severity,
        message,
        since=failed[-1].started_at,
        recovery=recovery,
        error_type=latest.error_type,
        observation=str(latest.log_id),
    )


def stale(facts: EntityFacts, limits: Limits, now: datetime) -> Finding | None:
    """Yellow (warning) or red (critical) by age although the latest run did not fail."""
    latest = facts.latest
    if latest is not None and latest.status == RunStatus.FAILED:
        return None  # sync_failed speaks for it
    if facts.last_success is None and facts.running:
        return None  # the first import is still going
    health = entity_health(facts.last_success, None, now, limits.thresholds)
    if health.colour is Colour.GREEN:
        return None
    severity = Severity.WARNING if health.colour is Colour.YELLOW else Severity.CRITICAL
    green_h = limits.thresholds.green.total_seconds() / 3600
    return Finding(
        Rule.STALE,
        facts.entity,
        severity,
        f"{facts.entity} is {health.colour.value}: {health.reason} (green below {green_h:g} h).",
        since=(facts.last_success + limits.thresholds.green) if facts.last_success else now,
        recovery=RECOVERY[Rule.STALE],
        observation=health.colour.value,
    )


def slow_limit(baseline_ms: Sequence[int], limits: Limits) -> timedelta:
    """max(fixed limit, factor * median of the baseline)."""
    if not baseline_ms:
        return limits.slow_run
    median = timedelta(milliseconds=statistics.median(baseline_ms))
    return max(limits.slow_run, median * limits.slow_factor)


def slow_run(facts: EntityFacts, limits: Limits) -> Finding | None:
    """The latest successful run took longer than its limit (the first import is exempt)."""
    latest = facts.latest
    if latest is None or latest.status == RunStatus.FAILED or latest.duration_ms is None:
        return None
    if latest.action == Action.INCREMENTAL and not latest.version_from:
        return None
    limit = slow_limit(facts.baseline_ms, limits)
    took = timedelta(milliseconds=latest.duration_ms)
    if took <= limit:
        return None
    return Finding(
        Rule.SLOW_RUN,
        facts.entity,
        Severity.WARNING,
        f"The {latest.action} sync of {facts.entity} took {format_age(took)} "
        f"(limit {format_age(limit)}).",
        since=latest.started_at,
        recovery=RECOVERY[Rule.SLOW_RUN],
        observation=str(latest.log_id),
    )


def success_rate(facts: EntityFacts, limits: Limits) -> Finding | None:
    """Share of successful runs over 24 h below the limit (flapping, not a current failure)."""
    latest = facts.latest
    if latest is None or latest.status == RunStatus.FAILED or facts.finished_24h < limits.min_runs:
        return None
    rate = (facts.finished_24h - facts.failed_24h) / facts.finished_24h
    if rate >= limits.success_rate:
        return None
    return Finding(
        Rule.SUCCESS_RATE,
        facts.entity,
        Severity.WARNING,
        f"{facts.failed_24h} of {facts.finished_24h} runs of {facts.entity} failed in the last "
        f"24 h: {rate:.1%} succeeded (limit {limits.success_rate:.0%}).",
        since=latest.started_at - timedelta(hours=24),
        recovery=RECOVERY[Rule.SUCCESS_RATE],
        observation=str(facts.failed_24h),
    )


def empty_success(facts: EntityFacts, limits: Limits) -> Finding | None:
    """A successful sales run found nothing in an hour that usually has sales."""
    latest, window = facts.latest, facts.sales_window
    if latest is None or window is None or latest.status == RunStatus.FAILED:
        return None
    if latest.records_upserted or window.sales_in_window or not window.in_trading_hours:
        return None
    if window.weeks_with_sales < limits.usual_weeks:
        return None
    return Finding(
        Rule.EMPTY_SUCCESS,
        facts.entity,
        Severity.WARNING,
        f"The sync of {facts.entity} succeeded with 0 records and the copy has no sale in the "
        f"hour before it, although that weekday and hour had sales in {window.weeks_with_sales} "
        f"of the last {window.weeks} weeks.",
        since=latest.started_at - timedelta(hours=1),
        recovery=RECOVERY[Rule.EMPTY_SUCCESS],
        observation=str(latest.log_id),
    )


def memory(facts: EntityFacts, limits: Limits) -> Finding | None:
    """The latest run's process peaked above the memory limit: ALERT_MEMORY_MB per store
    syncing at once in that process (its stores share its memory)."""
    run = facts.runs[0] if facts.runs else None
    if run is None or run.peak_rss_bytes is None:
        return None
    at_once = max(1, run.stores_at_once or 1)
    limit = limits.memory_bytes * at_once
    if run.peak_rss_bytes <= limit:
        return None
    peak = f"{run.peak_rss_bytes / 2**20:,.0f} MB"
    if at_once == 1:
        text = f"peaked at {peak} of memory (limit {limit / 2**20:,.0f} MB)."
    else:
        text = (
            f"ran while {at_once} stores synced at once in its scheduler process, which peaked "
            f"at {peak} of memory (limit {limit / 2**20:,.0f} MB: "
            f"{limits.memory_bytes / 2**20:,.0f} MB per store at once)."
        )
    return Finding(
        Rule.MEMORY,
        facts.entity,
        Severity.WARNING,
        f"The {run.action} sync of {facts.entity} {text}",
        since=run.started_at,
        recovery=RECOVERY[Rule.MEMORY],
        observation=str(run.log_id),
    )


@dataclass(frozen=True)
class CheckFacts:
    """One check of the latest reconciliation (a row of `reconciliations`)."""

    entity: str
    scope: str
    measure: str
    difference: str
    status: str
    checked_at: datetime
    repair: str | None = None


def reconciliation_mismatch(entity: str, checks: Sequence[CheckFacts]) -> Finding | None:
    """The latest reconciliation found the copy of `entity` differing from Lightspeed."""
    bad = [c for c in checks if c.entity == entity and c.status == "mismatch"]
    if not bad:
        return None
    shown = "; ".join(f"{c.scope} {c.measure} differs by {c.difference}" for c in bad[:3])
    more = f" (+{len(bad) - 3} more)" if len(bad) > 3 else ""
    repair = next((c.repair for c in bad if c.repair), None)
    recovery = RECOVERY[Rule.RECONCILIATION_MISMATCH]
    if repair:
        recovery = f"Repair with: {repair}; then reconcile again."
    return Finding(
        Rule.RECONCILIATION_MISMATCH,
        entity,
        Severity.ERROR,
        f"The copy of {entity} does not match Lightspeed: {shown}{more}.",
        since=min(c.checked_at for c in bad),
        recovery=recovery,
        observation=bad[0].checked_at.isoformat(),
    )


@dataclass(frozen=True)
class Beat:
    """One scheduler_heartbeat row."""

    last_beat_at: datetime
    state: str | None


def scheduler_down(
    beats: Sequence[Beat], now: datetime, heartbeat_seconds: float, zone: tzinfo = UTC
) -> Finding | None:
    """No scheduler beat within 3 heartbeats (or it stopped); never seen is not 'down'.

    Times read on the store's clock (`zone`)."""
    if not beats:
        return None
    window = timedelta(seconds=3 * heartbeat_seconds)
    if any(b.state != "stopped" and now - b.last_beat_at <= window for b in beats):
        return None
    last = max(beats, key=lambda b: b.last_beat_at)
    ago = format_age(now - last.last_beat_at)
    at = clock_label(last.last_beat_at, zone, WHEN)
    if last.state == "stopped":
        message = f"The scheduler stopped at {at} ({ago} ago)."
    else:
        message = (
            f"No scheduler heartbeat since {at} ({ago} ago; "
            f"expected every {heartbeat_seconds:g} s): it was killed or hangs."
        )
    return Finding(
        Rule.SCHEDULER_DOWN,
        "scheduler",
        Severity.CRITICAL,
        message,
        since=last.last_beat_at,
        recovery=RECOVERY[Rule.SCHEDULER_DOWN],
        observation=last.last_beat_at.isoformat(),
    )


ENTITY_RULES: dict[Rule, Callable[[EntityFacts, Limits, datetime], Finding | None]] = {
    Rule.SYNC_FAILED: lambda f, lim, _now: sync_failed(f, lim),
    Rule.STALE: stale,
    Rule.SLOW_RUN: lambda f, lim, _now: slow_run(f, lim),
    Rule.SUCCESS_RATE: lambda f, lim, _now: success_rate(f, lim),
    Rule.EMPTY_SUCCESS: lambda f, lim, _now: empty_success(f, lim),
    Rule.MEMORY: lambda f, lim, _now: memory(f, lim),
}


def evaluate_entity(
    facts: EntityFacts,
    limits: Limits,
    now: datetime,
    enabled: Callable[[str, str], bool] = lambda _rule, _entity: True,
) -> list[Finding]:
    """Every enabled entity rule that holds for `facts`."""
    found = []
    for rule, check in ENTITY_RULES.items():
        if enabled(rule.value, facts.entity) and (finding := check(facts, limits, now)):
            found.append(finding)
    return found
