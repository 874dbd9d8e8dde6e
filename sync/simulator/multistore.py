"""Several stores in one stand-in: the ``--stores`` list, per-store settings and request routing.

A store is reached at ``/{prefix}/api/2.0/...`` (likewise ``/{prefix}/_sim/...``,
``/{prefix}/connect``, ``/{prefix}/api/1.0/token``) or by the Host header
(``{prefix}.localhost:PORT`` or a forwarded ``{prefix}.retail.lightspeed.app``). A path
without a prefix reaches the default store, which exists only when one store is served.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Collection, Mapping, Sequence

from .config import SimulatorConfig
from .oauth import DOMAIN_PREFIX

DEFAULT_PREFIX = DOMAIN_PREFIX  # the single store's prefix ("devstore")
PLACEHOLDER = "{prefix}"
MULTI_TOKEN = "dev-token-{prefix}"  # noqa: S105 - the public tokens of several local stores
MAX_STORES = 500
# First path segments that belong to the unprefixed routes, so never a store's prefix.
ROOTS = frozenset({"api", "_sim", "connect"})
HOST_SUFFIXES = (".localhost", ".retail.lightspeed.app")
_PREFIX_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


class RouteError(Exception):
    """A request naming a store that is not served here, or two different stores."""

    def __init__(self, status: int, message: str) -> None:
        """Keep the HTTP status with the message."""
        super().__init__(message)
        self.status = status
        self.message = message


def parse_stores(spec: str) -> list[str]:
    """``"3"`` -> store1..store3; ``"acme,acme-nz"`` -> those prefixes (ValueError if invalid)."""
    spec = spec.strip()
    if spec.isdigit():
        count = int(spec)
        if not 1 <= count <= MAX_STORES:
            raise ValueError(f"--stores takes a number from 1 to {MAX_STORES}, not {count}")
        return [f"store{n}" for n in range(1, count + 1)]
    prefixes = [part.strip().lower() for part in spec.split(",") if part.strip()]
    return check_prefixes(prefixes)


def check_prefixes(prefixes: Sequence[str]) -> list[str]:
    """The prefixes as given, or ValueError naming the first bad or repeated one."""
    if not prefixes:
        raise ValueError("--stores needs a number or store prefixes separated by commas")
    seen: set[str] = set()
    for prefix in prefixes:
        if not _PREFIX_RE.match(prefix) or prefix in ROOTS:
            raise ValueError(
                f"store prefix {prefix!r} is not valid: use letters, digits and hyphens "
                "(like acme-nz), not api or connect"
            )
        if prefix in seen:
            raise ValueError(f"store prefix {prefix!r} is given twice")
        seen.add(prefix)
    return list(prefixes)


def parse_store_tokens(items: Sequence[str], prefixes: Collection[str]) -> dict[str, str]:
    """``["acme=SECRET", ...]`` -> {prefix: token} (ValueError on an unknown store or no '=')."""
    tokens: dict[str, str] = {}
    for item in items:
        prefix, sep, token = item.partition("=")
        prefix = prefix.strip().lower()
        if not sep or not token:
            raise ValueError("--store-token takes PREFIX=TOKEN, e.g. acme=tok-acme")
        if prefix not in prefixes:
            raise ValueError(f"--store-token names store {prefix!r}, which --stores does not list")
        tokens[prefix] = token
    return tokens


def store_seed(seed: int, prefix: str) -> int:
    """The data seed of one of several stores: derived from the base seed and the prefix."""
    digest = hashlib.sha256(f"lightspeed-dev-stand-in:{seed}:{prefix}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def store_configs(
    base: SimulatorConfig, prefixes: Sequence[str], tokens: Mapping[str, str] | None = None
) -> dict[str, SimulatorConfig]:
    """One config per store: its own seed, and its token from ``tokens`` or ``base.token``.

    ``{prefix}`` in ``base.token`` becomes the store's prefix (distinct tokens per store).
    """
    configs: dict[str, SimulatorConfig] = {}
    for prefix in check_prefixes(prefixes):
        token = (tokens or {}).get(prefix)
        if token is None and base.token is not None:
            token = base.token.replace(PLACEHOLDER, prefix)
        copy = dataclasses.replace(base, seed=store_seed(base.seed, prefix), token=token)
        configs[prefix] = copy
    return configs


def host_prefix(host: str | None) -> str | None:
    """The ``acme`` of ``acme.localhost:8765`` or ``acme.retail.lightspeed.app``, else None."""
    if not host:
        return None
    name = host.split(",")[0].strip().lower()  # a proxy chain lists the client's host first
    if name.startswith("["):
        return None  # an IPv6 literal
    name = name.rsplit(":", 1)[0].rstrip(".")
    for suffix in HOST_SUFFIXES:
        label = name.removesuffix(suffix)
        if label != name and label and "." not in label:
            return label
    return None


def route(path: str, host: str | None, prefixes: Collection[str]) -> tuple[str | None, str]:
    """(the store's prefix or None for the default store, the path below the prefix)."""
    named_by_host = host_prefix(host)
    if named_by_host is not None and named_by_host not in prefixes:
        raise RouteError(404, _unknown(named_by_host, prefixes))
    segment, _, rest = path.lstrip("/").partition("/")
    named_by_path: str | None = None
    if segment in prefixes:
        named_by_path, path = segment, "/" + rest
    elif segment not in ROOTS and rest.split("/", 1)[0] in ROOTS:
        raise RouteError(404, _unknown(segment, prefixes))
    if named_by_host and named_by_path and named_by_host != named_by_path:
        raise RouteError(
            400, f"the Host names store {named_by_host} but the path names {named_by_path}"
        )
    return named_by_path or named_by_host, path


def no_default(prefixes: Collection[str]) -> str:
    """The error of an unprefixed request when several stores are served."""
    first = next(iter(prefixes))
    return (
        f"{len(prefixes)} stores are served here: put the store's prefix first, "
        f"e.g. /{first}/api/2.0/sales (stores: {', '.join(prefixes)})"
    )


def _unknown(prefix: str, prefixes: Collection[str]) -> str:
    return f"no store {prefix!r} is served here (stores: {', '.join(prefixes)})"
