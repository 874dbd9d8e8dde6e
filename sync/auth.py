"""Dashboard login rules: the setup check, the bcrypt check and a time-windowed throttle.

streamlit-authenticator draws the form and keeps the login cookie; it has no real
throttle (its `max_login_attempts` never expires), so failures are counted here, per
username, in one store shared by every browser session of the process.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import bcrypt

from sync.config import Settings

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
_BCRYPT_RE = re.compile(r"^\$2[aby]?\$\d{2}\$[./A-Za-z0-9]{53}$")


def is_bcrypt_hash(value: str | None) -> bool:
    """True for a well-formed bcrypt hash ($2b$12$...)."""
    return bool(value and _BCRYPT_RE.match(value))


def check_password(password: str, hashed: str | None) -> bool:
    """True when `password` matches the bcrypt `hashed`; False for anything malformed."""
    if not password or not is_bcrypt_hash(hashed):
        return False
    try:
        return bcrypt.checkpw(password.encode(), str(hashed).encode())
    except ValueError:
        return False


def setup_problem(settings: Settings) -> str | None:
    """One sentence telling the admin what to do before anyone can log in, or None."""
    command = "`python -m sync set-password`"
    if not settings.dashboard_password_hash:
        return (
            f"No dashboard password is set yet: on the server run {command} (it writes "
            "DASHBOARD_PASSWORD_HASH and DASHBOARD_COOKIE_KEY to .env), then reload this page."
        )
    if not is_bcrypt_hash(settings.dashboard_password_hash):
        return (
            "DASHBOARD_PASSWORD_HASH is not a bcrypt hash: run "
            f"{command} again to replace it, then reload this page."
        )
    if not settings.dashboard_cookie_key:
        return (
            "DASHBOARD_COOKIE_KEY is not set: put a long random string there "
            f"(or run {command}, which creates one), then reload this page."
        )
    return None


def credentials(settings: Settings, *, failed_attempts: int = 0) -> dict[str, dict]:
    """The single-user credentials dict streamlit-authenticator expects."""
    username = settings.dashboard_username.strip().lower()
    return {
        "usernames": {
            username: {
                "name": settings.dashboard_username,
                "email": f"{username}@localhost",
                "password": settings.dashboard_password_hash,
                "failed_login_attempts": failed_attempts,
            }
        }
    }


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Lockout:
    """A refused username and when it may try again."""

    username: str
    until: datetime

    def message(self, local: Callable[[datetime], str]) -> str:
        """The sentence shown on the login screen; `local` formats the time."""
        return (
            f"Too many wrong passwords: login for this user is paused until {local(self.until)}. "
            "Wait, or ask the admin to restart the dashboard."
        )


class LoginThrottle:
    """After `max_failures` failures within `window`, refuse a username for `lockout`.

    Thread-safe: Streamlit runs each browser session in its own thread.
    """

    def __init__(
        self,
        *,
        max_failures: int = MAX_FAILURES,
        window: timedelta = WINDOW,
        lockout: timedelta = LOCKOUT,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.max_failures = max_failures
        self.window = window
        self.lockout = lockout
        self.clock = clock
        self._failures: dict[str, deque[datetime]] = {}
        self._locked_until: dict[str, datetime] = {}
        self._lock = threading.Lock()

    @staticmethod
    def _key(username: str) -> str:
        return username.strip().lower()

    def locked(self, username: str) -> Lockout | None:
        """The active lockout of `username`, if any."""
        key = self._key(username)
        with self._lock:
            until = self._locked_until.get(key)
            if until is None:
                return None
            if self.clock() >= until:
                del self._locked_until[key]
                self._failures.pop(key, None)
                return None
            return Lockout(key, until)

    def failures(self, username: str) -> int:
        """Failures of `username` inside the current window."""
        key = self._key(username)
        with self._lock:
            return len(self._prune(key, self.clock()))

    def record_failure(self, username: str) -> Lockout | None:
        """Count one wrong password; returns the lockout it triggered, if any."""
        key = self._key(username)
        now = self.clock()
        with self._lock:
            recent = self._prune(key, now)
            recent.append(now)
            if len(recent) >= self.max_failures:
                until = now + self.lockout
                self._locked_until[key] = until
                recent.clear()
                return Lockout(key, until)
        return None

    def record_success(self, username: str) -> None:
        """A correct password clears the count."""
        key = self._key(username)
        with self._lock:
            self._failures.pop(key, None)
            self._locked_until.pop(key, None)

    def reset(self) -> None:
        """Forget everything (tests, or an admin restart)."""
        with self._lock:
            self._failures.clear()
            self._locked_until.clear()

    def _prune(self, key: str, now: datetime) -> deque[datetime]:
        recent = self._failures.setdefault(key, deque())
        while recent and now - recent[0] >= self.window:
            recent.popleft()
        return recent
