"""`api` (the health API process) and `api-key create|list|revoke` (its keys)."""

from __future__ import annotations

import argparse
from typing import Any

from sync.cli.common import EXIT_FAILED, EXIT_OK, require_sql
from sync.config import Settings
from sync.runs import utcnow
from sync.storage.sql.api_keys import create_key, list_keys, revoke_key


def cmd_api(settings: Settings, args: argparse.Namespace) -> int:
    """Serve the health API until Ctrl-C / SIGTERM."""
    from sync.api import serve

    serve(settings, host=args.host, port=args.port)
    return EXIT_OK


def cmd_api_key(settings: Settings, args: argparse.Namespace) -> int:
    """Create, list or revoke API keys (with the writer's login)."""
    engine = require_sql(settings, "Managing API keys").engine
    if args.api_key_command == "create":
        row, key = create_key(engine, args.name, admin=args.admin, now=utcnow(), stores=args.stores)
        print(
            f"Created {row.scope} key {row.name!r} ({row.prefix}…) for {_stores(row.stores)}. "
            "It is shown only now:"
        )
        print(key)
        return EXIT_OK
    if args.api_key_command == "revoke":
        if revoke_key(engine, args.name, utcnow()):
            print(f"Revoked key {args.name!r}: it stops working at once.")
            return EXIT_OK
        print(f"No live key named {args.name!r} (see `python -m sync api-key list`).")
        return EXIT_FAILED
    rows = list_keys(engine)
    if not rows:
        print("No API keys yet: `python -m sync api-key create NAME [--admin]`.")
        return EXIT_OK
    header = ("name", "prefix", "scope", "stores", "created", "last used", "revoked")
    table = [
        (
            k.name,
            k.prefix + "…",
            k.scope,
            ",".join(sorted(k.stores)) if k.stores is not None else "all",
            _when(k.created_at),
            _when(k.last_used_at) or "never",
            _when(k.revoked_at) or "-",
        )
        for k in rows
    ]
    widths = [max(len(str(r[i])) for r in (header, *table)) for i in range(len(header))]
    for r in (header, *table):
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    return EXIT_OK


def _stores(stores: frozenset[str] | None) -> str:
    return "every store" if stores is None else "the stores " + ", ".join(sorted(stores))


def _when(moment: Any) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else ""
