"""The /_sim/ control endpoints (no auth, no faults) and request statistics."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from . import mutations
from .data import ENTITIES
from .formats import LABEL, decode, encode

if TYPE_CHECKING:
    from .site import StoreSite


class Stats:
    """Counts of /api/2.0 requests by path and status."""

    def __init__(self) -> None:
        """Start at zero."""
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything counted so far."""
        with self.lock:
            self.total = 0
            self.by_path: dict[str, int] = {}
            self.by_status: dict[str, int] = {}

    def count(self, path: str, status: int) -> None:
        """Count one answered request."""
        with self.lock:
            self.total += 1
            self.by_path[path] = self.by_path.get(path, 0) + 1
            key = str(status)
            self.by_status[key] = self.by_status.get(key, 0) + 1

    def snapshot(self) -> dict[str, Any]:
        """``{"total": n, "by_path": {...}, "by_status": {...}}``."""
        with self.lock:
            return {
                "total": self.total,
                "by_path": dict(self.by_path),
                "by_status": dict(self.by_status),
            }


class ControlError(Exception):
    """A control request that cannot be served; answered with ``{"error": message}``."""

    def __init__(self, status: int, message: str) -> None:
        """Keep the HTTP status with the message."""
        super().__init__(message)
        self.status = status
        self.message = message


def _json_body(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        parsed = decode(body)
    except ValueError as exc:
        raise ControlError(400, f"body is not valid JSON: {exc}") from None
    if not isinstance(parsed, dict):
        raise ControlError(400, "body must be a JSON object")
    return parsed


def health(sim: StoreSite) -> dict[str, Any]:
    """The /_sim/health document of one store."""
    return {
        "ok": True,
        "label": LABEL,
        "domain_prefix": sim.prefix,
        "scale": sim.config.scale,
        "seed": sim.config.seed,
        "counts": sim.counts(),
        "version": sim.store.version if sim.store is not None else None,
    }


def overview(sites: Iterable[StoreSite]) -> dict[str, Any]:
    """The unprefixed /_sim/health document when several stores are served."""
    return {"ok": True, "label": LABEL, "stores": {site.prefix: health(site) for site in sites}}


def handle(sim: StoreSite, method: str, path: str, body: bytes) -> tuple[int, bytes]:
    """Answer one /_sim/ request for one store; returns (status, JSON bytes)."""
    route = path.rstrip("/")
    store = sim.generate()
    try:
        if method == "GET" and route == "/_sim/health":
            return 200, encode(health(sim))
        if method == "GET" and route.startswith("/_sim/dump/"):
            entity = route.removeprefix("/_sim/dump/")
            if entity not in ENTITIES:
                raise ControlError(404, f"unknown entity {entity!r}")
            return 200, store.dump(entity)
        if method == "GET" and route == "/_sim/stats":
            return 200, encode(sim.stats())
        if method == "POST" and route == "/_sim/stats/reset":
            sim.reset_stats()
            return 200, encode(sim.stats())
        if route == "/_sim/faults":
            if method == "GET":
                return 200, encode(sim.config.to_dict())
            if method == "POST":
                return 200, encode(sim.set_faults(**_json_body(body)))
        if method == "POST" and route == "/_sim/mutate":
            return 200, encode(mutations.apply(store, _json_body(body)))
    except ControlError as exc:
        return exc.status, encode({"error": exc.message})
    except ValueError as exc:
        return 400, encode({"error": str(exc)})
    if route in (
        "/_sim/health",
        "/_sim/stats",
        "/_sim/stats/reset",
        "/_sim/faults",
        "/_sim/mutate",
    ):
        return 405, encode({"error": f"{method} not allowed on {route}"})
    return 404, encode({"error": "Not found"})
