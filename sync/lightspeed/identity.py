"""How this product names itself to Lightspeed, and which of the scopes it needs a grant holds."""

from __future__ import annotations

from sync import __version__
from sync.config import SYNC_SCOPES

# Lightspeed asks every client, its token endpoint included, for a meaningful User-Agent.
USER_AGENT = f"lightspeed-sync-health/{__version__}"


def scope_list(text: str | None) -> tuple[str, ...]:
    """The scopes of a space- (or comma-) separated `scope` value, in order, once each."""
    return tuple(dict.fromkeys((text or "").replace(",", " ").split()))


def missing_scopes(granted: str | None, needed: tuple[str, ...] = SYNC_SCOPES) -> tuple[str, ...]:
    """The scopes of `needed` that `granted` (a token answer's `scope`) does not hold."""
    have = set(scope_list(granted))
    return tuple(scope for scope in needed if scope not in have)
