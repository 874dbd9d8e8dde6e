"""`status` as text: times on the store's clock with their zone, counts with separators."""

from __future__ import annotations

from datetime import datetime, tzinfo

from sync.cli.output import COLOUR_CODES
from sync.days import clock_label
from sync.storage.status_report import StatusReport


def status_lines(
    report: StatusReport,
    zone: tzinfo,
    *,
    connection: str,
    problems: tuple[str, ...] | list[str] = (),
    colour: bool = False,
    verbose: bool = False,
) -> list[str]:
    """The lines `python -m sync status` prints; raw cursors only when `verbose`."""

    def when(moment: datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
        return clock_label(moment, zone, fmt)

    health = report.health
    counts = health.counts
    next_run = f" · next run {when(report.next_run_at, '%H:%M')}" if report.next_run_at else ""
    lines = [health.overall_text]
    lines += [f"WARNING (not least privilege): {p}" for p in problems]
    lines.append(
        f"Health score {health.health_score}/100 · {counts.healthy} healthy, "
        f"{counts.delayed} delayed, {counts.error} error · "
        f"data {'ready' if health.data_ready else 'NOT READY'} · "
        f"scheduler: {report.scheduler}{next_run}"
    )
    for reason in health.reasons:
        since = f" (since {when(reason.since)})" if reason.since else ""
        lines.append(
            f"  Blocked: {reason.entity}: {reason.reason}{since}. Next: {reason.next_step}"
        )
    lines.append(f"Lightspeed: {connection}")

    def cursor(value: object) -> str:
        return f" {value:>14}" if verbose else ""

    lines.append(
        f"{'entity':<16} {'health':<7} {'freshness':<9} {'last success':<24} {'last run':<12}"
        f"{cursor('cursor')} {'rows':>10}"
    )
    for e in report.entities:
        name = e.colour.value
        shown = f"{COLOUR_CODES[name]}{name:<7}\033[0m" if colour else f"{name:<7}"
        last = when(e.last_success) if e.last_success else "never"
        lines.append(
            f"{e.entity:<16} {shown} {e.freshness.value:<9} {last:<24} {e.status:<12}"
            f"{cursor(e.cursor_version)} {e.records_total:>10,}"
        )
        if e.error_type:
            lines.append(f"{'':<16} {e.error_type}: {e.error_message}")
    return lines
