"""Delivery through apprise: one channel per URL, secrets masked, every attempt recorded."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import unquote

from sync.alerts.messages import Message
from sync.errors import redact
from sync.storage.protocols import IncidentBook

log = logging.getLogger(__name__)

# Bounds one whole apprise call, so an unreachable mail server cannot stall the scheduler.
SEND_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class Channel:
    """One apprise URL and the label shown everywhere instead of it."""

    url: str = field(repr=False)
    label: str


@dataclass(frozen=True)
class Delivery:
    """The outcome of one message on one channel."""

    channel: str
    ok: bool
    error: str | None = None


def mask_url(url: str, secrets: Sequence[str] = ()) -> str:
    """Scheme and host as apprise shows them privately, each path segment as ***.

    A webhook's path often is its token (json://host/<token>), and apprise shows paths
    in clear: no segment of it is ever part of a label.
    """
    import apprise

    service = apprise.Apprise.instantiate(url)
    if service is None:
        scheme = url.split("://", 1)[0] if "://" in url else "unknown"
        return f"{scheme}://(unreadable URL)"
    return redact(hide_path(unquote(service.url(privacy=True))), *secrets)


def hide_path(label: str) -> str:
    """`scheme://host/a/b?x` as `scheme://host/***/***` (also for labels stored earlier)."""
    if "://" not in label:
        return label
    scheme, rest = label.split("://", 1)
    rest, _, suffix = rest.partition(" #")  # the duplicate marker added by channels()
    host, _, path = rest.split("?", 1)[0].partition("/")
    hidden = "/***" * len([part for part in path.split("/") if part])
    return f"{scheme}://{host}{hidden}" + (f" #{suffix}" if suffix else "")


def channels(urls: Iterable[str], secrets: Sequence[str] = ()) -> list[Channel]:
    """Channels for `urls` (duplicates dropped); labels are unique and secret-free."""
    found: list[Channel] = []
    labels: set[str] = set()
    for url in dict.fromkeys(urls):
        label = mask_url(url, secrets)
        if label in labels:
            label = f"{label} #{len(found) + 1}"
        labels.add(label)
        found.append(Channel(url, label))
    return found


class Notifier:
    """Sends messages with apprise. Never raises: a failure is returned, with a safe text."""

    def __init__(self, secrets: Sequence[str] = (), timeout: float = SEND_TIMEOUT_SECONDS) -> None:
        self.secrets = tuple(secrets)
        self.timeout = timeout

    def send(self, channel: Channel, message: Message) -> Delivery:
        import apprise

        try:
            sender = apprise.Apprise()
            if not sender.add(channel.url):
                return Delivery(channel.label, False, "apprise does not understand this URL")
            result = sender.notify(
                body=message.body,
                title=message.title,
                notify_type=message.level,
                body_format=apprise.NotifyFormat.TEXT,
                timeout=self.timeout,
            )
        except Exception as exc:  # noqa: BLE001 - a broken channel must never break the caller
            return Delivery(channel.label, False, self._safe(f"{type(exc).__name__}: {exc}"))
        if result:
            return Delivery(channel.label, True)
        problems = [e.message for e in result.logs() if e.level in ("WARNING", "ERROR")]
        text = "; ".join(dict.fromkeys(problems)) or f"apprise: {result.status.name}"
        return Delivery(channel.label, False, self._safe(text))

    def _safe(self, text: str) -> str:
        return redact(" ".join(text.split())[:500], *self.secrets)


def record(
    book: IncidentBook,
    deliveries: Iterable[tuple[int | None, str, str | None, str, Delivery]],
    now: datetime,
) -> None:
    """Store attempts: (incident_id, kind, severity, title, delivery) each."""
    rows = [
        {
            "incident_id": incident_id,
            "kind": kind,
            "severity": severity,
            "title": title,
            "channel": d.channel,
            "status": "sent" if d.ok else "failed",
            "error": d.error,
            "attempted_at": now,
        }
        for incident_id, kind, severity, title, d in deliveries
    ]
    book.record_attempts(rows)
    failures: dict[tuple[str, str, str], int] = {}
    for row in rows:
        if row["status"] == "failed":
            key = (row["kind"], row["channel"], row["error"] or "")
            failures[key] = failures.get(key, 0) + 1
    for (kind, channel, error), count in failures.items():
        retry = "" if kind in ("test", "digest") else "; retried at the next evaluation"
        incidents = f" ({count} incidents)" if count > 1 else ""
        log.warning("Alert %s%s to %s failed: %s%s", kind, incidents, channel, error, retry)
