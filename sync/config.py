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
    database_url_set: bool = False  # DATABASE_URL given (it wins over SUPABASE_URL)
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
    # Scheduler
    sync_interval_overrides: tuple[tuple[str, int], ...] = ()
    nightly_full_time: str | None = "02:00"
    nightly_full_entities: tuple[str, ...] = ("inventory",)
    scheduler_poll_seconds: float = 2.0
    heartbeat_seconds: float = 30.0
    lock_ttl_seconds: float = 300.0
    sync_on_start: bool = True
    retention_months: int = 13
    # Health and dashboard
    health_green_hours: float = 2.0
    health_yellow_hours: float = 12.0
    health_overrides: tuple[tuple[str, float, float], ...] = ()
    dashboard_username: str = "cfo"
    store_name: str | None = None
    # Alerts: per-severity routes (empty tuple = that severity is not sent), rule limits
    alert_routes: tuple[tuple[str, tuple[str, ...]], ...] = field(default=(), repr=False)
    alert_secrets: tuple[str, ...] = field(default=(), repr=False)
    alert_cooldown_minutes: int = 60
    alert_digest_time: str | None = None
    alert_consecutive_failures: int = 3
    alert_slow_run_minutes: float = 30.0
    alert_success_rate_percent: float = 95.0
    alert_trading_hours: tuple[str, str] | None = None
    alert_disabled: tuple[str, ...] = ()
    alert_overrides: tuple[tuple[str, str, float], ...] = ()

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
    def display_name(self) -> str:
        """The store's name for screens: STORE_NAME, else the domain prefix."""
        return self.store_name or self.lightspeed_domain_prefix or "Lightspeed store"

    def interval_minutes(self, entity: str) -> int:
        """The incremental period of `entity` (SYNC_INTERVAL_MINUTES_<ENTITY> overrides)."""
        return dict(self.sync_interval_overrides).get(entity, self.sync_interval_minutes)

    def health_hours(self, entity: str) -> tuple[float, float]:
        """(green, yellow) thresholds in hours for `entity`."""
        for name, green, yellow in self.health_overrides:
            if name == entity:
                return green, yellow
        return self.health_green_hours, self.health_yellow_hours

    def alert_urls_for(self, severity: str) -> tuple[str, ...]:
        """The apprise URLs a message of `severity` goes to (ALERT_URLS_<SEVERITY>)."""
        return dict(self.alert_routes).get(severity, self.alert_urls)

    def alert_limit(self, name: str, entity: str) -> float:
        """A rule limit for `entity`: ALERT_<NAME>_<ENTITY> if set, else ALERT_<NAME>."""
        for key, who, value in self.alert_overrides:
            if key == name and who == entity:
                return value
        return float(getattr(self, f"alert_{name}"))

    def alert_enabled(self, rule: str, entity: str) -> bool:
        """False when ALERT_DISABLED lists `rule` or `rule:entity`."""
        return rule not in self.alert_disabled and f"{rule}:{entity}" not in self.alert_disabled

    @property
    def all_alert_urls(self) -> tuple[str, ...]:
        """Every configured channel once, in configuration order."""
        urls = [*self.alert_urls, *(u for _, route in self.alert_routes for u in route)]
        return tuple(dict.fromkeys(urls))

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every secret value, for masking in logs and messages."""
        values = [
            self.lightspeed_token,
            self.dashboard_cookie_key,
            self.supabase_service_role_key,
            self.dashboard_password_hash,
            *self.alert_secrets,
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
        kwargs["database_url_set"] = True
    if (dash := get("DASHBOARD_DATABASE_URL")) is not None:
        kwargs["dashboard_database_url"] = _check_database_url("DASHBOARD_DATABASE_URL", dash)
    if (raw := get("SYNC_INTERVAL_MINUTES")) is not None:
        kwargs["sync_interval_minutes"] = _positive_int("SYNC_INTERVAL_MINUTES", raw, 10080)
    if (raw := get("SYNC_PAGE_SIZE")) is not None:
        kwargs["sync_page_size"] = _positive_int("SYNC_PAGE_SIZE", raw, 10000)
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
    kwargs.update(_scheduler_settings(get))
    kwargs.update(_health_settings(get))
    kwargs.update(_alert_settings(get))
    if (user := get("DASHBOARD_USERNAME")) is not None:
        kwargs["dashboard_username"] = user
    kwargs["store_name"] = get("STORE_NAME")
    return Settings(**kwargs)  # type: ignore[arg-type]


SYNCED_ENTITIES = ("customers", "outlets", "products", "sales", "inventory")
HEALTH_ENTITIES = (*SYNCED_ENTITIES, "sale_line_items")
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")


def _scheduler_settings(get: Callable[[str], str | None]) -> dict[str, object]:
    out: dict[str, object] = {}
    overrides = []
    for entity in SYNCED_ENTITIES:
        name = f"SYNC_INTERVAL_MINUTES_{entity.upper()}"
        if (raw := get(name)) is not None:
            overrides.append((entity, _positive_int(name, raw, 10080)))
    out["sync_interval_overrides"] = tuple(overrides)
    if (raw := get("NIGHTLY_FULL_TIME")) is not None:
        if raw.lower() in ("off", "none", "disabled"):
            out["nightly_full_time"] = None
        elif not _TIME_RE.match(raw):
            raise _bad("NIGHTLY_FULL_TIME", raw, "a local time like 02:00, or off")
        else:
            out["nightly_full_time"] = raw.zfill(5)
    if (raw := get("NIGHTLY_FULL_ENTITIES")) is not None:
        names = tuple(n.strip() for n in raw.replace(",", " ").split() if n.strip())
        unknown = [n for n in names if n not in SYNCED_ENTITIES]
        if unknown:
            raise _bad("NIGHTLY_FULL_ENTITIES", raw, f"names from {', '.join(SYNCED_ENTITIES)}")
        out["nightly_full_entities"] = names
    if (raw := get("RETENTION_MONTHS")) is not None:
        out["retention_months"] = _positive_int("RETENTION_MONTHS", raw, 1200)
    if (raw := get("SYNC_ON_START")) is not None:
        if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
            raise _bad("SYNC_ON_START", raw, "true or false")
        out["sync_on_start"] = raw.lower() in ("true", "1", "yes")
    for name, key in (
        ("SCHEDULER_POLL_SECONDS", "scheduler_poll_seconds"),
        ("HEARTBEAT_SECONDS", "heartbeat_seconds"),
        ("LOCK_TTL_SECONDS", "lock_ttl_seconds"),
    ):
        if (raw := get(name)) is not None:
            out[key] = _positive_float(name, raw)
    return out


def _health_settings(get: Callable[[str], str | None]) -> dict[str, object]:
    out: dict[str, object] = {}
    green = (
        _positive_float("HEALTH_GREEN_HOURS", raw) if (raw := get("HEALTH_GREEN_HOURS")) else 2.0
    )
    yellow = (
        _positive_float("HEALTH_YELLOW_HOURS", raw) if (raw := get("HEALTH_YELLOW_HOURS")) else 12.0
    )
    if yellow < green:
        raise _bad(
            "HEALTH_YELLOW_HOURS",
            str(yellow),
            f"a number of hours ≥ HEALTH_GREEN_HOURS ({green:g})",
        )
    out["health_green_hours"], out["health_yellow_hours"] = green, yellow
    overrides = []
    for entity in HEALTH_ENTITIES:
        g_name, y_name = (
            f"HEALTH_GREEN_HOURS_{entity.upper()}",
            f"HEALTH_YELLOW_HOURS_{entity.upper()}",
        )
        g_raw, y_raw = get(g_name), get(y_name)
        if g_raw is None and y_raw is None:
            continue
        g = _positive_float(g_name, g_raw) if g_raw else green
        y = _positive_float(y_name, y_raw) if y_raw else max(yellow, g)
        if y < g:
            raise _bad(y_name, y_raw or "", f"a number of hours ≥ {g_name} ({g:g})")
        overrides.append((entity, g, y))
    out["health_overrides"] = tuple(overrides)
    return out


ALERT_SEVERITIES = ("warning", "error", "critical")
ALERT_RULES = (
    "sync_failed",
    "stale",
    "scheduler_down",
    "slow_run",
    "empty_success",
    "success_rate",
    "reconciliation_mismatch",
)
# name -> (parser upper bound, expected text); per-entity overrides: ALERT_<NAME>_<ENTITY>
_ALERT_LIMITS = {
    "consecutive_failures": "a whole number of runs from 1 to 1000",
    "slow_run_minutes": "a positive number of minutes",
    "success_rate_percent": "a percentage from 1 to 100",
}
_HOURS_RE = re.compile(r"^(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$")


def alert_url_secrets(url: str) -> tuple[str, ...] | None:
    """The secret parts of an apprise URL, or None when apprise does not understand it.

    Apprise knows which parts of each service's URL are secret: whatever its privacy
    rendering hides (a password, a Slack token) is returned, so logs can mask it.
    """
    from urllib.parse import unquote, urlsplit

    import apprise

    service = apprise.Apprise.instantiate(url)
    if service is None:
        return None
    shown = unquote(service.url(privacy=True))
    found = []
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    if password:
        found += [password, unquote(password)]
    for part in re.findall(r"[^/:@?&=#\s]+", unquote(url)):
        # Random-looking parts only: masking a plain word would garble every log line.
        token_like = len(part) >= 12 or (len(part) >= 6 and re.search(r"\d", part))
        if token_like and part not in shown:
            found.append(part)
    return tuple(dict.fromkeys(found))


def _alert_urls(name: str, raw: str) -> tuple[tuple[str, ...], list[str]]:
    if raw.lower() in ("off", "none"):
        return (), []
    urls = tuple(raw.split())
    secrets: list[str] = []
    for number, url in enumerate(urls, 1):
        parts = alert_url_secrets(url)
        if parts is None:
            scheme = url.split("://", 1)[0] if "://" in url else "?"
            raise SyncError(
                ErrorKind.CONFIG,
                f"{name} entry #{number} ({scheme}://...) is not a notification URL apprise "
                "understands: use e.g. mailto://user:pass@smtp.example.com?to=you@example.com, "
                "slack://TokenA/TokenB/TokenC or json://host/path (see .env.example).",
            )
        secrets += parts
    return urls, secrets


def _alert_settings(get: Callable[[str], str | None]) -> dict[str, object]:
    out: dict[str, object] = {}
    secrets: list[str] = []
    if (raw := get("ALERT_URLS")) is not None:
        out["alert_urls"], found = _alert_urls("ALERT_URLS", raw)
        secrets += found
    routes = []
    for severity in ALERT_SEVERITIES:
        name = f"ALERT_URLS_{severity.upper()}"
        if (raw := get(name)) is not None:
            urls, found = _alert_urls(name, raw)
            routes.append((severity, urls))
            secrets += found
    out["alert_routes"] = tuple(routes)
    out["alert_secrets"] = tuple(dict.fromkeys(secrets))
    if (raw := get("ALERT_COOLDOWN_MINUTES")) is not None:
        out["alert_cooldown_minutes"] = _positive_int("ALERT_COOLDOWN_MINUTES", raw, 10080)
    if (raw := get("ALERT_DIGEST_TIME")) is not None and raw.lower() not in ("off", "none"):
        if not _TIME_RE.match(raw):
            raise _bad("ALERT_DIGEST_TIME", raw, "a local time like 08:00, or off")
        out["alert_digest_time"] = raw.zfill(5)
    if (raw := get("ALERT_TRADING_HOURS")) is not None and raw.lower() not in ("off", "none"):
        match = _HOURS_RE.match(raw.replace(" ", ""))
        if not match or not all(_TIME_RE.match(t) for t in match.groups()):
            raise _bad("ALERT_TRADING_HOURS", raw, "local opening hours like 09:00-21:00, or off")
        out["alert_trading_hours"] = (match.group(1).zfill(5), match.group(2).zfill(5))
    if (raw := get("ALERT_DISABLED")) is not None:
        names = tuple(n for n in raw.replace(",", " ").split() if n)
        for item in names:
            rule, _, entity = item.partition(":")
            if rule not in ALERT_RULES or (entity and entity not in SYNCED_ENTITIES):
                raise _bad(
                    "ALERT_DISABLED",
                    raw,
                    f"rule names from {', '.join(ALERT_RULES)}, optionally as rule:entity",
                )
        out["alert_disabled"] = names
    overrides = []
    for key, expected in _ALERT_LIMITS.items():
        for suffix in ("", *(f"_{e.upper()}" for e in SYNCED_ENTITIES)):
            name = f"ALERT_{key.upper()}{suffix}"
            if (raw := get(name)) is None:
                continue
            value = _parse(name, raw, float, expected)
            upper = 100 if key == "success_rate_percent" else 1000 if "failures" in key else 1e6
            if not (0 < value <= upper) or ("failures" in key and value != int(value)):
                raise _bad(name, raw, expected)
            if suffix:
                overrides.append((key, suffix[1:].lower(), value))
            else:
                out[f"alert_{key}"] = int(value) if "failures" in key else value
    out["alert_overrides"] = tuple(overrides)
    return out
