"""The command registry: command name → handler, and which commands log to LOG_DIR.

To add a command: import its handler below and give it one line in COMMANDS (or in
SETTINGS_READERS when it must run even with invalid settings), then add its subparser in
sync/cli/parser.py (`build_parser`).
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from sync.cli.admin_commands import cmd_alerts, cmd_migrate, cmd_set_password
from sync.cli.api_command import cmd_api, cmd_api_key
from sync.cli.check_command import cmd_check
from sync.cli.common import CommandHandler
from sync.cli.connect_command import cmd_connect
from sync.cli.dashboard_command import cmd_dashboard
from sync.cli.data_commands import cmd_backfill, cmd_prune, cmd_reconcile
from sync.cli.settings_command import cmd_settings
from sync.cli.sync_commands import cmd_demo, cmd_request, cmd_run, cmd_scheduler, cmd_status

COMMANDS: dict[str, CommandHandler] = {
    "migrate": cmd_migrate,
    "connect": cmd_connect,
    "run": cmd_run,
    "status": cmd_status,
    "set-password": cmd_set_password,
    "demo": cmd_demo,
    "backfill": cmd_backfill,
    "reconcile": cmd_reconcile,
    "prune": cmd_prune,
    "scheduler": cmd_scheduler,
    "request": cmd_request,
    "alerts": cmd_alerts,
    "dashboard": cmd_dashboard,
    "api": cmd_api,
    "api-key": cmd_api_key,
}
"""Every command but `simulator` (which `main` hands its own arguments before parsing)."""

# Commands that read the settings themselves: they must work when a setting is invalid.
SETTINGS_READERS: dict[str, Callable[[argparse.Namespace], int]] = {
    "settings": cmd_settings,
    "check": cmd_check,
}

# Commands that write to LOG_DIR/sync.log; the others log to the console only.
LOGGED_COMMANDS = (
    "run",
    "connect",
    "migrate",
    "demo",
    "scheduler",
    "backfill",
    "reconcile",
    "prune",
    "alerts",
    "api",
)
