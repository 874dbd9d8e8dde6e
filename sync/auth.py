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
from sync.config.users import load_users

MIN_COOKIE_KEY_LENGTH = 32
# bcrypt reads no more than this many bytes of a password.
BCRYPT_MAX_BYTES = 72

# The throttle (OWASP ASVS 2.2): wrong passwords are counted per (user, client address),
# so that nobody elsewhere can lock the CFO out. After MAX_FAILURES the pause doubles with
# every further failure, up to LONGEST_PAUSE; a right password or `python -m sync unlock`
# starts the count again, and failures older than MEMORY are forgotten.
MAX_FAILURES = 5
FIRST_PAUSE = timedelta(minutes=5)
LONGEST_PAUSE = timedelta(hours=1)
MEMORY = timedelta(hours=24)
# Per client address (every username): a sprayer of usernames is stopped too.
WINDOW = timedelta(minutes=15)
MAX_PER_ADDRESS = 20
# Per user, every address: past this many failures in WINDOW each check is slowed down,
# never refused (a distributed guesser must not be able to keep the CFO out).
USER_CEILING = 50
SLOW_CHECK_SECONDS = 3.0
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
    """The credentials dict streamlit-authenticator expects: the .env user, then the users
    of DASHBOARD_USERS_FILE (a malformed file raises one SyncError naming it)."""
    username = settings.dashboard_username.strip().lower()
    found = {
        name: {"name": name, "email": f"{name}@localhost", "password": user.password_hash}
        for name, user in load_users(settings.dashboard_users_file).items()
        if name != username
    }
    found[username] = {
        "name": settings.dashboard_username,
        "email": f"{username}@localhost",
        "password": settings.dashboard_password_hash,
    }
    return {"usernames": found}


def user_stores(settings: Settings, username: str) -> frozenset[str] | None:
    """The stores a logged-in user may see: None (every store) for the .env user, the
    stores the users file lists for another, and none for a name it no longer holds."""
    if username == settings.dashboard_username.strip().lower():
        return None
    user = load_users(settings.dashboard_users_file).get(username)
    return frozenset(user.stores) if user else frozenset()


@dataclass(frozen=True)
class Lockout:
    """A refused login (this user from this address, or this address) and when it may retry."""

    username: str
    until: datetime
    by_address: bool = False

    def message(self, local: Callable[[datetime], str], escape: Callable[[str], str] = str) -> str:
        """The sentence shown on the login screen; `local` formats the time, `escape` the
        typed username (for Markdown)."""
        if self.by_address:
            return (
                "Too many login attempts from this address: logins from it are paused until "
                f"{local(self.until)}."
            )
        return (
            "Too many wrong passwords from this address: login for this user from here is "
            f"paused until {local(self.until)}, and each further wrong password doubles the "
            "pause. Other addresses are not affected; the admin can lift it with "
            f"`python -m sync unlock {escape(self.username)}`."
        )


def pause_after(failures: int) -> timedelta:
    """How long one (user, address) waits after `failures` counted failures (0 below the limit)."""
    if failures < MAX_FAILURES:
        return timedelta(0)
    doublings = min(failures - MAX_FAILURES, 16)
    return min(FIRST_PAUSE * 2**doublings, LONGEST_PAUSE)


def lockout_for(
    username: str,
    pair_attempts: Sequence[datetime],
    client_attempts: Sequence[datetime],
    now: datetime,
) -> Lockout | None:
    """Whether one more password check of `username` from this address is allowed now.

    `pair_attempts`: the failed (or still running) checks of this user from this address
    since its last success or unlock; those older than MEMORY are ignored. Once there are
    MAX_FAILURES, the next check waits pause_after(count) after the latest one.
    `client_attempts`: the checks from this address for any user; no more than
    MAX_PER_ADDRESS happen in any WINDOW.
    """
    recent = sorted(t for t in pair_attempts if now - t < MEMORY)
    if len(recent) >= MAX_FAILURES:
        until = recent[-1] + pause_after(len(recent))
        if now < until:
            return Lockout(username, until)
    by_client = sorted(t for t in client_attempts if now - t < WINDOW)
    if len(by_client) >= MAX_PER_ADDRESS:
        return Lockout(username, by_client[len(by_client) - MAX_PER_ADDRESS] + WINDOW, True)
    return None


def slowdown(user_attempts: Sequence[datetime], now: datetime) -> float:
    """Seconds to wait before checking: the per-user ceiling slows checks, never refuses them.

    `user_attempts` are the failed (or running) checks of the user from every address
    since the last unlock.
    """
    recent = sum(1 for t in user_attempts if now - t < WINDOW)
    return SLOW_CHECK_SECONDS if recent >= USER_CEILING else 0.0


def throttle_key(username: str) -> str:
    """How a submitted username is counted: case and spaces ignored, length capped."""
    return username.strip().lower()[:64]
