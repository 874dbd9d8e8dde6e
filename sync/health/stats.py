"""Run statistics: success rate, failure streaks, MTTR, error rate by class."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta

from sync.errors import ErrorKind, SyncError
from sync.runs import COMPLETED, FINISHED, SUCCEEDED, RunStatus


def success_rate(counts: Mapping[str, int]) -> float | None:
    """Share of finished runs that succeeded ('partial' counts: the run completed).

    `counts` maps a sync_log status to its number of rows; None when nothing finished.
    """
    finished = sum(n for status, n in counts.items() if status in FINISHED)
    if not finished:
        return None
    return sum(n for status, n in counts.items() if status in SUCCEEDED) / finished


def consecutive_failures(statuses_newest_first: Iterable[str]) -> int:
    """How many of the latest completed runs failed in a row.

    Running and interrupted runs are skipped: they say nothing about whether a sync works.
    """
    streak = 0
    for status in statuses_newest_first:
        if status not in COMPLETED:
            continue
        if status != RunStatus.FAILED:
            break
        streak += 1
    return streak


def split_error(error_type: str | None, error_details: str | None) -> tuple[str, str | None]:
    """(message, recovery) from a stored 'message — recovery' text and its error class."""
    text = (error_details or "").strip()
    message, sep, recovery = text.partition(" — ")
    if sep and recovery.strip():
        return message.strip(), recovery.strip()
    try:
        return text, SyncError(ErrorKind(error_type or ""), "x").recovery
    except ValueError:
        return text, None


def mttr(total_seconds: float | None, resolved: int) -> timedelta | None:
    """Mean time to resolution from the summed open-to-resolved times of `resolved` incidents."""
    if not resolved or total_seconds is None:
        return None
    return timedelta(seconds=max(0.0, total_seconds) / resolved)


def error_rates(failures_by_class: Mapping[str | None, int], finished: int) -> dict[str, float]:
    """Failed runs of each error class as a share of all finished runs (classless: 'UNKNOWN')."""
    if not finished:
        return {}
    rates: dict[str, float] = {}
    for kind, n in failures_by_class.items():
        key = kind or "UNKNOWN"
        rates[key] = rates.get(key, 0.0) + n / finished
    return dict(sorted(rates.items()))
