"""`main`: parse, hand `simulator` its arguments, load settings, set up logging, dispatch.

Exit codes: 0 success, 1 sync failed (error class printed), 2 bad usage/configuration.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from sync.cli.commands import LOGGED_COMMANDS, SETTINGS_READERS, command_handler, settings_reader
from sync.cli.common import EXIT_FAILED, EXIT_USAGE
from sync.cli.output import print_error
from sync.cli.parser import build_parser
from sync.config import load_settings
from sync.errors import ErrorKind, SyncError
from sync.logs import setup_logging


def main(
    argv: Sequence[str] | None = None, *, on_imported: Callable[[], None] | None = None
) -> int:
    """Entry point; returns the process exit code.

    `on_imported` is called once the chosen command's modules are imported, before it runs
    (`python -m sync` tunes the garbage collector there, see sync/__main__.py).
    """
    imported = on_imported or (lambda: None)
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # The simulator parses its own options: everything after the command goes to it unparsed.
    known, simulator_args = parser.parse_known_args(args_list)
    if known.command == "simulator":
        from sync.simulator import main as simulator_main

        imported()
        return simulator_main(simulator_args)
    args = parser.parse_args(args_list)
    if args.command in SETTINGS_READERS:
        reader = settings_reader(args.command)
        imported()
        return reader(args)
    try:
        settings = load_settings(env_file=args.env_file)
        setup_logging(
            settings.log_dir if args.command in LOGGED_COMMANDS else None,
            settings.secrets,
            verbose=args.verbose,
        )
        handler = command_handler(args.command)
        imported()
        return handler(settings, args)
    except SyncError as exc:
        print_error(exc)
        return EXIT_USAGE if exc.kind is ErrorKind.CONFIG else EXIT_FAILED
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_FAILED
