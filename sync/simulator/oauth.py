"""OAuth mode of the stand-in: the authorize page, the token endpoint, rotating refresh tokens.

Like Lightspeed: codes are single-use, refresh tokens rotate (each refresh revokes the one
used; a revoked one gets ``400 {"error":"invalid_grant"}``), grants must be form-encoded.
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
    """The one registered app, its grants and what it was asked (for tests)."""

    client_id: str
    client_secret: str
    token_seconds: float = 3600.0
    rotate: bool = True  # False: refresh answers carry no refresh_token (pre-2025 behaviour)
    codes: dict[str, str] = field(default_factory=dict)  # code -> redirect_uri
    access: dict[str, float] = field(default_factory=dict)  # token -> expires (epoch s)
    refresh: set[str] = field(default_factory=set)
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
            return self._grant(refresh=None)

    def revoke_all(self) -> None:
        """The owner removed the app: every token stops working."""
        with self.lock:
            self.access.clear()
            self.refresh.clear()
            self.codes.clear()

    def authorize(self, query: str) -> tuple[int, str]:
        """GET /connect: (302, redirect URL with code and state) or (400, reason)."""
        params = {k: v[-1] for k, v in parse_qs(query).items()}
        redirect = params.get("redirect_uri", "")
        if params.get("client_id") != self.client_id:
            return 400, "unknown client_id"
        if params.get("response_type") != "code" or not urlsplit(redirect).scheme:
            return 400, "response_type=code and a redirect_uri are required"
        code = self._new("code")
        with self.lock:
            self.codes[code] = redirect
        back = {"code": code, "domain_prefix": DOMAIN_PREFIX, "state": params.get("state", "")}
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
                if self.codes.pop(code, None) != form.get("redirect_uri") or not code:
                    return _error(400, "invalid_grant")
                return 200, simplejson.dumps(self._grant(refresh=None)).encode()
            if grant == "refresh_token":
                old = form.get("refresh_token", "")
                if old not in self.refresh:
                    return _error(400, "invalid_grant")
                self.refreshes += 1
                return 200, simplejson.dumps(self._grant(refresh=old)).encode()
        return _error(400, "unsupported_grant_type")

    def _grant(self, refresh: str | None) -> dict[str, Any]:
        now = time.time()
        access = self._new("at")
        expires = math.ceil(now + self.token_seconds)
        self.access[access] = expires
        answer: dict[str, Any] = {
            "access_token": access,
            "token_type": "Bearer",
            "expires": expires,
            "expires_in": max(0, int(expires - now)),
            "domain_prefix": DOMAIN_PREFIX,
            "scope": SCOPE,
        }
        if refresh is None or self.rotate:
            if refresh is not None:
                self.refresh.discard(refresh)
            new = self._new("rt")
            self.refresh.add(new)
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
