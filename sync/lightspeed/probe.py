"""Does the store answer? Name, token, the five read scopes and rate-limit headroom.

One `page_size=1` GET per list endpoint at most, nothing retried, nothing written: what
`python -m sync check` shows before the first sync.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import requests

from sync.config import SYNCED_ENTITIES, Settings
from sync.errors import ErrorKind, SyncError, redact
from sync.lightspeed.diagnosis import (
    host_of,
    resolves,
    scope_for_path,
    unresolved_host_error,
)
from sync.lightspeed.identity import USER_AGENT
from sync.lightspeed.oauth import reconnect
from sync.lightspeed.retries import what_failed

Status = Literal["pass", "fail", "info", "skip"]
PROBE_TIMEOUT_SECONDS = 15.0
LOW_HEADROOM = 0.1  # under 10 % of the quota left: syncs will be slow
READ_SCOPES = " ".join(scope_for_path(f"/{entity}") for entity in SYNCED_ENTITIES)


@dataclass(frozen=True)
class Finding:
    """One line of a check: what was found and, unless it passed, what to do.

    `blocking` is False for a failure the scheduler rides out by itself (an outage, not a
    setting): it must not stop the service from starting.
    """

    name: str
    status: Status
    summary: str
    fix: str | None = None
    blocking: bool = True


def probe_store(
    settings: Settings,
    session_factory: Callable[[], requests.Session] = requests.Session,
    token: Callable[[], str] | None = None,
) -> list[Finding]:
    """Check the configured store: address, token, each read scope, rate-limit headroom."""
    try:
        base = settings.api_base_url
    except SyncError as exc:
        return [Finding("Lightspeed address", "fail", exc.message)]
    host = host_of(base)
    if not resolves(host):
        error = unresolved_host_error(base)
        blocking = error.kind is ErrorKind.CONFIG
        return [Finding("Lightspeed address", "fail", error.message, error.recovery, blocking)]
    found = [Finding("Lightspeed address", "pass", f"{host} resolves")]
    try:
        bearer = token() if token is not None else settings.token
    except SyncError as exc:
        return [*found, Finding("Lightspeed token", "fail", exc.message, exc.recovery)]
    answers, failure = _fetch_each(base, bearer, settings, session_factory)
    if failure:
        return [*found, failure]
    return found + _judge(base, bearer, answers, settings, app=token is not None)


def _fetch_each(
    base: str,
    token: str,
    settings: Settings,
    session_factory: Callable[[], requests.Session],
) -> tuple[dict[str, requests.Response], Finding | None]:
    answers: dict[str, requests.Response] = {}
    timeout = min(settings.http_timeout_seconds, PROBE_TIMEOUT_SECONDS)
    with session_factory() as session:
        session.headers.update(
            {
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": f"{USER_AGENT} (check)",
            }
        )
        for entity in SYNCED_ENTITIES:
            try:
                response = session.get(f"{base}/{entity}", params={"page_size": 1}, timeout=timeout)
            except requests.RequestException as exc:
                return answers, _unreachable(base, exc, timeout, token)
            answers[entity] = response
            if response.status_code == 401:
                break  # the token is refused everywhere: asking the others adds nothing
    return answers, None


def _unreachable(base: str, exc: requests.RequestException, timeout: float, token: str) -> Finding:
    if isinstance(exc, requests.Timeout):
        text = f"Lightspeed did not answer within {timeout:g} s"
    else:
        reason = exc.args[0] if exc.args else exc
        text = what_failed(None, getattr(reason, "reason", reason))
        text = text[0].upper() + text[1:]
    return Finding(
        "Lightspeed connection",
        "fail",
        redact(f"{text} at {host_of(base)}.", token),
        "Check this host's internet connection and firewall (HTTPS to Lightspeed), then run "
        "the check again; the scheduler retries by itself.",
        blocking=False,
    )


def _judge(
    base: str,
    token: str,
    answers: dict[str, requests.Response],
    settings: Settings,
    *,
    app: bool = False,
) -> list[Finding]:
    statuses = {entity: r.status_code for entity, r in answers.items()}
    if 401 in statuses.values():
        refused = next(r for r in answers.values() if r.status_code == 401)
        recovery = (
            reconnect(settings.connect_command)
            if app
            else "Create a new personal token (Setup > Personal tokens) with the read scopes "
            f"{READ_SCOPES} and {settings.new_token_step}."
        )
        return [
            Finding(
                "Lightspeed token",
                "fail",
                f"Lightspeed refused the token (401{_reason(refused, token)}).",
                recovery,
            )
        ]
    if set(statuses.values()) == {404}:
        return [
            Finding(
                "Lightspeed address",
                "fail",
                f"Every endpoint answered 404 at {redact(base, token)}: this is not the API of a "
                "store, so the base URL or the store prefix is wrong.",
                "Check LIGHTSPEED_DOMAIN_PREFIX (the 'mystore' of mystore.retail.lightspeed.app), "
                "and leave LIGHTSPEED_BASE_URL unset for a real store.",
            )
        ]
    found = []
    if any(code < 300 or code == 403 for code in statuses.values()):
        found.append(Finding("Lightspeed token", "pass", "accepted"))
    else:
        found.append(Finding("Lightspeed token", "skip", "not checked: no endpoint answered"))
    found += [_scope(entity, base, token, r, settings) for entity, r in answers.items()]
    return [*found, _headroom(list(answers.values()))]


def _scope(
    entity: str, base: str, token: str, response: requests.Response, settings: Settings
) -> Finding:
    path = f"/{entity}"
    scope, code = scope_for_path(path), response.status_code
    name = f"scope {scope}"
    if code == 200:
        try:
            body = response.json()
        except ValueError:
            body = None
        rows = body.get("data") if isinstance(body, dict) else body
        if isinstance(rows, list):
            return Finding(name, "pass", f"GET {path} works")
        return Finding(
            name,
            "fail",
            f"GET {path} answered, but not with Lightspeed API 2.0 JSON.",
            "Check LIGHTSPEED_BASE_URL (leave it unset for a real store).",
        )
    if code == 403:
        return Finding(
            name,
            "fail",
            f"The token may not read {path} (403{_reason(response, token)}): it lacks the scope "
            f"{scope}.",
            f"Give the token the scope {scope} (a personal token: create a new one with "
            f"all five read scopes), then {settings.new_token_step}.",
        )
    if code == 404:
        return Finding(
            name,
            "fail",
            f"Lightspeed has no {path} at {redact(base, token)} (404).",
            "Check LIGHTSPEED_BASE_URL / LIGHTSPEED_DOMAIN_PREFIX.",
        )
    what = (
        "Lightspeed's rate limit was reached (429)"
        if code == 429
        else f"Lightspeed answered {code}{_reason(response, token)}"
    )
    return Finding(
        name,
        "fail",
        f"{what} on GET {path}, so this scope could not be checked.",
        "Try again in a few minutes (status.lightspeedhq.com shows outages); the scheduler "
        "retries by itself.",
        blocking=False,
    )


def _headroom(responses: list[requests.Response]) -> Finding:
    for response in reversed(responses):
        limit = response.headers.get("X-RateLimit-Limit")
        remaining = response.headers.get("X-RateLimit-Remaining")
        if limit and remaining and limit.isdigit() and remaining.isdigit():
            left, quota = int(remaining), int(limit)
            text = f"{left} of {quota} requests left in the current window"
            if quota and left / quota < LOW_HEADROOM:
                return Finding(
                    "rate limit",
                    "info",
                    text + ": other apps are using this store's quota.",
                    "Syncs are paced to what is left and may be slow; see which apps use the "
                    "store's API in Lightspeed (Setup > Add-ons).",
                    blocking=False,
                )
            return Finding("rate limit", "pass", text)
    return Finding(
        "rate limit",
        "info",
        "Lightspeed sent no X-RateLimit-Limit / X-RateLimit-Remaining headers.",
        "Requests are paced from the documented minimum quota instead.",
        blocking=False,
    )


def _reason(response: requests.Response, token: str) -> str:
    try:
        body = response.json()
    except ValueError:
        body = None
    text = str(body.get("message") or body.get("error") or "") if isinstance(body, dict) else ""
    text = " ".join(text.split())[:120]
    return f" {redact(text, token)}" if text else ""
