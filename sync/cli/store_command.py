"""`store`: the Lightspeed stores this database syncs (issue 27): add (a personal token read
from stdin, checked against the store's API first), list, enable, disable and remove; and
grant, revoke and readers (sync.cli.store_readers_command)."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import sys
from typing import Any

from sync.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, require_sql
from sync.config import Settings
from sync.errors import ErrorKind, SyncError, redact
from sync.lightspeed.oauth import valid_prefix
from sync.lightspeed.probe import probe_store
from sync.runs import utcnow
from sync.storage.sql.store import Store
from sync.storage.sql.store_admin import (
    add_store,
    find_store,
    list_stores,
    remove_store,
    set_enabled,
)
from sync.storage.sql.store_readers import roles_limited_to
from sync.storage.stores import StoreInfo


def cmd_store(settings: Settings, args: argparse.Namespace) -> int:
    """Add, list, enable, disable or remove a store, or limit a role to some stores (with
    the writer's login)."""
    store = require_sql(settings, "Managing stores")
    engine = store.engine
    action = args.store_command
    if action == "list":
        return _list(store)
    if action in ("grant", "revoke", "readers"):
        from sync.cli.store_readers_command import cmd_store_readers

        return cmd_store_readers(store, args)
    prefix = valid_prefix(args.prefix)
    if prefix is None:
        print(
            f"{args.prefix!r} is not a Lightspeed store prefix: use the 'mystore' of "
            "mystore.retail.lightspeed.app (letters, digits and hyphens).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    if action == "add":
        return _add(settings, store, prefix, args)
    if action in ("enable", "disable"):
        if not set_enabled(engine, prefix, action == "enable"):
            print(f"No store {prefix} in this database (see `python -m sync store list`).")
            return EXIT_FAILED
        what = "syncs again" if action == "enable" else "is no longer synced; its data stays"
        print(f"Store {prefix} {what}.")
        return EXIT_OK
    return _remove(settings, store, prefix, purge=args.purge, yes=args.yes)


def _read_token(args: argparse.Namespace) -> str:
    if args.token_stdin:
        token = sys.stdin.readline().strip()
    elif sys.stdin.isatty():
        token = getpass.getpass("The store's personal token (not shown): ").strip()
    else:
        token = ""
    if not token:
        raise SyncError(
            ErrorKind.CONFIG,
            "No personal token was given for the store.",
            recovery="Pipe it in: `python -m sync store add PREFIX --token-stdin < token.txt`; "
            "or, to connect as an app, set LIGHTSPEED_CLIENT_ID and LIGHTSPEED_CLIENT_SECRET.",
        )
    return token


def _add(settings: Settings, store: Store, prefix: str, args: argparse.Namespace) -> int:
    base = settings.lightspeed_base_url
    if prefix != settings.store_prefix and base and "{prefix}" not in base:
        raise SyncError(
            ErrorKind.CONFIG,
            "LIGHTSPEED_BASE_URL has no {prefix}, so every store would reach the same API.",
            recovery="Put {prefix} where the store's prefix goes in LIGHTSPEED_BASE_URL, or "
            "unset it for real Lightspeed stores.",
        )
    existing = find_store(store.engine, prefix)
    name = args.name or (existing.name if existing else prefix)
    as_app = not args.token_stdin and bool(
        settings.lightspeed_client_id and settings.lightspeed_client_secret
    )
    if as_app:
        add_store(store.engine, StoreInfo(prefix, name, "app", None), None, now=utcnow())
        print(
            f"Added store {prefix} ({name}) as an app: run `python -m sync connect --store "
            f"{prefix}` to authorize it."
        )
        return EXIT_OK
    token = _read_token(args)
    candidate = dataclasses.replace(
        settings,
        lightspeed_domain_prefix=prefix,
        lightspeed_token=token,
        added_store=prefix != settings.store_prefix,
    )
    failed = [f for f in probe_store(candidate) if f.status == "fail"]
    if failed:
        first = failed[0]
        reason = first.summary.rstrip(".")
        print(
            redact(f"Store {prefix} was not added: {reason}. {first.fix or ''}".strip(), token),
            file=sys.stderr,
        )
        return EXIT_FAILED
    new = add_store(store.engine, StoreInfo(prefix, name, "token", None), token, now=utcnow())
    if new:
        print(f"Added store {prefix} ({name}); the scheduler syncs it from its next cycle.")
    else:
        print(f"Updated store {prefix} ({name}): its new token is kept.")
    return EXIT_OK


def _remove(settings: Settings, store: Store, prefix: str, *, purge: bool, yes: bool) -> int:
    if find_store(store.engine, prefix) is None and not purge:
        print(f"No store {prefix} in this database (see `python -m sync store list`).")
        return EXIT_FAILED
    limited = roles_limited_to(store.engine, prefix)
    if limited:
        print(
            f"Role(s) {', '.join(limited)} may read store {prefix}: take it from them first "
            f"with `python -m sync store revoke ROLE {prefix}` (a role left with no store "
            "would read every store).",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if prefix == settings.store_prefix:
        print(
            f"Store {prefix} is the one LIGHTSPEED_DOMAIN_PREFIX names (the first store): "
            "disable it with `python -m sync store disable`, or change that setting first.",
            file=sys.stderr,
        )
        return EXIT_FAILED
    what = "and delete every row of its data" if purge else "(its data stays in the tables)"
    if not yes and not _confirm(f"Remove store {prefix} from syncing {what}? [y/N] "):
        print("Nothing removed.")
        return EXIT_FAILED
    deleted = remove_store(store.engine, prefix, purge=purge)
    rows = sum(n for table, n in deleted.items() if table != "lightspeed_stores")
    if purge:
        print(f"Removed store {prefix} and its {rows} row(s) of data, in one transaction.")
    else:
        print(f"Removed store {prefix} from syncing; its data stays (`--purge` deletes it).")
    return EXIT_OK


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        print("Refusing to remove a store without confirmation: add --yes.", file=sys.stderr)
        return False
    return input(question).strip().lower() in ("y", "yes")


def _list(store: Store) -> int:
    rows = list_stores(store.engine)
    if not rows:
        print("No stores yet: `python -m sync store add PREFIX --token-stdin`.")
        return EXIT_OK
    header = ("prefix", "name", "zone", "connection", "enabled", "added", "last success")
    table = [
        (
            s.prefix,
            s.name,
            s.time_zone or "-",
            s.connection,
            "yes" if s.enabled else "no",
            _when(s.added_at),
            _when(s.last_success) or "never",
        )
        for s in rows
    ]
    widths = [max(len(str(r[i])) for r in (header, *table)) for i in range(len(header))]
    for r in (header, *table):
        print("  ".join(str(v).ljust(w) for v, w in zip(r, widths, strict=True)).rstrip())
    return EXIT_OK


def _when(moment: Any) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else ""
