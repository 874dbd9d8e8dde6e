"""The command registry: command name → handler, and which commands log to LOG_DIR.

Handlers are named as "module:function" and imported only when their command is chosen, so
`python -m sync run` never pays for the dashboard, alerts or `check` imports.

To add a command: give its handler one line in COMMANDS (or in SETTINGS_READERS when it must
run even with invalid settings), then add its subparser in sync/cli/parser.py (`build_parser`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from importlib import import_module
from typing import Any

from sync.cli.common import CommandHandler

COMMANDS: dict[str, str] = {
    "migrate": "sync.cli.admin_commands:cmd_migrate",
    "connect": "sync.cli.connect_command:cmd_connect",
    "run": "sync.cli.sync_commands:cmd_run",
    "status": "sync.cli.sync_commands:cmd_status",
    "set-password": "sync.cli.admin_commands:cmd_set_password",
    "unlock": "sync.cli.admin_commands:cmd_unlock",
    "demo": "sync.cli.sync_commands:cmd_demo",
    "backfill": "sync.cli.data_commands:cmd_backfill",
    "reconcile": "sync.cli.data_commands:cmd_reconcile",
    "prune": "sync.cli.data_commands:cmd_prune",
    "scheduler": "sync.cli.sync_commands:cmd_scheduler",
    "request": "sync.cli.sync_commands:cmd_request",
    "alerts": "sync.cli.admin_commands:cmd_alerts",
    "dashboard": "sync.cli.dashboard_command:cmd_dashboard",
    "api": "sync.cli.api_command:cmd_api",
    "api-key": "sync.cli.api_command:cmd_api_key",
    "store": "sync.cli.store_command:cmd_store",
    "user": "sync.cli.user_command:cmd_user",
}
"""Every command but `simulator` (which `main` hands its own arguments before parsing)."""

# Commands that read the settings themselves: they must work when a setting is invalid.
SETTINGS_READERS: dict[str, str] = {
    "settings": "sync.cli.settings_command:cmd_settings",
    "check": "sync.cli.check_command:cmd_check",
}

# Commands that write to LOG_DIR/sync.log; the others log to the console only (`demo` sets
# up its own: .demo/logs/sync.log).
LOGGED_COMMANDS = (
    "run",
    "connect",
    "migrate",
    "scheduler",
    "backfill",
    "reconcile",
    "prune",
    "alerts",
    "api",
)


def _load(target: str) -> Any:
    module, _, name = target.partition(":")
    return getattr(import_module(module), name)


def command_handler(name: str) -> CommandHandler:
    """The handler of command `name`, its module imported now."""
    handler: CommandHandler = _load(COMMANDS[name])
    return handler


def settings_reader(name: str) -> Callable[[argparse.Namespace], int]:
    """The handler of a command that reads the settings itself."""
    handler: Callable[[argparse.Namespace], int] = _load(SETTINGS_READERS[name])
    return handler
