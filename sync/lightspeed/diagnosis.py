"""Why Lightspeed cannot be reached: a store name that does not exist vs a network that is down.

A store lives at `<prefix>.retail.lightspeed.app`. When that name does not resolve while
Lightspeed's own login host does, the prefix is wrong; when neither resolves, the network is.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from sync.errors import ErrorKind, SyncError

STORE_DOMAIN = "retail.lightspeed.app"
REFERENCE_HOST = f"secure.{STORE_DOMAIN}"  # Lightspeed's login host: resolves whenever DNS works

Resolver = Callable[[str], bool]
"""host → whether the name resolves."""


def system_resolves(host: str) -> bool:
    """True when this machine can look `host` up."""
    try:
        socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return False
    return True


# The one seam for name lookups outside urllib3: tests (offline) put a fake resolver here.
resolve_host: Resolver = system_resolves


def resolves(host: str) -> bool:
    """Whether `host` resolves, through the current `resolve_host`."""
    return resolve_host(host)


def host_of(base_url: str) -> str:
    """The host name of an API base URL."""
    return urlsplit(base_url).hostname or base_url


def store_prefix(host: str) -> str | None:
    """The `mystore` of `mystore.retail.lightspeed.app`, or None for any other host."""
    prefix, dot, domain = host.lower().partition(".")
    return prefix if dot and domain == STORE_DOMAIN and prefix != "secure" else None


def scope_for_path(path: str) -> str:
    """The read scope an API path needs: `/inventory` → `inventory:read` (`/search`: sales)."""
    resource = path.strip("/").split("/", 1)[0].split("?", 1)[0] or "?"
    return f"{'sales' if resource == 'search' else resource}:read"


def unresolved_host_error(base_url: str) -> SyncError:
    """The error for an API host whose name did not resolve, with the likely cause."""
    host = host_of(base_url)
    prefix = store_prefix(host)
    network_up = resolves(REFERENCE_HOST)
    if prefix and network_up:
        return SyncError(
            ErrorKind.CONFIG,
            f"There is no Lightspeed store at {host}: the name does not resolve, while "
            f"{REFERENCE_HOST} does. The store prefix {prefix!r} is probably wrong.",
            recovery="Check LIGHTSPEED_DOMAIN_PREFIX in .env: it is the 'mystore' of your "
            "store's address, https://mystore.retail.lightspeed.app (the address you log in at).",
        )
    if network_up:
        return SyncError(
            ErrorKind.CONFIG,
            f"The name {host} does not resolve, while other names do.",
            recovery="Check LIGHTSPEED_BASE_URL in .env (leave it unset for a real store and set "
            "LIGHTSPEED_DOMAIN_PREFIX instead).",
        )
    also = (
        f" If the network is fine, check LIGHTSPEED_DOMAIN_PREFIX ({prefix!r})."
        if prefix
        else " If the network is fine, check LIGHTSPEED_BASE_URL."
    )
    return SyncError(
        ErrorKind.NETWORK,
        f"This host cannot look up {host}, nor {REFERENCE_HOST}: its network or DNS is down.",
        recovery="Check this host's internet connection and DNS; the next run retries "
        "automatically." + also,
    )
