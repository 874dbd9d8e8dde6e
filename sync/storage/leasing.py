"""The rules of entity leases both stores share: who holds one, and when a lease is dead.

A lease is a `sync_locks` row with an expiry, renewed after every page. A holder that
dies leaves a lease that is recovered at once when it ran on this host (its pid is
gone), otherwise when it expires. The SQL and REST stores apply these rules to rows.
"""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime

HOST = socket.gethostname()
# One identity per process: a lease taken by this process is recognised as its own.
PROCESS_HOLDER = f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"

INTERRUPTED_DETAILS = (
    "The process running this sync stopped (killed, crashed or shut down) before it "
    "finished. Every committed page is kept; the next run resumes from there."
)


def pid_alive(pid: int) -> bool:
    """True if a process with `pid` exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class LeaseHolder:
    """Who holds a lease, for messages ('held by host pid 123 since ...')."""

    holder: str
    host: str
    pid: int
    acquired_at: datetime
    expires_at: datetime

    def describe(self) -> str:
        """'host pid 123 since 10:04:05 UTC'."""
        return f"{self.host} pid {self.pid} since {self.acquired_at:%H:%M:%S} UTC"


def lease_is_dead(row: LeaseHolder, now: datetime) -> bool:
    """True when the lease expired, or its holder ran on this host and is gone."""
    if row.expires_at <= now:
        return True
    return row.host == HOST and not pid_alive(row.pid)


def lease_entity(entity: str) -> str:
    """The entity whose lease covers a run of `entity` (line items run under sales)."""
    return "sales" if entity == "sale_line_items" else entity
