"""Settings read once from the environment and `.env`; bad values fail with one clear sentence."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from dotenv import dotenv_values

from sync.errors import ErrorKind, SyncError

DEFAULT_DATABASE_URL = "sqlite:///data/lightspeed.db"
# Lightspeed does not document the 2.0 maximum; the client falls back to smaller sizes
# when a store rejects this one.
DEFAULT_PAGE_SIZE = 1000

_PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
T = TypeVar("T")


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the SPEC's defaults. Secrets are left out of repr."""

    lightspeed_domain_prefix: str | None = None
    lightspeed_token: str | None = field(default=None, repr=False)
    lightspeed_base_url: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    dashboard_database_url: str | None = None
    sync_interval_minutes: int = 60
    sync_page_size: int = DEFAULT_PAGE_SIZE
    alert_urls: tuple[str, ...] = field(default=(), repr=False)
    dashboard_password_hash: str | None = field(default=None, repr=False)
    dashboard_cookie_key: str | None = field(default=None, repr=False)
    supabase_url: str | None = None
    supabase_service_role_key: str | None = field(default=None, repr=False)
    log_dir: Path = Path("logs")
    http_timeout_seconds: float = 30.0
    http_max_retries: int = 6
    retry_after_max_seconds: float = 300.0
    rate_window_seconds: float = 300.0

    @property
    def api_base_url(self) -> str:
        """The API 2.0 root, from LIGHTSPEED_BASE_URL or the domain prefix."""
        if self.lightspeed_base_url:
            return self.lightspeed_base_url.rstrip("/")
        if self.lightspeed_domain_prefix:
            return f"https://{self.lightspeed_domain_prefix}.retail.lightspeed.app/api/2.0"
        raise SyncError(
            ErrorKind.CONFIG,
            "LIGHTSPEED_DOMAIN_PREFIX is not set: put your store prefix there (the 'mystore' "
            "in mystore.retail.lightspeed.app), or LIGHTSPEED_BASE_URL for the simulator.",
        )

    @property
    def token(self) -> str:
        """The bearer token, or a CONFIG error naming the variable."""
        if not self.lightspeed_token:
            raise SyncError(
                ErrorKind.CONFIG,
                "LIGHTSPEED_TOKEN is not set: create a personal token in Lightspeed "
                "(Setup > Personal tokens) and put it in .env.",
            )
        return self.lightspeed_token

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value, for masking in logs and messages."""
        values = [
            self.lightspeed_token,
            self.dashboard_cookie_key,
            self.supabase_service_role_key,
            self.dashboard_password_hash,
        ]
        return tuple(v for v in values if v)

    @property
    def reader_database_url(self) -> str:
        """The URL the dashboard reads through."""
        return self.dashboard_database_url or self.database_url


def _bad(name: str, value: str, expected: str) -> SyncError:
    return SyncError(ErrorKind.CONFIG, f"{name}={value!r} is not valid: put {expected} there.")


def _parse(name: str, raw: str, convert: Callable[[str], T], expected: str) -> T:
    try:
        return convert(raw)
    except ValueError:
        raise _bad(name, raw, expected) from None


def _positive_int(name: str, raw: str, upper: int) -> int:
    value = _parse(name, raw, int, f"a whole number from 1 to {upper}")
    if not 1 <= value <= upper:
        raise _bad(name, raw, f"a whole number from 1 to {upper}")
    return value


def _positive_float(name: str, raw: str) -> float:
    value = _parse(name, raw, float, "a positive number of seconds")
    if value <= 0:
        raise _bad(name, raw, "a positive number of seconds")
    return value


def _check_url(name: str, raw: str) -> str:
    if not re.match(r"^https?://[^/\s]+", raw):
        raise _bad(name, raw, "a URL starting with http:// or https://")
    return raw


def _check_database_url(name: str, raw: str) -> str:
    if not re.match(r"^(sqlite|postgresql|postgres)(\+\w+)?://", raw):
        raise SyncError(
            ErrorKind.CONFIG,
            f"{name} must start with sqlite:/// or postgresql:// (got a URL of another kind); "
            "e.g. sqlite:///data/lightspeed.db or postgresql://user:pass@host:5432/db.",
        )
    return raw


def load_settings(
    environ: Mapping[str, str] | None = None, env_file: str | os.PathLike[str] | None = ".env"
) -> Settings:
    """Build Settings from `.env` overlaid by the process environment (or `environ`)."""
    values: dict[str, str] = {}
    if env_file and Path(env_file).is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        raw = values.get(name)
        return raw.strip() if raw and raw.strip() else None

    kwargs: dict[str, object] = {}
    if (prefix := get("LIGHTSPEED_DOMAIN_PREFIX")) is not None:
        prefix = prefix.lower()
        if not _PREFIX_RE.match(prefix):
            raise _bad("LIGHTSPEED_DOMAIN_PREFIX", prefix, "only the store prefix, like 'mystore'")
        kwargs["lightspeed_domain_prefix"] = prefix
    kwargs["lightspeed_token"] = get("LIGHTSPEED_TOKEN")
    if (base := get("LIGHTSPEED_BASE_URL")) is not None:
        kwargs["lightspeed_base_url"] = _check_url("LIGHTSPEED_BASE_URL", base)
    if (db := get("DATABASE_URL")) is not None:
        kwargs["database_url"] = _check_database_url("DATABASE_URL", db)
    if (dash := get("DASHBOARD_DATABASE_URL")) is not None:
        kwargs["dashboard_database_url"] = _check_database_url("DASHBOARD_DATABASE_URL", dash)
    if (raw := get("SYNC_INTERVAL_MINUTES")) is not None:
        kwargs["sync_interval_minutes"] = _positive_int("SYNC_INTERVAL_MINUTES", raw, 10080)
    if (raw := get("SYNC_PAGE_SIZE")) is not None:
        kwargs["sync_page_size"] = _positive_int("SYNC_PAGE_SIZE", raw, 10000)
    if (raw := get("ALERT_URLS")) is not None:
        kwargs["alert_urls"] = tuple(raw.split())
    kwargs["dashboard_password_hash"] = get("DASHBOARD_PASSWORD_HASH")
    kwargs["dashboard_cookie_key"] = get("DASHBOARD_COOKIE_KEY")
    if (sb := get("SUPABASE_URL")) is not None:
        kwargs["supabase_url"] = _check_url("SUPABASE_URL", sb)
    kwargs["supabase_service_role_key"] = get("SUPABASE_SERVICE_ROLE_KEY")
    if (raw := get("LOG_DIR")) is not None:
        kwargs["log_dir"] = Path(raw)
    if (raw := get("LIGHTSPEED_TIMEOUT_SECONDS")) is not None:
        kwargs["http_timeout_seconds"] = _positive_float("LIGHTSPEED_TIMEOUT_SECONDS", raw)
    if (raw := get("LIGHTSPEED_MAX_RETRIES")) is not None:
        kwargs["http_max_retries"] = _positive_int("LIGHTSPEED_MAX_RETRIES", raw, 20)
    if (raw := get("LIGHTSPEED_RETRY_AFTER_MAX_SECONDS")) is not None:
        kwargs["retry_after_max_seconds"] = _positive_float(
            "LIGHTSPEED_RETRY_AFTER_MAX_SECONDS", raw
        )
    if (raw := get("LIGHTSPEED_RATE_WINDOW_SECONDS")) is not None:
        kwargs["rate_window_seconds"] = _positive_float("LIGHTSPEED_RATE_WINDOW_SECONDS", raw)
    return Settings(**kwargs)  # type: ignore[arg-type]
