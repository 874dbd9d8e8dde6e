"""Message text a human can act on: what, where (which store, when the database holds
several), how bad, since when (on the store's clock), what to do. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo

from sync.alerts.incidents import Incident
from sync.alerts.rules import RULE_TEXT, Rule
from sync.days import clock_label
from sync.engine.skeleton import EntityResult
from sync.errors import SEVERITY_RANK, Severity
from sync.health import format_age
from sync.health.scheduler import WHEN

KIND_PREFIX = {"repeat": "Still open: ", "escalation": "Worse now: "}


@dataclass(frozen=True)
class Message:
    """A notification ready for apprise: `level` is apprise's notify type."""

    title: str
    body: str
    level: str  # info / success / warning / failure


@dataclass(frozen=True)
class StoreName:
    """The store a message is about: its display name, its domain prefix, and whether the
    database holds other stores (then every title and body names both)."""

    name: str
    prefix: str
    several: bool = False

    @property
    def short(self) -> str:
        """For titles: 'Beta Ltd (beta)' among several stores, else the name alone."""
        if self.several and self.name != self.prefix:
            return f"{self.name} ({self.prefix})"
        return self.name

    def lines(self) -> list[str]:
        """The body's first line among several stores ('Store: Beta Ltd (beta)'); with one
        store none: its name in the title is enough."""
        return [f"Store: {self.short}"] if self.several else []


def _store(store: str | StoreName) -> StoreName:
    """A bare name is the only store's."""
    return store if isinstance(store, StoreName) else StoreName(store, store)


def _body(store: StoreName, *parts: str) -> str:
    return "\n".join([*store.lines(), *parts])


def _when(moment: datetime, zone: tzinfo) -> str:
    """'2026-12-05 14:05 NZDT': a moment on the store's clock."""
    return clock_label(moment, zone, WHEN)


def _rule_text(rule: str) -> str:
    try:
        return RULE_TEXT[Rule(rule)]
    except ValueError:
        return rule


def _level(items: Sequence[tuple[Incident, str]]) -> str:
    if all(kind == "resolved" for _, kind in items):
        return "success"
    worst = max(SEVERITY_RANK[Severity(i.severity)] for i, kind in items if kind != "resolved")
    return "warning" if worst == SEVERITY_RANK[Severity.WARNING] else "failure"


def _entities(group: Sequence[Incident]) -> str:
    return ", ".join(dict.fromkeys(i.entity for i in group))


def _happened(group: Sequence[Incident]) -> list[str]:
    texts: dict[str, list[str]] = {}
    for incident in group:
        texts.setdefault(incident.message, []).append(incident.entity)
    if len(texts) == 1:
        return [f"What happened: {next(iter(texts))}"]
    return ["What happened:"] + [f"- {', '.join(who)}: {text}" for text, who in texts.items()]


def _section(group: Sequence[Incident], kind: str, now: datetime, zone: tzinfo) -> str:
    """The text of incidents sharing rule, severity, error class and recovery (often one)."""
    first = group[0]
    rule = _rule_text(first.rule)
    since = min(i.since for i in group)
    occurrences = max(i.occurrences for i in group)
    ids = ("Incidents " if len(group) > 1 else "Incident ") + ", ".join(f"#{i.id}" for i in group)
    if kind == "resolved":
        ended = max(i.resolved_at or now for i in group)
        return "\n".join(
            [
                f"RESOLVED: {_entities(group)} — {rule} has recovered.",
                f"It lasted {format_age(ended - since)} (from {_when(since, zone)} to "
                f"{_when(ended, zone)}), {occurrences} occurrence(s).",
                *(line.replace("What happened", "Last problem seen") for line in _happened(group)),
                f"{ids} closed.",
            ]
        )
    lines = [
        f"{KIND_PREFIX.get(kind, '')}{first.severity.upper()}: {_entities(group)} — {rule}",
        f"Entity: {_entities(group)}",
        f"Rule: {first.rule}",
        f"Severity: {first.severity}",
    ]
    if first.error_type:
        lines.append(f"Error class: {first.error_type}")
    lines += [
        *_happened(group),
        f"What to do: {first.recovery or 'see logs/sync.log'}",
        f"Since: {_when(since, zone)} ({format_age(now - since)} ago) · occurrences: {occurrences}",
    ]
    for incident in group:
        if incident.acknowledged_at:
            lines.append(
                f"#{incident.id} acknowledged by {incident.acknowledged_by} at "
                f"{_when(incident.acknowledged_at, zone)}"
                + (f": {incident.ack_note}" if incident.ack_note else "")
            )
    lines.append(f"{ids}: acknowledge or snooze on the dashboard's Alerts page.")
    return "\n".join(lines)


def _groups(items: Sequence[tuple[Incident, str]]) -> list[tuple[list[Incident], str]]:
    grouped: dict[tuple[object, ...], tuple[list[Incident], str]] = {}
    for incident, kind in items:
        key = (kind, incident.rule, incident.severity, incident.error_type, incident.recovery)
        grouped.setdefault(key, ([], kind))[0].append(incident)
    return list(grouped.values())


def title_for(incident: Incident, kind: str) -> str:
    """'[CRITICAL] sales: sync failed (AUTH)', '[RESOLVED] ...'."""
    if kind == "resolved":
        return f"[RESOLVED] {incident.title}"
    prefix = KIND_PREFIX.get(kind, "").lower()
    return f"[{incident.severity.upper()}] {prefix}{incident.title}"


def compose(
    items: Sequence[tuple[Incident, str]],
    now: datetime,
    store: str | StoreName,
    zone: tzinfo = UTC,
) -> Message:
    """One message for every (incident, kind) owed to a channel in this evaluation."""
    level = _level(items)
    where = _store(store)
    if len(items) == 1:
        incident, kind = items[0]
        return Message(
            f"{title_for(incident, kind)} · {where.short}",
            _body(where, _section([incident], kind, now, zone)),
            level,
        )
    problems = [i for i, kind in items if kind != "resolved"]
    recovered = [i for i, kind in items if kind == "resolved"]
    parts = []
    if problems:
        worst = max(problems, key=lambda i: SEVERITY_RANK[Severity(i.severity)])
        titles = sorted({i.title.split(": ", 1)[-1] for i in problems})
        entities = ", ".join(dict.fromkeys(i.entity for i in problems))
        parts.append(f"[{worst.severity.upper()}] {' / '.join(titles)}: {entities}")
    if recovered:
        titles = sorted({i.title.split(": ", 1)[-1] for i in recovered})
        parts.append(f"[RESOLVED] {' / '.join(titles)}: {_entities(recovered)}")
    title = f"{' · '.join(parts)} · {where.short}"
    header = _body(where, f"{len(problems)} problem(s), {len(recovered)} recovered.")
    body = "\n\n".join([header, *(_section(g, kind, now, zone) for g, kind in _groups(items))])
    return Message(title, body, level)


def compose_digest(
    open_now: Sequence[Incident],
    resolved: Sequence[Incident],
    now: datetime,
    store: str | StoreName,
    zone: tzinfo = UTC,
) -> Message:
    """The daily summary: open incidents and what recovered in the last 24 h."""
    where = _store(store)
    title = (
        f"Daily alert digest · {where.short}: {len(open_now)} open incident(s), "
        f"{len(resolved)} resolved in 24 h"
    )
    lines = [*where.lines(), f"Daily digest at {_when(now, zone)}.", ""]
    if open_now:
        lines.append("Open:")
        for i in open_now:
            lines.append(
                f"- #{i.id} [{i.severity}] {i.title} since {_when(i.since, zone)} "
                f"({i.occurrences} occurrence(s)): {i.message} What to do: {i.recovery}"
            )
    else:
        lines.append("No open incidents: every entity is healthy.")
    if resolved:
        lines += ["", "Resolved in the last 24 h:"]
        for i in resolved:
            ended = i.resolved_at or now
            lines.append(f"- #{i.id} {i.title}, lasted {format_age(ended - i.since)}")
    level = "info" if not open_now else _level([(i, "open") for i in open_now])
    return Message(title, "\n".join(lines), level)


def compose_test(
    store: str | StoreName, channel: str, now: datetime, zone: tzinfo = UTC
) -> Message:
    """The `python -m sync alerts test` message."""
    where = _store(store)
    return Message(
        f"Test alert · {where.short}",
        _body(
            where,
            f"This is a test message from Lightspeed Sync & Health, sent at {_when(now, zone)} "
            f"to {channel}. If you read this, alerts reach you here. Nothing is wrong.",
        ),
        "info",
    )


def compose_backfill(
    entity: str,
    date_from: date,
    date_to: date,
    requested_by: str | None,
    results: Sequence[EntityResult],
    error: str | None,
    store: str | StoreName,
    now: datetime,
    zone: tzinfo = UTC,
) -> Message:
    """The message sent when a queued backfill (dashboard or API) has finished."""
    where = _store(store)
    days = f"{date_from} to {date_to}"
    who = requested_by or "unknown"
    if error is None:
        upserted = sum(r.upserted + r.children_upserted for r in results)
        seconds = sum(r.seconds for r in results)
        return Message(
            f"Backfill done · {where.short}: {entity} {days}",
            _body(
                where,
                f"The backfill of {entity} from {days}, requested by {who}, finished at "
                f"{_when(now, zone)}: {upserted:,} record(s) written in {seconds:.0f} s.",
            ),
            "success",
        )
    return Message(
        f"Backfill failed · {where.short}: {entity} {days}",
        _body(
            where,
            f"The backfill of {entity} from {days}, requested by {who}, failed at "
            f"{_when(now, zone)}: {error}. What to do: read the scheduler log (logs/sync.log), "
            "then queue the range again from the dashboard or the API.",
        ),
        "failure",
    )
