"""OAuth mode of the stand-in: the authorize page, the token endpoint, rotating refresh tokens.

Like Lightspeed: codes are single-use, refresh tokens rotate (each refresh revokes the one
used; a revoked one gets ``400 {"error":"invalid_grant"}``), grants must be form-encoded.
Since June 2026 an authorize request must carry ``scope``: without it, or with a scope the
app does not declare (``scopes``), the browser is sent back with ``error=access_denied``.
The token answer's ``scope`` is what was granted.
"""

from __future__ import annotations

import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import simplejson

DOMAIN_PREFIX = "devstore"
SCOPE = "customers:read outlets:read products:read sales:read inventory:read"
FORM = "application/x-www-form-urlencoded"


@dataclass
class OAuthApp:
    """The registered app in one store: its grants and what it was asked (for tests)."""

    client_id: str
    client_secret: str
    token_seconds: float = 3600.0
    rotate: bool = True  # False: refresh answers carry no refresh_token (pre-2025 behaviour)
    scopes: tuple[str, ...] = tuple(SCOPE.split())  # what the app declares in the portal
    domain_prefix: str = DOMAIN_PREFIX  # the store this app is installed in
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)  # code -> (redirect, scope)
    access: dict[str, float] = field(default_factory=dict)  # token -> expires (epoch s)
    refresh: dict[str, str] = field(default_factory=dict)  # refresh token -> granted scope
    asked_scopes: list[str | None] = field(default_factory=list)  # each authorize's scope
    issued: list[str] = field(default_factory=list)  # every token and code ever handed out
    exchanged: list[str] = field(default_factory=list)  # codes presented at the token endpoint
    refreshes: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def accepts(self, token: str) -> bool:
        """Is `token` a live access token?"""
        with self.lock:
            expires = self.access.get(token)
            return expires is not None and time.time() < expires

    def issue(self) -> dict[str, Any]:
        """A fresh token response, as if the owner had authorized the app elsewhere."""
        with self.lock:
            return self._grant(refresh=None, scope=" ".join(self.scopes))

    def revoke_all(self) -> None:
        """The owner removed the app: every token stops working."""
        with self.lock:
            self.access.clear()
            self.refresh.clear()
            self.codes.clear()

    def authorize(self, query: str) -> tuple[int, str]:
        """GET /connect: (302, redirect URL with code and state, or an error) or (400, reason)."""
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        redirect = params.get("redirect_uri", "")
        if params.get("client_id") != self.client_id:
            return 400, "unknown client_id"
        if params.get("response_type") != "code" or not urlsplit(redirect).scheme:
            return 400, "response_type=code and a redirect_uri are required"
        asked = params.get("scope")
        wanted = (asked or "").split()
        with self.lock:
            self.asked_scopes.append(asked)
        back = {"state": params.get("state", "")}
        if not wanted or any(scope not in self.scopes for scope in wanted):
            back = {"error": "access_denied", **back}
        else:
            code = self._new("code")
            with self.lock:
                self.codes[code] = (redirect, " ".join(dict.fromkeys(wanted)))
            back = {"code": code, "domain_prefix": self.domain_prefix, **back}
        sep = "&" if "?" in redirect else "?"
        return 302, f"{redirect}{sep}{urlencode(back)}"

    def token(self, query: str, content_type: str, body: bytes) -> tuple[int, bytes]:
        """POST /api/1.0/token: (status, JSON body)."""
        if query or not content_type.startswith(FORM):
            return _error(400, "invalid_request", "send the grant form-encoded in the body")
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return _error(401, "invalid_client")
        grant = form.get("grant_type")
        with self.lock:
            if grant == "authorization_code":
                code = form.get("code", "")
                self.exchanged.append(code)
                redirect, scope = self.codes.pop(code, ("", ""))
                if redirect != form.get("redirect_uri") or not code:
                    return _error(400, "invalid_grant")
                return 200, simplejson.dumps(self._grant(refresh=None, scope=scope)).encode()
            if grant == "refresh_token":
                old = form.get("refresh_token", "")
                if old not in self.refresh:
                    return _error(400, "invalid_grant")
                self.refreshes += 1
                answer = self._grant(refresh=old, scope=self.refresh[old])
                return 200, simplejson.dumps(answer).encode()
        return _error(400, "unsupported_grant_type")

    def _grant(self, refresh: str | None, scope: str) -> dict[str, Any]:
        now = time.time()
        access = self._new("at")
        expires = math.ceil(now + self.token_seconds)
        self.access[access] = expires
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires": expires,
            "expires_in": max(0, int(expires - now)),
            "domain_prefix": self.domain_prefix,
            "scope": scope,
        }
        if refresh is None or self.rotate:
            if refresh is not None:
                self.refresh.pop(refresh, None)
            new = self._new("rt")
            self.refresh[new] = scope
            answer["refresh_token"] = new
        return answer

    def _new(self, kind: str) -> str:
        value = f"sim{kind}_{secrets.token_urlsafe(18)}"
        self.issued.append(value)
        return value


def _error(status: int, error: str, description: str | None = None) -> tuple[int, bytes]:
    body: dict[str, str] = {"error": error}
    if description:
        body["error_description"] = description
    return status, simplejson.dumps(body).encode()
