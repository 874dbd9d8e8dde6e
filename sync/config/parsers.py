"""Value parsers: each takes (NAME, raw text) and returns the value or raises one sentence."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from sync.config.settings import ALERT_RULES
from sync.errors import ErrorKind, SyncError, redact
from sync.runs import SYNCED_ENTITIES

Parser = Callable[[str, str], Any]

_PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):[0-5]\d$")
_HOURS_RE = re.compile(r"^(\d{1,2}:\d{2})-(\d{1,2}:\d{2})$")
_SCOPE_RE = re.compile(r"^[a-z][a-z_]*:[a-z][a-z_]*$")
OFF = ("off", "none")


def bad(name: str, value: str, expected: str) -> SyncError:
    """The one-sentence CONFIG error: `NAME='value' is not valid: put <expected> there.`"""
    return SyncError(ErrorKind.CONFIG, f"{name}={value!r} is not valid: put {expected} there.")


def text(_name: str, raw: str) -> str:
    """Any non-blank text, as given."""
    return raw


def path(_name: str, raw: str) -> Path:
    """A filesystem path."""
    return Path(raw)


def whole(upper: int) -> Parser:
    """A whole number from 1 to `upper`."""
    expected = f"a whole number from 1 to {upper}"

    def parse(name: str, raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise bad(name, raw, expected) from None
        if not 1 <= value <= upper:
            raise bad(name, raw, expected)
        return value

    return parse


def positive(unit: str) -> Parser:
    """A number of `unit` (seconds, hours) above zero."""
    expected = f"a positive number of {unit}"

    def parse(name: str, raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise bad(name, raw, expected) from None
        if value <= 0:
            raise bad(name, raw, expected)
        return value

    return parse


def boolean(name: str, raw: str) -> bool:
    """true/false, 1/0 or yes/no."""
    if raw.lower() not in ("true", "false", "1", "0", "yes", "no"):
        raise bad(name, raw, "true or false")
    return raw.lower() in ("true", "1", "yes")


def domain_prefix(name: str, raw: str) -> str:
    """The store prefix, lower-cased (the 'mystore' of mystore.retail.lightspeed.app)."""
    prefix = raw.lower()
    if not _PREFIX_RE.match(prefix):
        raise bad(name, prefix, "only the store prefix, like 'mystore'")
    return prefix


def scopes(name: str, raw: str) -> tuple[str, ...]:
    """OAuth scopes like `sales:read`, separated by spaces or commas (each once, in order)."""
    found = tuple(dict.fromkeys(raw.replace(",", " ").split()))
    if not found or not all(_SCOPE_RE.match(scope) for scope in found):
        raise bad(name, raw, "scopes separated by spaces, like 'sales:read products:read'")
    return found


def time_zone(name: str, raw: str) -> str:
    """An IANA time zone name such as Pacific/Auckland (checked against the zone database)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(raw)
    except (ZoneInfoNotFoundError, ValueError):
        expected = "an IANA time zone name like Pacific/Auckland or Europe/Amsterdam"
        raise bad(name, raw, expected) from None
    return raw


def http_url(name: str, raw: str) -> str:
    """A URL starting with http:// or https://."""
    if not re.match(r"^https?://[^/\s]+", raw):
        raise bad(name, raw, "a URL starting with http:// or https://")
    return raw


def base_url(name: str, raw: str) -> str:
    """An http(s) URL whose only placeholder, if any, is {prefix} (the store's domain prefix)."""
    url = http_url(name, raw)
    rest = url.replace("{prefix}", "")
    if "{" in rest or "}" in rest:
        raise bad(name, raw, "a URL whose only placeholder is {prefix}")
    return url


def database_url(name: str, raw: str) -> str:
    """An SQLAlchemy URL for SQLite or Postgres (its text is kept out of the error)."""
    if not re.match(r"^(sqlite|postgresql|postgres)(\+\w+)?://", raw):
        raise SyncError(
            ErrorKind.CONFIG,
            f"{name} must start with sqlite:/// or postgresql:// (got a URL of another kind); "
            "e.g. sqlite:///data/lightspeed.db or postgresql://user:pass@host:5432/db.",
        )
    return raw


def clock_time(example: str, off: tuple[str, ...] = OFF) -> Parser:
    """A local time like 02:00 (zero-padded), or None for one of the `off` words."""

    def parse(name: str, raw: str) -> str | None:
        if raw.lower() in off:
            return None
        if not _TIME_RE.match(raw):
            raise bad(name, raw, f"a local time like {example}, or off")
        return raw.zfill(5)

    return parse


def opening_hours(name: str, raw: str) -> tuple[str, str] | None:
    """Local opening hours like 09:00-21:00 as (open, close), or None for off."""
    if raw.lower() in OFF:
        return None
    match = _HOURS_RE.match(raw.replace(" ", ""))
    if not match or not all(_TIME_RE.match(t) for t in match.groups()):
        raise bad(name, raw, "local opening hours like 09:00-21:00, or off")
    return match.group(1).zfill(5), match.group(2).zfill(5)


def entity_names(name: str, raw: str) -> tuple[str, ...]:
    """Synced entity names, separated by spaces or commas."""
    names = tuple(n.strip() for n in raw.replace(",", " ").split() if n.strip())
    if any(n not in SYNCED_ENTITIES for n in names):
        raise bad(name, raw, f"names from {', '.join(SYNCED_ENTITIES)}")
    return names


def rule_names(name: str, raw: str) -> tuple[str, ...]:
    """Alert rule names, each optionally as rule:entity."""
    names = tuple(n for n in raw.replace(",", " ").split() if n)
    for item in names:
        rule, _, entity = item.partition(":")
        if rule not in ALERT_RULES or (entity and entity not in SYNCED_ENTITIES):
            raise bad(
                name, raw, f"rule names from {', '.join(ALERT_RULES)}, optionally as rule:entity"
            )
    return names


def limit(upper: float, expected: str, *, whole_number: bool = False) -> Parser:
    """An alert rule limit in (0, upper]; `whole_number` also rejects fractions."""

    def parse(name: str, raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise bad(name, raw, expected) from None
        if not (0 < value <= upper) or (whole_number and value != int(value)):
            raise bad(name, raw, expected)
        return value

    return parse


def as_int(parse: Parser) -> Parser:
    """`parse`, with its number returned as an int."""
    return lambda name, raw: int(parse(name, raw))


@lru_cache(maxsize=256)
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
    path = urlsplit(url).path
    for part in re.findall(r"[^/:@?&=#\s]+", unquote(url)):
        # Random-looking parts only: masking a plain word would garble every log line.
        token_like = len(part) >= 12 or (len(part) >= 6 and re.search(r"\d", part))
        # A token-like path segment is secret even where apprise shows it (json://host/<token>).
        if token_like and (part not in shown or f"/{part}" in unquote(path)):
            found.append(part)
    return tuple(dict.fromkeys(found))


def alert_urls(name: str, raw: str) -> tuple[str, ...]:
    """Apprise URLs separated by spaces (each checked), or () for off."""
    if raw.lower() in OFF:
        return ()
    urls = tuple(raw.split())
    for number, url in enumerate(urls, 1):
        if alert_url_secrets(url) is None:
            raise SyncError(
                ErrorKind.CONFIG,
                f"{name} entry #{number} ({_scheme(url)}://...) is not a notification URL "
                "apprise understands: use e.g. mailto://user:pass@smtp.example.com?to=you@"
                "example.com, slack://TokenA/TokenB/TokenC or json://host/path (see .env.example).",
            )
    return urls


def _scheme(url: str) -> str:
    return url.split("://", 1)[0] if "://" in url else "?"


def mask_alert_urls(raw: str) -> str:
    """The URLs with their secret parts masked; an unreadable one shows its scheme only."""
    shown = []
    for url in raw.split():
        parts = alert_url_secrets(url)
        shown.append(f"{_scheme(url)}://..." if parts is None else redact(url, *parts))
    return " ".join(shown)
