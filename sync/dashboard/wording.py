"""Sentences a CFO reads: why the score is under 100, when the nightly check runs, what a
run changed, what a backfill costs. Pure: times and zones come in as arguments."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, time, timedelta, tzinfo

from sync.days import clock_label
from sync.health import Deduction

MINUS = "\u2212"  # the typographic minus of "-8"


def plural(n: int, one: str, many: str | None = None) -> str:
    """'1 sale', '12,400 sales'."""
    return f"{n:,} {one if n == 1 else (many or one + 's')}"


def next_nightly(now: datetime, zone: tzinfo, at: str | None) -> datetime | None:
    """The next time the nightly reconciliation runs ('HH:MM' on the store's clock)."""
    if not at:
        return None
    hour, _, minute = at.partition(":")
    try:
        wanted = time(int(hour), int(minute or 0))
    except ValueError:
        return None
    local_now = now.astimezone(zone)
    moment = datetime.combine(local_now.date(), wanted, zone)
    if moment <= local_now:
        moment = datetime.combine(local_now.date() + timedelta(days=1), wanted, zone)
    return moment


def when_nightly(now: datetime, zone: tzinfo, at: str | None) -> str:
    """'tonight at 02:00 CET', 'today at 23:30 CET'; '' when there is no nightly run."""
    moment = next_nightly(now, zone, at)
    if moment is None:
        return ""
    clock = clock_label(moment, zone, "%H:%M")
    today = now.astimezone(zone).date()
    if moment.date() == today:
        return f"{'tonight' if moment.hour >= 18 or moment.hour < 6 else 'today'} at {clock}"
    return f"{'tonight' if moment.hour < 6 else 'tomorrow'} at {clock}"


def _names(labels: Sequence[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def deduction_text(
    d: Deduction, *, stale: Sequence[str] = (), failing: Sequence[str] = (), nightly: str = ""
) -> str:
    """One deduction in words: '-8: no reconciliation yet, it runs tonight at 02:00 CET'."""
    if d.part == "nothing":
        return "nothing has been synced yet"
    if d.part == "scheduler":
        why = "the scheduler is not running"
    elif d.part == "freshness":
        why = f"{_names(stale)} past {'its' if len(stale) == 1 else 'their'} freshness SLA"
        why = why if stale else "some data is past its freshness SLA"
    elif d.part == "reliability":
        why = f"failures in a row on {_names(failing)}" if failing else "failures in a row"
    elif d.part == "critical":
        why = "data critically stale (over 4x its SLA) keeps the score under 60"
    elif d.reconciliation is None:
        why = "no reconciliation yet" + (f", it runs {nightly}" if nightly else "")
    elif d.reconciliation == "mismatch":
        why = "the latest reconciliation found differences (see Data trust)"
    else:
        why = "the latest reconciliation could not finish"
    return f"{MINUS}{d.points}: {why}"


def score_explanation(deductions: Iterable[str]) -> str:
    """The sentence under the score; '' when it is 100."""
    parts = list(deductions)
    return "; ".join(parts) + "." if parts else ""


def sla_sentence(slas: dict[str, float]) -> str:
    """The freshness SLA said once: 'Freshness SLA: 2 h for every entity (...)'."""
    if not slas:
        return ""
    common = max(set(slas.values()), key=list(slas.values()).count)
    others = [f"{name} {hours:g} h" for name, hours in slas.items() if hours != common]
    scope = "every entity" if not others else f"the others; {', '.join(others)}"
    return (
        f"Freshness SLA: {common:g} h for {scope}. An entity is late past it, "
        "seriously late past 2x and critical past 4x."
    )


def changes(upserted: int, deleted: int) -> str:
    """What a run changed: '2,000 new or changed, 19 deleted' ('no changes')."""
    if not upserted and not deleted:
        return "no changes"
    text = f"{upserted:,} new or changed"
    return text + (f", {deleted:,} deleted" if deleted else "")


def duration_words(seconds: float) -> str:
    """'less than a minute', 'about 4 minutes', 'about 2 hours'."""
    if seconds < 60:
        return "less than a minute"
    minutes = math.ceil(seconds / 60)
    if minutes < 90:
        return f"about {plural(minutes, 'minute')}"
    return f"about {plural(round(minutes / 60), 'hour')}"


def nouns(entity: str) -> tuple[str, str]:
    """('sale', 'sales'), ('inventory record', 'inventory records') for an entity's name."""
    many = entity.replace("_", " ").lower()
    if not many.endswith("s"):
        return f"{many} record", f"{many} records"
    return many[:-1], many


def estimate_words(entity: str, records: int, seconds: float) -> str:
    """A backfill's cost in plain words: 'about 12,400 sales, about 4 minutes'."""
    one, many = nouns(entity)
    if records == 0:
        return f"no {many} in the copy for these days; it takes {duration_words(seconds)}"
    return f"about {plural(records, one, many)}, {duration_words(seconds)}"
