"""The connection to a Supabase project's REST API, error mapping, schema version.

The REST counterpart of sync.storage.sql.db. Every failure becomes one DATABASE
SyncError sentence with the key masked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
from postgrest.exceptions import APIError
from supabase import ClientOptions, create_client

from sync.config.settings import DEFAULT_STORE
from sync.errors import ErrorKind, SyncError, redact
from sync.storage.migrations import migration_scripts

# PostgREST / Postgres codes that mean "the schema is not there (yet)".
MISSING_CODES = {"PGRST202", "PGRST205", "42P01", "42883"}
_DENIED = {"42501", "PGRST301", "PGRST302"}


def rest_error(exc: BaseException, url: str, secrets: Sequence[str]) -> SyncError:
    """One sentence for a failed REST call, with every key masked."""
    if isinstance(exc, APIError):
        code = exc.code or ""
        text = redact(" ".join(str(exc.message or exc).split())[:300], *secrets)
        message = f"The Supabase REST API at {url} refused a request: {text}" + (
            f" (code {code})." if code else "."
        )
        if code in MISSING_CODES:
            recovery = (
                "Apply the migrations: `python -m sync migrate` with DATABASE_URL set to the "
                "project's connection string, or run sql/supabase/setup.sql in the SQL editor."
            )
        elif code in _DENIED or "api key" in text.lower() or "jwt" in text.lower():
            recovery = (
                "Check SUPABASE_SERVICE_ROLE_KEY: it must be the project's service_role "
                "(secret) key, not the anon/publishable one."
            )
        else:
            recovery = "Check the Supabase project's logs; the sync retries on its next run."
        return SyncError(ErrorKind.DATABASE, message, recovery=recovery)
    reason = redact(" ".join(str(exc).split())[:200], *secrets) or type(exc).__name__
    return SyncError(
        ErrorKind.DATABASE,
        f"Could not reach the Supabase REST API at {url}: {reason}.",
        recovery="Check SUPABASE_URL and this host's HTTPS access; the sync retries on its "
        "next run.",
    )


@contextmanager
def rest_errors(url: str, secrets: Sequence[str]) -> Iterator[None]:
    """Re-raise supabase-py / httpx failures inside the block as DATABASE SyncErrors."""
    try:
        yield
    except (APIError, httpx.HTTPError, ValueError) as exc:
        raise rest_error(exc, url, secrets) from None


def parse_time(value: Any) -> datetime | None:
    """A PostgREST timestamp (ISO 8601 text) as an aware datetime."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


class RestBase:
    """A supabase-py client plus request counting and error translation, for the rows of
    one Lightspeed store (`prefix`, its domain prefix)."""

    def __init__(
        self,
        url: str,
        key: str,
        *,
        timeout_seconds: float = 30.0,
        prefix: str = DEFAULT_STORE,
    ) -> None:
        self.url = url.rstrip("/")
        self.prefix = prefix
        self.secrets: tuple[str, ...] = (key,)
        self._http = httpx.Client(timeout=timeout_seconds)
        options = ClientOptions(
            httpx_client=self._http, auto_refresh_token=False, persist_session=False
        )
        with rest_errors(self.url, self.secrets):
            self.client = create_client(self.url, key, options=options)
            self.rest = self.client.postgrest  # created now: threads share it afterwards
        self._calls = 0
        self._calls_lock = threading.Lock()

    @property
    def api_calls(self) -> int:
        """REST requests sent so far (for benchmarks)."""
        return self._calls

    def execute(self, builder: Any) -> Any:
        """Send one request; failures become DATABASE SyncErrors."""
        with self._calls_lock:
            self._calls += 1
        with rest_errors(self.url, self.secrets):
            return builder.execute()

    def table(self, name: str) -> Any:
        """A request builder for table `name`."""
        return self.rest.table(name)

    def error(self, exc: BaseException) -> SyncError:
        """A SyncError for a failed request, keys masked."""
        return rest_error(exc, self.url, self.secrets)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()


def pending_migrations(rest: RestBase) -> list[int]:
    """Shipped Postgres migrations the project has not applied (all when it has no schema)."""
    shipped = [version for version, _, _ in migration_scripts("postgres")]
    try:
        rows = rest.execute(rest.table("schema_migrations").select("version")).data
    except SyncError as exc:
        if any(code in exc.message for code in MISSING_CODES):
            return shipped
        raise
    done = {int(r["version"]) for r in rows}
    return [v for v in shipped if v not in done]
