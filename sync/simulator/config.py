"""Configuration of the development stand-in: data scale/seed, auth, live mode and faults."""

from __future__ import annotations

import dataclasses
from dataclasses import InitVar, dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SCALES: dict[str, dict[str, int]] = {
    "tiny": {"customers": 40, "products": 25, "outlets": 2, "sales": 150},
    "small": {"customers": 500, "products": 300, "outlets": 3, "sales": 2_000},
    "30k": {"customers": 6_000, "products": 1_500, "outlets": 3, "sales": 30_000},
    "medium": {"customers": 20_000, "products": 5_000, "outlets": 5, "sales": 100_000},
    "120k": {"customers": 24_000, "products": 6_000, "outlets": 5, "sales": 120_000},
    "large": {"customers": 50_000, "products": 10_000, "outlets": 8, "sales": 333_000},
}

# Fields that may change while the simulator runs (POST /_sim/faults, set_faults()).
RUNTIME_FIELDS = (
    "token",
    "live_interval",
    "error_rate",
    "timeout_rate",
    "timeout_delay",
    "burst_429_every",
    "burst_429_length",
    "retry_after_seconds",
    "auth_fail",
    "forbidden",
    "forbidden_paths",
    "malformed_rate",
    "max_page_size",
    "page_size_policy",
    "empty_version",
    "rate_limit",
    "rate_window",
    "rate_limit_reset_header",
    "fail_next",
    "fault_seed",
    "down_paths",
    "search_max_offset",
    "search_ignore_offset",
    "search_without_version",
    "search_order_by",
    "search_unordered",
    "trickle_rate",
    "trickle_delay",
)

DEFAULT_TOKEN = "dev-token"  # noqa: S105 - the public token of the local stand-in

_RATES = ("error_rate", "timeout_rate", "malformed_rate", "trickle_rate")
_BOOLS = (
    "auth_fail",
    "forbidden",
    "rate_limit_reset_header",
    "search_ignore_offset",
    "search_without_version",
    "search_unordered",
)
_CHOICES = {
    "page_size_policy": ("clamp", "reject"),
    "empty_version": ("null", "absent"),
    "search_order_by": ("accept", "refuse", "ignore"),
}
# The scopes the simulated app declares in the developer portal.
DEFAULT_OAUTH_SCOPES = (
    "customers:read",
    "outlets:read",
    "products:read",
    "sales:read",
    "inventory:read",
)


@dataclass
class SimulatorConfig:
    """Everything that shapes the stand-in; fault fields default to "off".

    ``faults`` (init only) is a dict of fault fields applied on top of the keyword values.
    """

    seed: int = 42
    scale: str = "small"
    sales: int | None = None  # generation only: this many sales instead of the scale's
    token: str | None = DEFAULT_TOKEN
    live_interval: float | None = None
    anchor: str = "2025-11-25"
    # Demo: live changes carry the real time (the default keeps the deterministic clock that
    # advances from `anchor`); pair it with anchor=now so the sales run up to today.
    wall_clock: bool = False
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_delay: float = 5.0
    burst_429_every: int = 0
    burst_429_length: int = 1
    retry_after_seconds: float = 1.0
    auth_fail: bool = False
    forbidden: bool = False
    forbidden_paths: list[str] = field(default_factory=list)  # e.g. ["/inventory"]: 403 there
    malformed_rate: float = 0.0
    max_page_size: int = 1000
    page_size_policy: str = "clamp"
    empty_version: str = "null"
    rate_limit: int = 100_000
    rate_window: float = 300.0
    rate_limit_reset_header: bool = False
    fail_next: list[int] = field(default_factory=list)
    down_paths: list[str] = field(default_factory=list)  # e.g. ["/search"]: always 503
    search_max_offset: int = 0  # 0: any offset; else a deeper one is refused (400)
    search_ignore_offset: bool = False
    search_without_version: bool = False
    # order_by=sale_date is not a documented sort field: "accept" honours it, "refuse"
    # answers 400 naming order_by, "ignore" drops it. `search_unordered`: an answer without
    # an honoured order comes in id order instead of by sale_date.
    search_order_by: str = "accept"
    search_unordered: bool = False
    trickle_rate: float = 0.0  # share of answers sent a few bytes at a time
    trickle_delay: float = 0.2  # seconds between those few bytes
    fault_seed: int = 0
    # OAuth mode (on when oauth_client_id is set): /connect, /api/1.0/token, rotating tokens.
    oauth_client_id: str | None = None
    oauth_client_secret: str = "dev-secret"  # noqa: S105 - the public secret of the stand-in
    oauth_token_seconds: float = 3600.0
    oauth_rotate: bool = True
    oauth_scopes: list[str] = field(default_factory=lambda: list(DEFAULT_OAUTH_SCOPES))
    # Generation only: outlets take these IANA zones in turn (empty: the built-in European ones).
    outlet_time_zones: list[str] = field(default_factory=list)
    faults: InitVar[dict[str, Any] | None] = None

    def __post_init__(self, faults: dict[str, Any] | None) -> None:
        """Apply the optional ``faults`` dict, then validate everything."""
        if self.scale not in SCALES:
            raise ValueError(f"scale must be one of {', '.join(SCALES)}, not {self.scale!r}")
        if self.sales is not None:
            _number("sales", self.sales, minimum=0, integer=True)
        self.fail_next = list(self.fail_next)
        self.forbidden_paths = list(self.forbidden_paths)
        self.oauth_scopes = list(self.oauth_scopes)
        self.outlet_time_zones = list(self.outlet_time_zones)
        for zone in self.outlet_time_zones:
            try:
                ZoneInfo(zone)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"outlet time zone {zone!r} is not an IANA zone name") from None
        self.update(faults or {})

    def update(self, changes: dict[str, Any]) -> None:
        """Validate and apply runtime changes; raises ValueError (nothing applied) on bad input."""
        unknown = sorted(set(changes) - set(RUNTIME_FIELDS))
        if unknown:
            raise ValueError(f"unknown or read-only setting(s): {', '.join(unknown)}")
        merged = {name: getattr(self, name) for name in RUNTIME_FIELDS}
        merged.update(changes)
        checked = _validate(merged)
        for name, value in checked.items():
            setattr(self, name, value)

    def to_dict(self) -> dict[str, Any]:
        """Every field as a JSON-ready dict."""
        out = dataclasses.asdict(self)
        out["fail_next"] = list(self.fail_next)
        out["forbidden_paths"] = list(self.forbidden_paths)
        return out

    def counts(self) -> dict[str, int]:
        """Target record counts for the configured scale (and sales count)."""
        return scale_counts(self.scale, self.sales)


def scale_counts(scale: str, sales: int | None = None) -> dict[str, int]:
    """The record counts of `scale`, with `sales` sales when given."""
    counts = dict(SCALES[scale])
    if sales is not None:
        counts["sales"] = sales
    return counts


def _number(name: str, value: Any, *, minimum: float, integer: bool = False) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{name} must be a number")
    if integer and int(value) != value:
        raise ValueError(f"{name} must be an integer")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}")
    return int(value) if integer else float(value)


def _validate(values: dict[str, Any]) -> dict[str, Any]:
    out = dict(values)
    for name in _RATES:
        out[name] = _number(name, values[name], minimum=0.0)
        if out[name] > 1.0:
            raise ValueError(f"{name} must be between 0 and 1")
    for name in _BOOLS:
        if not isinstance(values[name], bool):
            raise ValueError(f"{name} must be true or false")
    for name, allowed in _CHOICES.items():
        if values[name] not in allowed:
            raise ValueError(f"{name} must be one of {', '.join(allowed)}")
    out["timeout_delay"] = _number("timeout_delay", values["timeout_delay"], minimum=0.0)
    out["trickle_delay"] = _number("trickle_delay", values["trickle_delay"], minimum=0.0)
    out["retry_after_seconds"] = _number(
        "retry_after_seconds", values["retry_after_seconds"], minimum=0.0
    )
    out["rate_window"] = _number("rate_window", values["rate_window"], minimum=0.001)
    out["rate_limit"] = _number("rate_limit", values["rate_limit"], minimum=1, integer=True)
    out["max_page_size"] = _number(
        "max_page_size", values["max_page_size"], minimum=1, integer=True
    )
    out["burst_429_every"] = _number(
        "burst_429_every", values["burst_429_every"], minimum=0, integer=True
    )
    out["burst_429_length"] = _number(
        "burst_429_length", values["burst_429_length"], minimum=1, integer=True
    )
    out["fault_seed"] = _number("fault_seed", values["fault_seed"], minimum=0, integer=True)
    if values["live_interval"] is not None:
        out["live_interval"] = _number("live_interval", values["live_interval"], minimum=0.01)
    token = values["token"]
    if token is not None and not isinstance(token, str):
        raise ValueError("token must be a string or null")
    fail_next = values["fail_next"]
    if not isinstance(fail_next, list | tuple) or not all(
        isinstance(code, int) and not isinstance(code, bool) and 100 <= code <= 599
        for code in fail_next
    ):
        raise ValueError("fail_next must be a list of HTTP status codes")
    out["fail_next"] = list(fail_next)
    out["forbidden_paths"] = _api_paths(values, "forbidden_paths", '["/inventory"]')
    out["down_paths"] = _api_paths(values, "down_paths", '["/search"]')
    deepest = values["search_max_offset"]
    if isinstance(deepest, bool) or not isinstance(deepest, int) or deepest < 0:
        raise ValueError("search_max_offset must be a whole number, 0 for no limit")
    return out


def _api_paths(values: dict[str, Any], name: str, example: str) -> list[str]:
    paths = values[name]
    if not isinstance(paths, list | tuple) or not all(
        isinstance(path, str) and path.startswith("/") for path in paths
    ):
        raise ValueError(f"{name} must be a list of API paths such as {example}")
    return list(paths)
