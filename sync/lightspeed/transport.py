"""Lightspeed API 2.0 transport: one Session, bearer auth, paced requests, library retries.

The client sends requests and hands back each answer as received (`RawPage`: the body's
bytes, status, headers); a failed request becomes a classified `SyncError`
(sync.lightspeed.classify). It never parses a body: sync.engine.decode does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ProtocolError, ReadTimeoutError

from sync.config import Settings
from sync.errors import ErrorKind, SyncError, redact
from sync.lightspeed.budget import shared_budget
from sync.lightspeed.classify import RETRY_STATUSES, Classifier, names_order
from sync.lightspeed.deadline import TooSlow, read_within
from sync.lightspeed.identity import USER_AGENT
from sync.lightspeed.oauth import TokenSource
from sync.lightspeed.pacing import RatePacer
from sync.lightspeed.retries import CountingRetry
from sync.lightspeed.timings import RequestTimings

log = logging.getLogger(__name__)

# A 400 for an oversize page_size is possible (the 2.0 maximum is undocumented): step down.
PAGE_SIZE_FALLBACKS = (200, 100)
SEARCH_PAGE_SIZE = 1000  # the documented cap of /search
# Parameters a 400 may name instead of page_size: then the page size is not the problem.
OTHER_PARAMETERS = ("order_by", "order_direction", "offset", "date_from", "date_to", "outlet_id")
# Total time for one request, as a multiple of the per-read timeout (see deadline.py).
DEADLINE_FACTOR = 4


@dataclass(frozen=True)
class RawPage:
    """One successful answer as received: the body's bytes, its status and headers.

    `api_calls`: the HTTP requests it took, retries included. `redact` removes the
    client's secrets from a text (for excerpts of a body in error messages).
    """

    path: str
    content: bytes
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    api_calls: int = 1
    redact: Callable[[str], str] = field(default=str, repr=False, compare=False)

    def excerpt(self, limit: int = 500) -> str:
        """The body's first `limit` bytes as text, without secrets."""
        return self.redact(self.content[:limit].decode("utf-8", "replace"))


class LightspeedClient:
    """Reads API 2.0 list endpoints. Thread-compatible: one caller at a time.

    With `tokens` (an OAuth app) the bearer token comes from it before each request and is
    renewed once on a 401; without, it is the static LIGHTSPEED_TOKEN.
    """

    def __init__(
        self,
        settings: Settings,
        session: requests.Session | None = None,
        pacer: RatePacer | None = None,
        tokens: TokenSource | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = settings.api_base_url
        self.tokens = tokens
        self._token = settings.token if tokens is None else ""
        self.timeout = settings.http_timeout_seconds
        self.page_size = settings.sync_page_size
        self.pacer = pacer or RatePacer(
            window_seconds=settings.rate_window_seconds, budget=shared_budget(self.base_url)
        )
        self._attempts = [0]
        self._resumed: dict[int, float] = {}
        self._responses = 0
        # False once Lightspeed refused order_by=sale_date on /search (for this client's run).
        self.search_ordered = True
        self.timings = RequestTimings()
        self._lock = threading.Lock()
        self.session = session or requests.Session()
        retry = CountingRetry(
            total=settings.http_max_retries,
            connect=settings.http_max_retries,
            read=settings.http_max_retries,
            status=settings.http_max_retries,
            status_forcelist=RETRY_STATUSES,
            allowed_methods=frozenset({"GET"}),
            backoff_factor=0.5,
            backoff_max=30,
            backoff_jitter=0.25,
            respect_retry_after_header=True,
            raise_on_status=False,
        )
        retry.attempts = self._attempts
        retry.resumed = self._resumed
        retry.max_retry_after = settings.retry_after_max_seconds
        retry.pacer = self.pacer
        adapter = HTTPAdapter(max_retries=retry, pool_connections=2, pool_maxsize=4)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update(
            {
                "Authorization": f"Bearer {self._token}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            }
        )

    @property
    def api_calls(self) -> int:
        """HTTP requests sent so far, retries included."""
        return self._attempts[0] + self._responses

    @property
    def retries(self) -> int:
        """Attempts that failed and were retried (or gave up) so far."""
        return self._attempts[0]

    def close(self) -> None:
        """Release pooled connections."""
        self.session.close()

    def redact(self, text: str) -> str:
        """`text` without the access token."""
        return redact(text, self._token)

    def list_page(self, path: str, after: int, *, deleted: bool = False) -> RawPage:
        """One page of the list `path` with versions above `after`, as received."""
        params: dict[str, Any] = {"after": after, "page_size": self.page_size}
        if deleted:
            params["deleted"] = "true"
        return self.get(path, params)

    @property
    def search_page_size(self) -> int:
        """Page size for /search: SYNC_PAGE_SIZE, capped at the documented 1000."""
        return min(self.page_size, SEARCH_PAGE_SIZE)

    def search_sales_page(
        self,
        date_from: str,
        date_to: str,
        offset: int,
        page_size: int | None = None,
        outlet_id: str | None = None,
    ) -> RawPage:
        """One offset page of `/search?type=sales` between two UTC timestamps (inclusive).

        Deleted sales are included so a backfill also refreshes them. The answer is asked
        in sale_date order; `order_by=sale_date` is not a documented sort field, so when
        Lightspeed refuses it (a 400 naming the order) this client asks without an order
        from then on and callers rely on de-duplication by id and small windows.
        """
        calls_before = self.api_calls
        params: dict[str, Any] = {
            "type": "sales",
            "date_from": date_from,
            "date_to": date_to,
            "offset": offset,
            "page_size": page_size or self.search_page_size,
            "deleted": "true",
        }
        if outlet_id is not None:
            params["outlet_id"] = outlet_id
        if self.search_ordered:
            params |= {"order_by": "sale_date", "order_direction": "asc"}
        try:
            return self.get("/search", params)
        except SyncError as exc:
            if not (self.search_ordered and exc.status in (400, 422) and names_order(exc.message)):
                raise
            log.warning(
                "Lightspeed refused order_by=sale_date on /search (%s); asking without an "
                "order from now on.",
                exc.message,
            )
            self.search_ordered = False
            raw = self.search_sales_page(date_from, date_to, offset, page_size, outlet_id)
            return RawPage(
                raw.path,
                raw.content,
                raw.status,
                raw.headers,
                self.api_calls - calls_before,
                raw.redact,
            )

    def get(self, path: str, params: Mapping[str, Any]) -> RawPage:
        """GET `path` with `params`: the answer as received, or a classified SyncError."""
        calls_before = self.api_calls
        response = self._send(path, params)
        return RawPage(
            path,
            response.content,
            response.status_code,
            response.headers,
            self.api_calls - calls_before,
            self.redact,
        )

    def _send(self, path: str, params: Mapping[str, Any]) -> requests.Response:
        url = f"{self.base_url}/{path.lstrip('/')}"
        response = self._get(path, url, params)
        if response.status_code == 401 and self.tokens is not None:
            # An app's access token may have expired: renew it once and ask again.
            self._use_token(self.tokens.renew(self._token))
            response = self._get(path, url, params)
        if response.status_code in (400, 422) and "page_size" in params:
            response = self._after_refusal(path, url, params, response)
        if response.status_code >= 400:
            raise self._classifier().status_error(path, response)
        return response

    def _get(self, path: str, url: str, params: Mapping[str, Any]) -> requests.Response:
        if self.tokens is not None:
            self._use_token(self.tokens.current())
        self.pacer.wait()
        started = time.monotonic()
        thread = threading.get_ident()
        self._resumed.pop(thread, None)
        try:
            response = self.session.get(url, params=params, timeout=self.timeout, stream=True)
            # The last attempt's reply must be complete in time; waits between attempts
            # (backoff, Retry-After) are not its slowness.
            attempt_started = self._resumed.pop(thread, started)
            read_within(response, attempt_started + self.timeout * DEADLINE_FACTOR)
        except TooSlow:
            raise SyncError(
                ErrorKind.TIMEOUT,
                f"Lightspeed sent {path} too slowly: not complete within "
                f"{self.timeout * DEADLINE_FACTOR:g} s.",
                recovery="The sync retries on its next run; if it persists, check the network "
                "between this host and Lightspeed.",
            ) from None
        except (requests.RequestException, ReadTimeoutError, ProtocolError) as exc:
            if isinstance(exc, ReadTimeoutError):
                exc = requests.ReadTimeout(exc)
            elif not isinstance(exc, requests.RequestException):
                exc = requests.ConnectionError(exc)
            raise self._classifier().exception_error(path, exc) from None
        self.timings.record((time.monotonic() - started) * 1000)
        # An exhausted retryable status was already counted by CountingRetry.increment.
        if response.status_code not in RETRY_STATUSES:
            with self._lock:
                self._responses += 1
        self.pacer.observe(response.headers)
        return response

    def _after_refusal(
        self, path: str, url: str, params: Mapping[str, Any], refused: requests.Response
    ) -> requests.Response:
        """A 400/422: only a refusal of the page size may shrink it, and then for good.

        A reply naming page_size steps down at once. Any other is asked again at the same
        size (a passing refusal), then with smaller pages: the size shrinks only when a
        smaller page is what succeeds. Otherwise the first refusal stands, size unchanged.
        """
        size = int(params["page_size"])
        smaller = [s for s in PAGE_SIZE_FALLBACKS if s < size]
        text = refused.text.lower()
        names_size = "page_size" in text or "page size" in text
        if not names_size and any(name in text for name in OTHER_PARAMETERS if name in params):
            return refused  # about another parameter: a smaller page would be refused too
        for attempt in smaller if names_size else [size, *smaller]:
            response = self._get(path, url, {**params, "page_size": attempt})
            if response.status_code in (400, 422):
                continue
            if attempt != size and response.status_code < 400:
                log.info("Lightspeed refused page_size=%s; using %s from now on.", size, attempt)
                self.page_size = attempt
            return response
        return refused

    def _use_token(self, token: str) -> None:
        if token != self._token:
            self._token = token
            self.session.headers["Authorization"] = f"Bearer {token}"

    def _classifier(self) -> Classifier:
        return Classifier(
            base_url=self.base_url,
            token=self._token,
            app=self.tokens is not None,
            new_token_step=self.settings.new_token_step,
            connect_command=self.settings.connect_command,
            max_retries=self.settings.http_max_retries,
            timeout=self.timeout,
        )
