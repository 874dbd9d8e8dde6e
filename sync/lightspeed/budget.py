"""Where the rate budget lives: one state for every process that calls the same Lightspeed store.

Lightspeed's quota is per store and per application, so a `run`, the scheduler and a
`reconcile` started next to them draw from one budget. The state is a small JSON file under
the system temporary directory, named after a hash of the API base URL and changed only under
an exclusive `flock`: every process on this host sees the claims of the others, whatever
database the copy lives in. Processes on other hosts do not share it; for them the 429 and
its Retry-After remain the safety net. When the file cannot be used, the budget is kept in
this process alone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
STATE_DIR_NAME = "lightspeed-sync"


@dataclass
class BudgetState:
    """What every caller knows of the current rate-limit window."""

    limit: int | None = None  # X-RateLimit-Limit, once seen
    remaining: int | None = None  # requests still allowed in this window (None: unknown)
    window_end: float | None = None  # epoch s: the window is surely over by then
    anchored: bool = False  # window_end comes from an answer, not from a guess
    generation: int = 0  # bumped whenever a window is over
    claimed: int = 0  # requests claimed in this generation
    first_claim: float | None = None  # epoch s of the generation's first claim
    late: int = 0  # claims made when the server's window may already have ended
    late_since: float | None = None  # epoch s of the first of those


class BudgetStore(Protocol):
    """Runs a change of the budget state atomically (against every other caller)."""

    def transact(self, change: Callable[[BudgetState], T]) -> T:
        """Apply `change` to the current state, keep the changed state, return its result."""
        ...


class LocalBudget:
    """The budget of this process only (threads share it)."""

    def __init__(self) -> None:
        self._state = BudgetState()
        self._lock = threading.Lock()

    def transact(self, change: Callable[[BudgetState], T]) -> T:
        """Apply `change` under a thread lock."""
        with self._lock:
            return change(self._state)


class FileBudget:
    """The budget in a JSON file, changed under an exclusive flock (all processes of a host)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def transact(self, change: Callable[[BudgetState], T]) -> T:
        """Lock the file, read the state, apply `change`, write it back."""
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        with os.fdopen(fd, "r+", encoding="utf-8") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            state = _parse(handle.read())
            result = change(state)
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(dataclasses.asdict(state)))
            handle.flush()
            return result  # closing the file releases the lock


def _parse(text: str) -> BudgetState:
    """The stored state; a missing or damaged file (a writer killed mid-write) starts afresh."""
    try:
        data: Any = json.loads(text) if text.strip() else {}
        known = {f.name for f in dataclasses.fields(BudgetState)}
        return BudgetState(**{k: v for k, v in data.items() if k in known})
    except (ValueError, TypeError, AttributeError):
        return BudgetState()


def budget_path(base_url: str, directory: Path | None = None) -> Path:
    """The state file of the store at `base_url` (the URL itself is not written anywhere)."""
    digest = hashlib.sha256(base_url.rstrip("/").encode()).hexdigest()[:20]
    folder = directory or Path(tempfile.gettempdir()) / STATE_DIR_NAME
    return folder / f"rate-{digest}.json"


def shared_budget(base_url: str, directory: Path | None = None) -> BudgetStore:
    """The budget shared by every process of this host that reads `base_url`."""
    path = budget_path(base_url, directory)
    try:
        import fcntl  # noqa: F401 - POSIX only; elsewhere the budget stays in-process

        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if path.parent.stat().st_uid != os.getuid():
            # Someone else's folder in a shared /tmp: its files could throttle us.
            raise PermissionError(f"{path.parent} belongs to another user")
        budget = FileBudget(path)
        budget.transact(lambda state: None)
    except (ImportError, OSError) as exc:
        log.debug("Rate budget kept in this process only (%s).", type(exc).__name__)
        return LocalBudget()
    return budget


def forget_budget(base_url: str, directory: Path | None = None) -> None:
    """Remove the shared state of `base_url` (tests and benchmarks start from nothing)."""
    with contextlib.suppress(FileNotFoundError):
        budget_path(base_url, directory).unlink()
