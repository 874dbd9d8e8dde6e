"""The `Settings` value object: every field with its type and default, secrets out of repr."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import unquote, urlsplit

from sync.errors import ErrorKind, Severity, SyncError, redact
from sync.runs import ENTITY_NAMES, SYNCED_ENTITIES, Rule

DEFAULT_DATABASE_URL = "sqlite:///data/lightspeed.db"
# Lightspeed does not document the 2.0 maximum; the client falls back to smaller sizes
# when a store rejects this one.
DEFAULT_PAGE_SIZE = 1000

HEALTH_ENTITIES = ENTITY_NAMES
ALERT_SEVERITIES: tuple[str, ...] = tuple(Severity)
ALERT_RULES: tuple[str, ...] = tuple(Rule)
# LIGHTSPEED_BASE_URL may hold this placeholder: the store's domain prefix goes there.
PREFIX_PLACEHOLDER = "{prefix}"
# The read scope each synced entity needs (Lightspeed's `<resource>:read`), in sync order.
SYNC_SCOPES = tuple(f"{entity}:read" for entity in SYNCED_ENTITIES)


#: The store key of rows synced without a configured LIGHTSPEED_DOMAIN_PREFIX.
DEFAULT_STORE = "default"


@dataclass(frozen=True)
class Settings:
    """Everything configurable, with the SPEC's defaults. Secrets are left out of repr.

    Which variable fills which field, and how it is parsed, is declared in
    `sync.config.table`; fields without a variable there are derived by the loader.
    """

    lightspeed_domain_prefix: str | None = None
    lightspeed_token: str | None = field(default=None, repr=False)
    lightspeed_base_url: str | None = None
    lightspeed_client_id: str | None = None
    lightspeed_client_secret: str | None = field(default=None, repr=False)
    lightspeed_redirect_uri: str | None = None
    lightspeed_refresh_token: str | None = field(default=None, repr=False)
    lightspeed_token_url: str | None = None
    lightspeed_authorize_url: str = "https://secure.retail.lightspeed.app/connect"
    lightspeed_scopes: tuple[str, ...] = SYNC_SCOPES
    database_url: str = DEFAULT_DATABASE_URL
    database_url_set: bool = False  # DATABASE_URL given (it wins over SUPABASE_URL)
    # A store reached with what `store add` or `connect --store` kept in the database, not
    # with the .env credentials (sync.engine.connection.store_settings sets it).
    added_store: bool = False
    dashboard_database_url: str | None = None
    api_database_url: str | None = None
    api_docs: bool = False
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
    sync_max_parallel_stores: int = 4
    heartbeat_seconds: float = 30.0
    lock_ttl_seconds: float = 300.0
    sync_on_start: bool = True
    retention_months: int = 13
    # Health and dashboard
    health_green_hours: float = 2.0
    health_yellow_hours: float = 12.0
    health_overrides: tuple[tuple[str, float, float], ...] = ()
    freshness_sla_hours: float = 2.0
    freshness_sla_overrides: tuple[tuple[str, float], ...] = ()
    dashboard_username: str = "cfo"
    dashboard_users_file: Path = Path("dashboard-users.toml")
    dashboard_cookie_days: float = 1.0
    dashboard_address: str = "127.0.0.1"
    store_name: str | None = None
    store_time_zone: str | None = None  # IANA name; None: the zone most outlets share
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
    alert_memory_mb: float = 512.0

    def __repr__(self) -> str:
        # Secret fields are left out; a password inside a database URL is masked.
        shown = (f"{f.name}={redact(repr(getattr(self, f.name)))}" for f in fields(self) if f.repr)
        return f"Settings({', '.join(shown)})"

    @property
    def api_base_url(self) -> str:
        """The API 2.0 root, from LIGHTSPEED_BASE_URL (its {prefix} filled in) or the prefix."""
        if self.lightspeed_base_url:
            return expand_base_url(self.lightspeed_base_url, self.lightspeed_domain_prefix)
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
                "(Setup > Personal tokens) and put it in .env, or connect as an app: set "
                "LIGHTSPEED_CLIENT_ID and LIGHTSPEED_CLIENT_SECRET and run "
                "`python -m sync connect`.",
            )
        return self.lightspeed_token

    @property
    def uses_app(self) -> bool:
        """True when the store is reached as an OAuth app (no personal token, app credentials)."""
        return not self.lightspeed_token and bool(
            self.lightspeed_client_id and self.lightspeed_client_secret
        )

    @property
    def token_url(self) -> str:
        """The OAuth token endpoint: LIGHTSPEED_TOKEN_URL, else next to the API root.

        `.../api/2.0` becomes `.../api/1.0/token` (so a simulator's `/{prefix}/api/2.0` keeps
        its store); any other root gives its origin + /api/1.0/token.
        """
        if self.lightspeed_token_url:
            return self.lightspeed_token_url
        base = self.api_base_url
        if base.endswith("/api/2.0"):
            return base.removesuffix("/api/2.0") + "/api/1.0/token"
        scheme, _, rest = base.partition("://")
        return f"{scheme}://{rest.split('/', 1)[0]}/api/1.0/token"

    @property
    def store_prefix(self) -> str:
        """The key of this store's rows (their `store` column): LIGHTSPEED_DOMAIN_PREFIX, else
        DEFAULT_STORE (a simulator or a LIGHTSPEED_BASE_URL without a prefix)."""
        return self.lightspeed_domain_prefix or DEFAULT_STORE

    @property
    def new_token_step(self) -> str:
        """Where this store's new personal token goes (the end of a "create a new token"
        instruction)."""
        if self.added_store:
            return f"keep it with `python -m sync store add {self.store_prefix} --token-stdin`"
        return "put it in LIGHTSPEED_TOKEN"

    @property
    def connect_command(self) -> str:
        """The command that authorises the app for this store (again)."""
        if self.added_store:
            return f"python -m sync connect --store {self.store_prefix}"
        return "python -m sync connect"

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

    def freshness_sla_hours_for(self, entity: str) -> float:
        """The freshness SLA of `entity` in hours (FRESHNESS_SLA_HOURS_<ENTITY> overrides)."""
        return dict(self.freshness_sla_overrides).get(entity, self.freshness_sla_hours)

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
            self.lightspeed_client_secret,
            self.lightspeed_refresh_token,
            self.dashboard_cookie_key,
            self.supabase_service_role_key,
            self.dashboard_password_hash,
            *self.alert_secrets,
            *_url_passwords(self.database_url, self.dashboard_database_url, self.api_database_url),
        ]
        return tuple(v for v in values if v)

    @property
    def reader_login_problem(self) -> str | None:
        """One sentence when, on Postgres, the dashboard would use the writer's login."""
        url = self.reader_database_url
        if not url.startswith(("postgres://", "postgresql")):
            return None
        if self.dashboard_database_url and _url_user(url) != _url_user(self.database_url):
            return None
        return (
            "The dashboard reads Postgres with the writer's login (DASHBOARD_DATABASE_URL is "
            "unset or uses the DATABASE_URL user): create a read-only login with CREATE ROLE "
            "dashboard LOGIN PASSWORD '...' IN ROLE dashboard_reader and point "
            "DASHBOARD_DATABASE_URL at it."
        )

    @property
    def api_login_problem(self) -> str | None:
        """One sentence when, on Postgres, the health API would read with the writer's login."""
        url = self.api_reader_database_url
        if not url.startswith(("postgres://", "postgresql")) or url != self.database_url:
            return None
        return (
            "The health API reads Postgres with the writer's login (API_DATABASE_URL and "
            "DASHBOARD_DATABASE_URL are unset): create a login with CREATE ROLE api LOGIN "
            "PASSWORD '...' IN ROLE sync_api and point API_DATABASE_URL at it."
        )

    @property
    def least_privilege_problems(self) -> tuple[str, ...]:
        """The sentences for every reader (dashboard, API) that uses the writer's login."""
        found = (self.reader_login_problem, self.api_login_problem)
        return tuple(problem for problem in found if problem)

    @property
    def reader_database_url(self) -> str:
        """The URL the dashboard reads through."""
        return self.dashboard_database_url or self.database_url

    @property
    def api_reader_database_url(self) -> str:
        """The URL the health API reads through (its own login, else the dashboard's)."""
        return self.api_database_url or self.reader_database_url


def expand_base_url(url: str, prefix: str | None) -> str:
    """`url` without a trailing slash, with `{prefix}` replaced by the store's domain prefix."""
    if PREFIX_PLACEHOLDER in url:
        if not prefix:
            raise SyncError(
                ErrorKind.CONFIG,
                "LIGHTSPEED_BASE_URL contains {prefix} but LIGHTSPEED_DOMAIN_PREFIX is not set: "
                "set it to the store's prefix (the 'mystore' in mystore.retail.lightspeed.app).",
            )
        url = url.replace(PREFIX_PLACEHOLDER, prefix)
    return url.rstrip("/")


def _url_passwords(*urls: str | None) -> list[str]:
    """The passwords inside database URLs (as written and decoded), for masking."""
    found: list[str] = []
    for url in urls:
        try:
            password = urlsplit(url).password if url else None
        except ValueError:
            password = None
        if password:
            found += [password, unquote(password)]
    return found


def _url_user(url: str) -> str | None:
    try:
        return urlsplit(url).username
    except ValueError:
        return None
