"""Dashboard login rules: the setup check, the bcrypt check and the throttle's limits.

streamlit-authenticator draws the form and keeps the login cookie; it has no real
throttle (its `max_login_attempts` never expires). Attempts are kept in the database
(sync.storage.sql.login_attempts takes a slot before each check); the limits are here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import bcrypt

from sync.config import Settings

MAX_FAILURES = 5
MIN_COOKIE_KEY_LENGTH = 32
# bcrypt reads no more than this many bytes of a password.
BCRYPT_MAX_BYTES = 72
WINDOW = timedelta(minutes=15)
# Per client address (every username): a sprayer of usernames is stopped too.
MAX_PER_ADDRESS = 20
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
    if len(settings.dashboard_cookie_key) < MIN_COOKIE_KEY_LENGTH:
        return (
            f"DASHBOARD_COOKIE_KEY is too short to protect the login cookie (at least "
            f"{MIN_COOKIE_KEY_LENGTH} characters): run {command} (it writes a strong one), "
            "then reload this page."
        )
    return None


def password_problem(password: str) -> str | None:
    """One sentence when `password` cannot be the dashboard password, else None."""
    if len(password) < 10:
        return "Use at least 10 characters; nothing was changed."
    size = len(password.encode())
    if size > BCRYPT_MAX_BYTES:
        return (
            f"That passphrase is {size} bytes long and bcrypt uses at most "
            f"{BCRYPT_MAX_BYTES}: choose a shorter one (accented letters and symbols count "
            "as 2-4 bytes); nothing was changed."
        )
    return None


def credentials(settings: Settings) -> dict[str, dict]:
    """The single-user credentials dict streamlit-authenticator expects."""
    username = settings.dashboard_username.strip().lower()
    return {
        "usernames": {
            username: {
                "name": settings.dashboard_username,
                "email": f"{username}@localhost",
                "password": settings.dashboard_password_hash,
            }
        }
    }


@dataclass(frozen=True)
class Lockout:
    """A refused login (this user, or this client address) and when it may try again."""

    username: str
    until: datetime
    by_address: bool = False

    def message(self, local: Callable[[datetime], str]) -> str:
        """The sentence shown on the login screen; `local` formats the time."""
        if self.by_address:
            return (
                "Too many login attempts from this address: logins from it are paused until "
                f"{local(self.until)}."
            )
        return (
            f"Too many wrong passwords: login for this user is paused until {local(self.until)}. "
            "Wait until then; the pause holds for every browser and across restarts."
        )


def lockout_for(
    username: str,
    user_attempts: Sequence[datetime],
    client_attempts: Sequence[datetime],
    now: datetime,
) -> Lockout | None:
    """Whether one more password check is allowed now.

    `*_attempts` are the checks inside the window (failed or still running) of this user
    and of this client address. No more than MAX_FAILURES checks per user (and
    MAX_PER_ADDRESS per address) ever happen in any WINDOW; a refusal lasts until the
    oldest counted attempt leaves the window.
    """
    recent = sorted(t for t in user_attempts if now - t < WINDOW)
    if len(recent) >= MAX_FAILURES:
        return Lockout(username, recent[len(recent) - MAX_FAILURES] + WINDOW)
    by_client = sorted(t for t in client_attempts if now - t < WINDOW)
    if len(by_client) >= MAX_PER_ADDRESS:
        return Lockout(username, by_client[len(by_client) - MAX_PER_ADDRESS] + WINDOW, True)
    return None


def throttle_key(username: str) -> str:
    """How a submitted username is counted: case and spaces ignored, length capped."""
    return username.strip().lower()[:64]
