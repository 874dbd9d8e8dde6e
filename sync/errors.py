"""One error type for every failure, classified into the kinds the SPEC names."""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = ["SEVERITY_RANK", "ErrorKind", "Severity", "SyncError", "redact"]


class ErrorKind(StrEnum):
    """What went wrong, from the user's point of view."""

    NETWORK = "NETWORK"
    TIMEOUT = "TIMEOUT"
    RATE_LIMIT = "RATE_LIMIT"
    AUTH = "AUTH"
    API = "API"
    DATABASE = "DATABASE"
    VALIDATION = "VALIDATION"
    CONFIG = "CONFIG"


class Severity(StrEnum):
    """How urgently a human must act."""

    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"


#: Higher is more urgent (an escalation is a rise in rank).
SEVERITY_RANK: dict[Severity, int] = {Severity.WARNING: 1, Severity.ERROR: 2, Severity.CRITICAL: 3}


# Per kind: (severity, retryable, what the user should do next).
_KIND_INFO: dict[ErrorKind, tuple[Severity, bool, str]] = {
    ErrorKind.NETWORK: (
        Severity.WARNING,
        True,
        "Check this host's internet connection and DNS; the next run retries automatically.",
    ),
    ErrorKind.TIMEOUT: (
        Severity.WARNING,
        True,
        "Lightspeed answered too slowly; the next run retries. If it persists, lower "
        "SYNC_PAGE_SIZE.",
    ),
    ErrorKind.RATE_LIMIT: (
        Severity.WARNING,
        True,
        "The store's API quota is used up (other apps share it); the next run resumes "
        "where this one stopped.",
    ),
    ErrorKind.AUTH: (
        Severity.CRITICAL,
        False,
        "The Lightspeed token was refused: create a new personal token with read scopes and "
        "put it in LIGHTSPEED_TOKEN (a store added with `store add`: add it again with the new "
        "token), or re-authorise the app with `python -m sync connect`.",
    ),
    ErrorKind.API: (
        Severity.ERROR,
        True,
        "Lightspeed returned an unexpected answer; check status.lightspeedhq.com and retry later.",
    ),
    ErrorKind.DATABASE: (
        Severity.CRITICAL,
        True,
        "The database could not be reached or refused a write: check DATABASE_URL, that the "
        "server is running, and disk space. Nothing half-written was kept.",
    ),
    ErrorKind.VALIDATION: (
        Severity.WARNING,
        False,
        "Some records from Lightspeed did not match the expected shape; they are kept in "
        "sync_rejects with the reason. The rest was synced.",
    ),
    ErrorKind.CONFIG: (
        Severity.CRITICAL,
        False,
        "Fix the named setting in .env (see .env.example) and run again.",
    ),
}


class SyncError(Exception):
    """A classified failure: `kind`, `severity`, `retryable` and a recovery suggestion.

    The message must already be safe to show: callers pass text through `redact` when it
    may contain a URL or a server reply.
    """

    def __init__(
        self,
        kind: ErrorKind,
        message: str,
        *,
        recovery: str | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.kind = ErrorKind(kind)
        self.message = message
        severity, retryable, default_recovery = _KIND_INFO[self.kind]
        self.severity = severity
        self.retryable = retryable
        self.recovery = recovery or default_recovery
        self.status = status

    def __str__(self) -> str:
        return f"{self.kind.value}: {self.message}"

    def details(self) -> str:
        """The text stored in `sync_log.error_details`: message plus what to do."""
        return f"{self.message} — {self.recovery}"


_NAMES = r"access_token|refresh_token|client_secret|token|apikey|api_key|key|password|secret"
# (pattern, replacement): the name stays readable, the value becomes ***.
_SECRET_PATTERNS = [
    (re.compile(r"(?i)(bearer\s+)[^\s'\"]+"), r"\1***"),
    # "Authorization: Token abc123": only a value that looks like one (a digit, or long),
    # so that "token expired" stays readable.
    (re.compile(r"(?i)(\btoken\s+)(?:(?=[^\s'\"]*\d)[^\s'\",;]{6,}|[^\s'\",;]{20,})"), r"\1***"),
    # JSON: "apikey": "...", "password": "..."
    (re.compile(rf'(?i)("(?:{_NAMES})"\s*:\s*")(?:[^"\\]|\\.)*(")'), r"\1***\2"),
    # password='...', token = "..."
    (re.compile(rf"(?i)((?:{_NAMES})\s*=\s*)(['\"])(?:(?!\2).)*\2"), r"\1\2***\2"),
    (re.compile(rf"(?i)((?:{_NAMES})=)[^&\s'\"]+"), r"\1***"),
    (re.compile(r"(?i)(://[^:/@\s]+:)[^@\s]+(@)"), r"\1***\2"),
]


def redact(text: str, *secrets: str | None) -> str:
    """Return `text` with the given secrets and anything token-shaped masked."""
    for secret in sorted((s for s in secrets if s and len(s) >= 4), key=len, reverse=True):
        text = text.replace(secret, "***")
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text
