"""Lightspeed API 2.0 client: one Session, bearer auth, paced requests, library retries."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import orjson
import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    MaxRetryError,
    NameResolutionError,
    NewConnectionError,
    ProtocolError,
    ReadTimeoutError,
)
from urllib3.util.retry import Retry

from sync.config import SYNC_SCOPES, Settings
from sync.errors import ErrorKind, SyncError, redact
from sync.lightspeed.budget import shared_budget
from sync.lightspeed.deadline import TooSlow, read_within
from sync.lightspeed.diagnosis import scope_for_path, unresolved_host_error
from sync.lightspeed.identity import USER_AGENT
from sync.lightspeed.jsonkeys import keys_all_distinct
from sync.lightspeed.oauth import RECONNECT, TokenSource
from sync.lightspeed.pacing import RatePacer
from sync.lightspeed.paging import Page, page_cursor
from sync.lightspeed.retries import QuietRetry
from sync.lightspeed.timings import RequestTimings

log = logging.getLogger(__name__)

RETRY_STATUSES = (429, 500, 502, 503, 504)
# A 400 for an oversize page_size is possible (the 2.0 maximum is undocumented): step down.
PAGE_SIZE_FALLBACKS = (200, 100)
MALFORMED_ATTEMPTS = 3
SEARCH_PAGE_SIZE = 1000  # the documented cap of /search
# Parameters a 400 may name instead of page_size: then the page size is not the problem.
OTHER_PARAMETERS = ("order_by", "order_direction", "offset", "date_from", "date_to", "outlet_id")
# Total time for one request, as a multiple of the per-read timeout (see deadline.py).
DEADLINE_FACTOR = 4


class _CountingRetry(QuietRetry):
    """urllib3 Retry that counts every failed attempt and caps a long Retry-After."""

    attempts: list[int]
    max_retry_after: float
    pacer: RatePacer | None = None

    def new(self, **kw: Any) -> _CountingRetry:
        retry = super().new(**kw)
        retry.attempts = self.attempts
        retry.max_retry_after = self.max_retry_after
        retry.pacer = self.pacer
        return retry

    def increment(self, *args: Any, **kwargs: Any) -> Retry:
        self.attempts[0] += 1
        response = kwargs.get("response", args[2] if len(args) > 2 else None)
        if response is not None and response.status == 429 and self.pacer is not None:
            # Our count was wrong (another host, a lost claim): every caller waits as well.
            try:
                seconds = self.get_retry_after(response)
            except InvalidHeader:
                seconds = None
            self.pacer.hold_for(seconds)
        return super().increment(*args, **kwargs)

    def get_retry_after(self, response: Any) -> float | None:
        seconds = super().get_retry_after(response)
        return None if seconds is None else min(seconds, self.max_retry_after)


class MalformedResponse(SyncError):
    """A 200 response whose body is not the JSON we expect; keeps an excerpt for sync_rejects."""

    def __init__(self, message: str, excerpt: str) -> None:
        super().__init__(ErrorKind.API, message)
        self.excerpt = excerpt


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
        self._responses = 0
        # False once Lightspeed refused order_by=sale_date on /search (for this client's run).
        self.search_ordered = True
        self.timings = RequestTimings()
        self._lock = threading.Lock()
        self.session = session or requests.Session()
        retry = _CountingRetry(
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

    def get_json(
        self, path: str, params: Mapping[str, Any], first: requests.Response | None = None
    ) -> dict[str, Any]:
        """GET `path` and return the parsed JSON object (numbers as exact Decimals).

        `first`: a response already received for this request (parsed before asking again).
        """
        last: MalformedResponse | None = None
        for attempt in range(MALFORMED_ATTEMPTS):
            response = first if attempt == 0 and first is not None else self._send(path, params)
            try:
                body = json.loads(response.content, parse_float=Decimal)
            except ValueError:
                excerpt = response.content[:500].decode("utf-8", "replace")
                last = MalformedResponse(
                    f"Lightspeed sent malformed JSON for {path} ({len(response.content)} bytes).",
                    redact(excerpt, self._token),
                )
                log.warning("%s Retrying.", last.message)
                continue
            if isinstance(body, list):
                # Some newer endpoints answer with a bare array instead of the envelope.
                return {"data": body}
            if not isinstance(body, dict):
                raise MalformedResponse(
                    f"Lightspeed sent a JSON {type(body).__name__} for {path}, expected an object.",
                    redact(response.text[:500], self._token),
                )
            return body
        assert last is not None
        raise last

    def list_page(
        self,
        path: str,
        after: int,
        *,
        deleted: bool = False,
        keep_source: bool = False,
        prove_keys: bool = False,
    ) -> Page:
        """Fetch one page of `path` with versions above `after`.

        `keep_source`: a plain page (see `plain_page`) comes with its body as received and
        rows parsed fast (fractions as floats), for a store that maps the JSON itself;
        `prove_keys`: with `keys_distinct` worked out (see `plain_page`).
        """
        calls_before = self.api_calls
        params: dict[str, Any] = {"after": after, "page_size": self.page_size}
        if deleted:
            params["deleted"] = "true"
        first = None
        if keep_source:
            first = self._send(path, params)
            page = plain_page(first.content, self.api_calls - calls_before, prove_keys=prove_keys)
            if page is not None:
                return page
        body = self.get_json(path, params, first)
        rows = body.get("data")
        if rows is None:
            rows = []
        if not isinstance(rows, list):
            raise MalformedResponse(
                f"Lightspeed's answer for {path} has no 'data' list.", str(body)[:500]
            )
        return Page(
            rows=rows, version_max=page_cursor(body, rows), api_calls=self.api_calls - calls_before
        )

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
    ) -> Page:
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
            body = self.get_json("/search", params)
        except SyncError as exc:
            if not (self.search_ordered and exc.status in (400, 422) and names_order(exc.message)):
                raise
            log.warning(
                "Lightspeed refused order_by=sale_date on /search (%s); asking without an "
                "order from now on.",
                exc.message,
            )
            self.search_ordered = False
            page = self.search_sales_page(date_from, date_to, offset, page_size, outlet_id)
            return Page(page.rows, None, api_calls=self.api_calls - calls_before)
        rows = body.get("data") or []
        if not isinstance(rows, list):
            raise MalformedResponse(
                "Lightspeed's search answer has no 'data' list.", str(body)[:500]
            )
        return Page(rows=rows, version_max=None, api_calls=self.api_calls - calls_before)

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
            raise self._classify_status(path, response)
        return response

    def _get(self, path: str, url: str, params: Mapping[str, Any]) -> requests.Response:
        if self.tokens is not None:
            self._use_token(self.tokens.current())
        self.pacer.wait()
        started = time.monotonic()
        try:
            response = self.session.get(url, params=params, timeout=self.timeout, stream=True)
            read_within(response, started + self.timeout * DEADLINE_FACTOR)
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
            raise self._classify_exception(path, exc) from None
        self.timings.record((time.monotonic() - started) * 1000)
        # An exhausted retryable status was already counted by _CountingRetry.increment.
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

    def _classify_status(self, path: str, response: requests.Response) -> SyncError:
        status = response.status_code
        reason = _error_text(response, self._token)
        if status == 401:
            return SyncError(
                ErrorKind.AUTH,
                f"Lightspeed refused the access token (401{reason}) on {path}.",
                recovery=RECONNECT if self.tokens is not None else None,
                status=status,
            )
        if status == 403:
            return SyncError(
                ErrorKind.AUTH,
                f"The access token may not read {path} (403{reason}): it lacks the scope "
                f"{scope_for_path(path)}.",
                recovery=(
                    f"Declare the scope {scope_for_path(path)} for the app in the Lightspeed "
                    "developer portal, then run `python -m sync connect` again."
                    if self.tokens is not None
                    else f"Give the token the scope {scope_for_path(path)} (the sync needs all "
                    f"five: {' '.join(SYNC_SCOPES)}), then put it in LIGHTSPEED_TOKEN."
                ),
                status=status,
            )
        if status == 404:
            return SyncError(
                ErrorKind.CONFIG,
                f"Lightspeed has no {path} at {self._safe_base()} (404{reason}).",
                recovery="Check LIGHTSPEED_DOMAIN_PREFIX (or LIGHTSPEED_BASE_URL): it must name "
                "your store.",
                status=status,
            )
        if status == 429:
            return SyncError(
                ErrorKind.RATE_LIMIT,
                f"Lightspeed kept answering 429 Too Many Requests on {path} after "
                f"{self.settings.http_max_retries} waits.",
                status=status,
            )
        return SyncError(
            ErrorKind.API,
            f"Lightspeed answered {status}{reason} on {path}"
            + (" after retries." if status in RETRY_STATUSES else "."),
            status=status,
        )

    def _classify_exception(self, path: str, exc: requests.RequestException) -> SyncError:
        reason: BaseException | None = exc
        if exc.args and isinstance(exc.args[0], MaxRetryError):
            reason = exc.args[0].reason
        host = self._safe_base()
        if isinstance(reason, NameResolutionError):
            return unresolved_host_error(self.base_url)
        # urllib3's NewConnectionError subclasses ConnectTimeoutError: test it first.
        if isinstance(reason, NewConnectionError):
            return SyncError(
                ErrorKind.NETWORK, f"Could not connect to {host} ({type(reason).__name__})."
            )
        if isinstance(exc, requests.Timeout) or isinstance(
            reason, ReadTimeoutError | ConnectTimeoutError
        ):
            return SyncError(
                ErrorKind.TIMEOUT,
                f"Lightspeed did not answer {path} within {self.timeout:g} s "
                f"({self.settings.http_max_retries} retries).",
            )
        if isinstance(reason, ProtocolError) or isinstance(exc, requests.ConnectionError):
            return SyncError(
                ErrorKind.NETWORK,
                f"Could not connect to {host} ({type(reason).__name__}).",
            )
        return SyncError(
            ErrorKind.NETWORK, f"Request to {host}{path} failed ({type(exc).__name__})."
        )

    def _safe_base(self) -> str:
        return redact(self.base_url, self._token)


def plain_page(content: bytes, api_calls: int, *, prove_keys: bool = False) -> Page | None:
    """The page parsed by orjson, when nothing in it needs the exact parse; else None.

    Plain: valid JSON (no NaN, no integer beyond 64 bits), a `data` list (or a bare one)
    of objects whose `version` is an integer, and an integer `version.max` if any.
    `prove_keys`: also check that no object repeats a key (`Page.keys_distinct`), for a
    store whose JSON functions would read another value than orjson then.
    """
    try:
        body = orjson.loads(content)
    except orjson.JSONDecodeError:
        return None
    rows = body if isinstance(body, list) else body.get("data") if isinstance(body, dict) else None
    if not isinstance(rows, list):
        return None
    for row in rows:
        if type(row) is not dict or type(row.get("version")) is not int:
            return None
    if isinstance(body, dict):
        block = body.get("version")
        if block is not None and not (
            isinstance(block, dict) and type(block.get("max")) in (int, type(None))
        ):
            return None
        cursor = page_cursor(body, rows)
    else:
        cursor = page_cursor({}, rows)
    distinct = prove_keys and keys_all_distinct(content, body)
    return Page(
        rows=rows, version_max=cursor, api_calls=api_calls, source=content, keys_distinct=distinct
    )


def exact_rows(page: Page) -> list[Any]:
    """The page's rows with numbers as exact Decimals (parsed again from its source)."""
    if page.source is None:
        return page.rows
    body = json.loads(page.source, parse_float=Decimal)
    return body if isinstance(body, list) else body["data"]


def names_order(text: str) -> bool:
    """Does an error text speak of the answer's order (order_by, sort, sale_date)?"""
    lowered = text.lower()
    return any(word in lowered for word in ("order_by", "order by", "sort", "sale_date"))


def _error_text(response: requests.Response, token: str) -> str:
    """A short, secret-free rendering of an error body: ' Access token is not valid'."""
    try:
        body = response.json()
    except ValueError:
        body = None
    text = ""
    if isinstance(body, dict):
        text = str(body.get("message") or body.get("error") or "")
    elif response.text:
        text = response.text
    text = " ".join(text.split())[:200]
    return f" {redact(text, token)}" if text else ""
