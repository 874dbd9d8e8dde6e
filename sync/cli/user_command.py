"""`user add|list|remove|stores`: dashboard logins limited to some stores (DASHBOARD_USERS_FILE).

The .env user (DASHBOARD_USERNAME, `set-password`) sees every store; these users see only
their stores. Only hashes are written, to a file readable by its owner only.
"""

from __future__ import annotations

import argparse
import sys

from sync.cli.admin_commands import new_password_hash
from sync.cli.common import EXIT_FAILED, EXIT_OK, EXIT_USAGE, require_sql
from sync.config import Settings
from sync.config.users import DashboardUser, load_users, save_users, username_problem
from sync.errors import ErrorKind, SyncError
from sync.storage.sql.stores import list_stores


def cmd_user(settings: Settings, args: argparse.Namespace) -> int:
    """Add, list, remove a dashboard user, or change the stores one may see."""
    path = settings.dashboard_users_file
    users = load_users(path)
    if args.user_command == "list":
        return _list(settings, users)
    name = args.name.strip().lower()
    if args.user_command == "remove":
        if users.pop(name, None) is None:
            print(f"No dashboard user {name!r} in {path} (see `python -m sync user list`).")
            return EXIT_FAILED
        save_users(path, users)
        print(f"Removed dashboard user {name!r}: their next page load asks them to log in.")
        return EXIT_OK
    problem = username_problem(name)
    if problem is None and name == settings.dashboard_username.strip().lower():
        problem = (
            f"{name!r} is the .env user (DASHBOARD_USERNAME), who sees every store: "
            "choose another name."
        )
    if problem:
        print(problem, file=sys.stderr)
        return EXIT_USAGE
    stores = _known(settings, args.stores)
    if args.user_command == "stores":
        if name not in users:
            print(f"No dashboard user {name!r} in {path} (see `python -m sync user list`).")
            return EXIT_FAILED
        users[name] = DashboardUser(name, users[name].password_hash, stores)
        save_users(path, users)
        print(f"Dashboard user {name!r} now sees {', '.join(stores)}.")
        return EXIT_OK
    if name in users:
        print(
            f"A dashboard user {name!r} already exists: `python -m sync user stores {name} "
            "PREFIX...` changes their stores, `user remove` removes them.",
            file=sys.stderr,
        )
        return EXIT_USAGE
    hashed = new_password_hash(args.password_stdin, f"Password for {name}: ")
    if hashed is None:
        return EXIT_USAGE
    users[name] = DashboardUser(name, hashed, stores)
    save_users(path, users)
    print(
        f"Dashboard user {name!r} added to {path} (bcrypt hash, mode 0600); they see "
        f"{', '.join(stores)}. No restart needed."
    )
    return EXIT_OK


def _known(settings: Settings, stores: list[str]) -> tuple[str, ...]:
    """`stores` without repeats, each one a store of the database (else one sentence)."""
    known = [s.prefix for s in list_stores(require_sql(settings, "Checking the stores").engine)]
    wanted = tuple(dict.fromkeys(s.strip() for s in stores))
    unknown = [s for s in wanted if s not in known]
    if unknown:
        raise SyncError(
            ErrorKind.CONFIG,
            f"This database holds no store {unknown[0]!r}; nothing was changed.",
            recovery=f"Use one of {', '.join(known)} (`python -m sync store list`).",
        )
    return wanted


def _list(settings: Settings, users: dict[str, DashboardUser]) -> int:
    everyone = settings.dashboard_username.strip().lower()
    rows = [(everyone, "all (the .env user)")]
    rows += [(u.username, ", ".join(u.stores)) for u in sorted(users.values(), key=_name)]
    width = max(len(r[0]) for r in (("user", ""), *rows))
    print(f"{'user'.ljust(width)}  stores")
    for name, stores in rows:
        print(f"{name.ljust(width)}  {stores}")
    return EXIT_OK


def _name(user: DashboardUser) -> str:
    return user.username
