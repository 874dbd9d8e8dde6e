"""AlertService: evaluate the rules, keep incidents current, deliver what is owed."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from sync.alerts import incidents as inc
from sync.alerts.facts import findings
from sync.alerts.messages import (
    Message,
    StoreName,
    compose,
    compose_backfill,
    compose_digest,
    compose_test,
    title_for,
)
from sync.alerts.notify import Channel, Delivery, Notifier, channels, record
from sync.alerts.rules import Finding
from sync.config import Settings
from sync.days import zone_named
from sync.engine.runner import EntityResult
from sync.errors import SyncError
from sync.runs import RunStatus, utcnow
from sync.storage.protocols import Alerting

log = logging.getLogger(__name__)

LEASE_KEY = "alerts"  # a sync_locks row: one evaluator at a time across processes
LEASE_SECONDS = 120.0


@dataclass(frozen=True)
class Evaluation:
    """What one evaluation found, changed and sent."""

    checked_at: datetime
    skipped: bool = False
    findings: list[Finding] = field(default_factory=list)
    changes: inc.Changes = field(default_factory=lambda: inc.Changes([], [], []))
    deliveries: list[Delivery] = field(default_factory=list)


class AlertService:
    """Evaluates alert rules against a store (SQL or REST) and notifies through apprise."""

    def __init__(
        self,
        settings: Settings,
        store: Alerting,
        clock: Callable[[], datetime] = utcnow,
        notifier: Notifier | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.book = store.incidents()
        self.clock = clock
        self.notifier = notifier or Notifier(settings.secrets)
        self.cooldown = timedelta(minutes=settings.alert_cooldown_minutes)
        self.leases = store.leases(LEASE_SECONDS)
        self._channels = {c.url: c for c in channels(settings.all_alert_urls, settings.secrets)}
        self._zone: tzinfo | None = None  # the store's, learnt from each read of the run log

    def channels_for(self, severity: str) -> list[Channel]:
        """The channels a message of `severity` goes to."""
        return [self._channels[u] for u in self.settings.alert_urls_for(severity)]

    # -- evaluation -----------------------------------------------------------------------

    def after_run(self, results: Sequence[EntityResult]) -> Evaluation:
        """Evaluate right after a sync run, so a failure is reported within seconds."""
        failed = [r.entity for r in results if r.status == RunStatus.FAILED]
        if failed:
            log.debug("Evaluating alerts after failed run(s) of %s", ", ".join(failed))
        return self.evaluate()

    def evaluate(self) -> Evaluation:
        """One evaluation: rules → incidents → notifications. Raises SyncError if the DB fails."""
        now = self.clock()
        holder = self.leases.acquire(LEASE_KEY, now)
        if holder is not None:
            log.debug("Alert evaluation skipped: %s is evaluating", holder.describe())
            return Evaluation(now, skipped=True)
        try:
            findings = self.findings(now)
            changes = inc.apply_findings(self.book, findings, now)
            self._log_changes(changes)
            deliveries = self._deliver(now)
            deliveries += self._digest(now)
        finally:
            self.leases.release(LEASE_KEY)
        return Evaluation(now, False, findings, changes, deliveries)

    def findings(self, now: datetime) -> list[Finding]:
        """Every rule that holds now, from one read of the run log."""
        snap = self.store.read_snapshot(now, self.settings.store_time_zone)
        self._zone = zone_named(snap.zone) or UTC
        return findings(snap, self.settings)

    def zone(self, now: datetime) -> tzinfo:
        """The store's zone: messages and the digest run on the store's clock."""
        if self._zone is None:
            snap = self.store.read_snapshot(now, self.settings.store_time_zone)
            self._zone = zone_named(snap.zone) or UTC
        return self._zone

    def store_name(self) -> StoreName:
        """This store as messages name it: its name, and its prefix too when the database
        holds several stores (a database that does not answer now: the name alone)."""
        settings = self.settings
        try:
            several = self.store.store_count() > 1
        except SyncError:
            several = False
        return StoreName(settings.display_name, settings.store_prefix, several)

    def _log_changes(self, changes: inc.Changes) -> None:
        for incident_id in changes.opened:
            incident = self.book.get_incident(incident_id)
            if incident is not None:
                log.warning(
                    "Alert #%d of store %s opened [%s] %s: %s",
                    incident.id,
                    self.settings.store_prefix,
                    incident.severity,
                    incident.title,
                    incident.message,
                )
        for incident_id in changes.resolved:
            incident = self.book.get_incident(incident_id)
            if incident is not None:
                log.info(
                    "Alert #%d of store %s resolved: %s",
                    incident.id,
                    self.settings.store_prefix,
                    incident.title,
                )

    # -- delivery -------------------------------------------------------------------------

    def _deliver(self, now: datetime) -> list[Delivery]:
        """Send every owed message, one combined message per channel."""
        batches: dict[str, tuple[Channel, list[tuple[inc.Incident, str]]]] = {}
        outstanding: dict[int, set[str]] = {}
        for incident in self.book.plan_messages(now, self.cooldown):
            kind = incident.pending_kind or "open"
            severity = incident.notified_severity if kind == "resolved" else incident.severity
            done = self.book.sent_channels(incident)
            route = [c for c in self.channels_for(severity or incident.severity)]
            outstanding[incident.id] = {c.label for c in route if c.label not in done}
            for channel in route:
                if channel.label not in done:
                    batches.setdefault(channel.label, (channel, []))[1].append((incident, kind))
        sent: list[Delivery] = []
        where: StoreName | None = None  # read once, and only when something is owed
        for channel, items in batches.values():
            where = where or self.store_name()
            message = compose(items, now, where, self.zone(now))
            delivery = self.notifier.send(channel, message)
            record(
                self.book,
                [(i.id, kind, i.severity, title_for(i, kind), delivery) for i, kind in items],
                now,
            )
            sent.append(delivery)
            if delivery.ok:
                for incident, _ in items:
                    outstanding[incident.id].discard(channel.label)
        self.book.settle([i for i, rest in outstanding.items() if not rest])
        return sent

    def digest_due_at(self, now: datetime) -> datetime | None:
        """The start of the current digest window, or None outside it / when off."""
        if not self.settings.alert_digest_time:
            return None
        local = now.astimezone(self.zone(now))
        due = datetime.combine(
            local.date(), time.fromisoformat(self.settings.alert_digest_time), local.tzinfo
        )
        if local < due:
            due -= timedelta(days=1)
        # A digest missed by more than the cooldown (host down) is skipped, not sent late.
        return due if local - due < self.cooldown else None

    def _digest(self, now: datetime) -> list[Delivery]:
        due = self.digest_due_at(now)
        if due is None:
            return []
        done = self.book.digest_channels(due)
        todo = [c for c in self._channels.values() if c.label not in done]
        if not todo:
            return []
        message = compose_digest(
            self.book.open_incidents(),
            self.book.resolved_since(now - timedelta(hours=24)),
            now,
            self.store_name(),
            self.zone(now),
        )
        return self._send_plain(todo, message, "digest", now)

    def send_test(self) -> list[Delivery]:
        """Send a test message to every configured channel; each attempt is recorded."""
        now = self.clock()
        out: list[Delivery] = []
        where = self.store_name()
        for channel in self._channels.values():
            message = compose_test(where, channel.label, now, self.zone(now))
            out += self._send_plain([channel], message, "test", now)
        return out

    def backfill_finished(
        self,
        entity: str,
        date_from: date,
        date_to: date,
        requested_by: str | None,
        results: Sequence[EntityResult],
        error: str | None,
    ) -> list[Delivery]:
        """Tell the channels a queued backfill ended: every channel when it worked, the
        error route when it failed. Each attempt is recorded (kind 'backfill')."""
        now = self.clock()
        message = compose_backfill(
            entity,
            date_from,
            date_to,
            requested_by,
            results,
            error,
            self.store_name(),
            now,
            self.zone(now),
        )
        targets = self.channels_for("error") if error else list(self._channels.values())
        return self._send_plain(targets, message, "backfill", now)

    def _send_plain(
        self, targets: list[Channel], message: Message, kind: str, now: datetime
    ) -> list[Delivery]:
        deliveries = [self.notifier.send(c, message) for c in targets]
        record(self.book, [(None, kind, None, message.title, d) for d in deliveries], now)
        return deliveries
