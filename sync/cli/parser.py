"""The argparse parser: global options and one subparser per command.

Every subparser is defined here, not next to its handler: building the parser must not
import the handlers' modules (`run` would pay for `check`, `connect` and `api` imports).
"""

from __future__ import annotations

import argparse
from datetime import date
from typing import Any

from sync.entities import ENTITY_BY_NAME
from sync.storage.queueing import REQUESTABLE

STORE_HELP = "the store (domain prefix) to use; default: LIGHTSPEED_DOMAIN_PREFIX's"


def _add_store_choice(command: argparse.ArgumentParser, *, all_help: str) -> None:
    """`--store PREFIX` or `--all-stores` (neither: the configured store)."""
    which = command.add_mutually_exclusive_group()
    which.add_argument("--store", metavar="PREFIX", help=STORE_HELP)
    which.add_argument("--all-stores", action="store_true", help=all_help)


def build_parser() -> argparse.ArgumentParser:
    """The `python -m sync` parser; a new command adds its subparser here (help order)."""
    parser = argparse.ArgumentParser(
        prog="python -m sync",
        description="Lightspeed Sync & Health: keep an exact copy of a Lightspeed X-Series store.",
    )
    parser.add_argument("--env-file", default=".env", help="settings file (default .env)")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    _add_check_parser(sub)
    _add_connect_parser(sub)
    migrate_cmd = sub.add_parser("migrate", help="create or upgrade all tables (idempotent)")
    migrate_cmd.add_argument(
        "--sql",
        action="store_true",
        help="print the setup script for the Supabase SQL editor instead of running it",
    )
    run = sub.add_parser("run", help="sync now")
    run.add_argument(
        "--entity", action="append", choices=sorted(ENTITY_BY_NAME), help="only this entity"
    )
    run.add_argument("--full", action="store_true", help="ignore the cursor, re-read everything")
    _add_store_choice(run, all_help="each enabled store in turn")
    status = sub.add_parser("status", help="health per entity")
    status.add_argument("--store", metavar="PREFIX", help=STORE_HELP)
    status.add_argument("--json", action="store_true", help="machine-readable output")
    sub.add_parser(
        "simulator", help="local Lightspeed API 2.0 development stand-in", add_help=False
    )
    pw = sub.add_parser("set-password", help="set the dashboard password (bcrypt hash in .env)")
    pw.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (scripts)"
    )
    unlock = sub.add_parser("unlock", help="lift the login pauses of a dashboard user")
    unlock.add_argument("username", metavar="USER", help="the dashboard username, e.g. cfo")
    sub.add_parser("scheduler", help="the long-running service: scheduled syncs and run-now")
    req = sub.add_parser("request", help="ask the scheduler for a sync now (run-now queue)")
    req.add_argument("--entity", choices=sorted(REQUESTABLE), default="all")
    req.add_argument("--reason", default=None)
    _add_store_choice(req, all_help="queue the request for each enabled store")
    back = sub.add_parser(
        "backfill", help="re-fetch store days of sales (STORE_TIME_ZONE) or a full pass (others)"
    )
    back.add_argument("--entity", choices=sorted(ENTITY_BY_NAME), default="sales")
    back.add_argument(
        "--from", dest="date_from", type=_date_arg, required=True, metavar="YYYY-MM-DD"
    )
    back.add_argument("--to", dest="date_to", type=_date_arg, required=True, metavar="YYYY-MM-DD")
    back.add_argument("--dry-run", action="store_true", help="print the estimate, write nothing")
    back.add_argument("--store", metavar="PREFIX", help=STORE_HELP)
    rec = sub.add_parser("reconcile", help="compare the copy with Lightspeed (counts, day totals)")
    rec.add_argument(
        "--date",
        type=_date_arg,
        default=None,
        metavar="YYYY-MM-DD",
        help="the day whose sales are checked, on each outlet's clock (default: the store's "
        "yesterday)",
    )
    rec.add_argument("--store", metavar="PREFIX", help=STORE_HELP)
    rec.add_argument("--repair", action="store_true", help="run the offered repairs, check again")
    sub.add_parser("prune", help="delete history rows older than RETENTION_MONTHS")
    alerts = sub.add_parser("alerts", help="alert channels and incidents")
    alerts_sub = alerts.add_subparsers(dest="alerts_command", required=True, metavar="action")
    alerts_sub.add_parser("test", help="send a test message to every configured channel")
    check = alerts_sub.add_parser(
        "check", help="evaluate the alert rules once (cron) and print the open incidents"
    )
    _add_store_choice(check, all_help="each enabled store in turn")
    demo = sub.add_parser(
        "demo", help="simulator + scheduler + dashboard on SQLite, on this machine"
    )
    demo.add_argument(
        "--app", action="store_true", help="connect as an OAuth app (connect) instead of a token"
    )
    demo.add_argument(
        "--stores",
        type=int,
        default=1,
        metavar="N",
        help="N simulated stores (up to 20) in one database, synced side by side",
    )
    dash = sub.add_parser("dashboard", help="start the dashboard on DASHBOARD_ADDRESS (127.0.0.1)")
    dash.add_argument("--port", type=int, default=8501)
    _add_api_parsers(sub)
    _add_store_parser(sub)
    _add_user_parser(sub)
    _add_settings_parser(sub)
    # New commands: add the subparser here (this order is the --help order) and the handler
    # in sync/cli/commands.py.
    _global_options_after_the_command(sub)
    return parser


def _global_options_after_the_command(sub: Any) -> None:
    """`status --env-file .demo/.env -v` works too: the global options after the command."""
    for name, command in sub.choices.items():
        if name == "simulator":  # it parses its own arguments
            continue
        for action in command._actions:  # `api-key create NAME --env-file ...` too
            if isinstance(action, argparse._SubParsersAction):
                _global_options_after_the_command(action)
        command.add_argument(
            "--env-file", default=argparse.SUPPRESS, help="settings file (default .env)"
        )
        command.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            default=argparse.SUPPRESS,
            help="more detail: debug logging, and raw cursors in `status`",
        )


def _date_arg(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-01-31") from None


def _add_check_parser(sub: Any) -> None:
    """Register `check` on the subcommand parser `sub`."""
    cmd = sub.add_parser(
        "check", help="is everything ready? settings, database, store, dashboard, alerts"
    )
    cmd.add_argument("--json", action="store_true", help="machine-readable output")
    cmd.add_argument("--send", action="store_true", help="also send a test alert to each channel")
    cmd.add_argument(
        "--service",
        action="store_true",
        help="before starting the scheduler: fail only on what the scheduler cannot retry",
    )


def _add_connect_parser(sub: Any) -> None:
    """The `connect` subparser."""
    c = sub.add_parser("connect", help="connect as a Lightspeed app (OAuth), tokens kept in the DB")
    c.add_argument("--port", type=int, default=8765, help="callback port on 127.0.0.1 (0: any)")
    c.add_argument(
        "--print-url",
        action="store_true",
        help="headless: print the URL, then paste the address the browser was sent back to",
    )
    c.add_argument("--no-browser", action="store_true", help="do not try to open a browser")
    c.add_argument("--timeout", type=float, default=600.0, help="seconds to wait (default 600)")
    c.add_argument(
        "--store",
        metavar="PREFIX",
        default=None,
        help="the store to connect (default: the configured one)",
    )


def _add_api_parsers(sub: Any) -> None:
    """The `api` and `api-key` subparsers."""
    api = sub.add_parser("api", help="the health API: /api/sync-health/, /metrics, /livez, /readyz")
    api.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    api.add_argument("--port", type=int, default=8502, help="port (8502)")
    keys = sub.add_parser("api-key", help="keys for the health API (only hashes are stored)")
    actions = keys.add_subparsers(dest="api_key_command", required=True, metavar="action")
    create = actions.add_parser("create", help="create a key; it is printed once, last line")
    create.add_argument("name", help="who uses it, e.g. grafana")
    create.add_argument("--admin", action="store_true", help="may also POST (acknowledge, queue)")
    create.add_argument(
        "--store",
        dest="stores",
        metavar="PREFIX",
        action="append",
        default=[],
        help="the key sees only this store (repeat for more); default: every store",
    )
    actions.add_parser(
        "list", help="every key: name, prefix, scope, stores, created, last used, revoked"
    )
    revoke = actions.add_parser("revoke", help="revoke a key by name (it stops working at once)")
    revoke.add_argument("name")


def _add_user_parser(sub: Any) -> None:
    """The `user` subparser: dashboard logins limited to some stores."""
    users = sub.add_parser("user", help="dashboard users limited to some stores")
    actions = users.add_subparsers(dest="user_command", required=True, metavar="action")
    add = actions.add_parser("add", help="add a user who sees only the stores given")
    add.add_argument("name", help="the login name")
    add.add_argument(
        "--store",
        dest="stores",
        metavar="PREFIX",
        action="append",
        required=True,
        help="a store the user sees (repeat for more)",
    )
    add.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin (scripts)"
    )
    actions.add_parser("list", help="every dashboard user and the stores they see")
    remove = actions.add_parser("remove", help="remove a user (they can no longer log in)")
    remove.add_argument("name")
    stores = actions.add_parser("stores", help="set the stores a user sees")
    stores.add_argument("name")
    stores.add_argument("stores", metavar="PREFIX", nargs="+")


def _add_store_parser(sub: Any) -> None:
    """The `store` subparser: the stores this database syncs."""
    stores = sub.add_parser("store", help="the Lightspeed stores this database syncs")
    actions = stores.add_subparsers(dest="store_command", required=True, metavar="action")
    add = actions.add_parser("add", help="add a store (its token is checked against its API)")
    add.add_argument(
        "prefix", metavar="PREFIX", help="the 'mystore' of mystore.retail.lightspeed.app"
    )
    add.add_argument("--name", default=None, help="display name (default: the prefix)")
    add.add_argument(
        "--token-stdin", action="store_true", help="read the store's personal token from stdin"
    )
    actions.add_parser("list", help="every store: name, zone, connection, enabled, last success")
    for name, text in (("enable", "sync the store again"), ("disable", "stop syncing the store")):
        actions.add_parser(name, help=text).add_argument("prefix", metavar="PREFIX")
    remove = actions.add_parser("remove", help="remove a store from syncing (asks first)")
    remove.add_argument("prefix", metavar="PREFIX")
    remove.add_argument("--purge", action="store_true", help="also delete every row of its data")
    remove.add_argument("--yes", action="store_true", help="do not ask (scripts)")
    grant = actions.add_parser(
        "grant", help="limit a database role to these stores (Postgres/Supabase row-level security)"
    )
    grant.add_argument(
        "role", metavar="ROLE", help="a role, e.g. one created IN ROLE dashboard_reader"
    )
    grant.add_argument("prefixes", metavar="PREFIX", nargs="+", help="the stores it may read")
    revoke = actions.add_parser(
        "revoke", help="take stores from a limited role (no PREFIX: lift its limit)"
    )
    revoke.add_argument("role", metavar="ROLE")
    revoke.add_argument("prefixes", metavar="PREFIX", nargs="*", help="the stores to take")
    actions.add_parser("readers", help="the database roles limited to some stores")


def _add_settings_parser(sub: Any) -> None:
    """Register `settings` on the subcommand parser `sub`."""
    cmd = sub.add_parser("settings", help="every setting: value (secrets masked), default, source")
    cmd.add_argument("--json", action="store_true", help="machine-readable output")
    cmd.add_argument(
        "--example",
        action="store_true",
        help="print .env.example as generated from the settings table",
    )
