"""`store grant|revoke|readers`: database roles limited to some stores by row-level security
(issue 27, Postgres and Supabase through a direct connection)."""

from __future__ import annotations

import argparse
import sys

from sync.cli.common import EXIT_OK, EXIT_USAGE
from sync.lightspeed.oauth import valid_prefix
from sync.storage.sql.store import Store
from sync.storage.sql.store_readers import grant_stores, readers, require_roles, revoke_stores


def cmd_store_readers(store: Store, args: argparse.Namespace) -> int:
    """Grant a role stores, revoke them, or list the limited roles."""
    engine = store.engine
    require_roles(engine)
    if args.store_command == "readers":
        return _list(readers(engine))
    prefixes = [valid_prefix(p) or "" for p in args.prefixes]
    bad = [p for p, ok in zip(args.prefixes, prefixes, strict=True) if not ok]
    if bad:
        print(
            f"{bad[0]!r} is not a Lightspeed store prefix: use the 'mystore' of "
            "mystore.retail.lightspeed.app (letters, digits and hyphens).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if args.store_command == "grant":
        now = grant_stores(engine, args.role, prefixes)
        print(f"Role {args.role} may read only {', '.join(now)} (row-level security).")
        return EXIT_OK
    kept = revoke_stores(engine, args.role, prefixes or None)
    if kept:
        print(f"Role {args.role} may read only {', '.join(kept)}.")
    else:
        print(f"Role {args.role} is no longer limited: it reads every store again.")
    return EXIT_OK


def _list(found: dict[str, list[str]]) -> int:
    if not found:
        print(
            "No role is limited to some stores: every reader sees every store "
            "(`python -m sync store grant ROLE PREFIX...` limits one)."
        )
        return EXIT_OK
    width = max(len("role"), *(len(r) for r in found))
    print(f"{'role'.ljust(width)}  stores")
    for role, prefixes in found.items():
        print(f"{role.ljust(width)}  {', '.join(prefixes)}")
    return EXIT_OK
