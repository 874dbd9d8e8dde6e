"""`main`: parse, hand `simulator` its arguments, load settings, set up logging, dispatch.

Exit codes: 0 success, 1 sync failed (error class printed), 2 bad usage/configuration.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Sequence

from sync.cli.commands import LOGGED_COMMANDS, SETTINGS_READERS, command_handler, settings_reader
from sync.cli.common import EXIT_FAILED, EXIT_USAGE
from sync.cli.output import print_error
from sync.cli.parser import build_parser
from sync.config import load_settings
from sync.errors import ErrorKind, SyncError
from sync.logs import setup_logging


def main(argv: Sequence[str] | None = None, *, freeze_imports: bool = False) -> int:
    """Entry point; returns the process exit code.

    `freeze_imports` (set by `python -m sync`, not by callers inside a longer-lived process)
    moves every object alive once the command's modules are imported to the collector's
    permanent generation (`gc.freeze`): modules, classes and functions live until the process
    exits anyway, and otherwise every full collection walks them again, three times at exit
    (about 0.1 s of a no-change `run`).
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser()
    # The simulator parses its own options: everything after the command goes to it unparsed.
    known, simulator_args = parser.parse_known_args(args_list)
    if known.command == "simulator":
        from sync.simulator import main as simulator_main

        return simulator_main(simulator_args)
    args = parser.parse_args(args_list)
    if args.command in SETTINGS_READERS:
        reader = settings_reader(args.command)
        _imported(freeze_imports)
        return reader(args)
    try:
        settings = load_settings(env_file=args.env_file)
        setup_logging(
            settings.log_dir if args.command in LOGGED_COMMANDS else None,
            settings.secrets,
            verbose=args.verbose,
        )
        handler = command_handler(args.command)
        _imported(freeze_imports)
        return handler(settings, args)
    except SyncError as exc:
        print_error(exc)
        return EXIT_USAGE if exc.kind is ErrorKind.CONFIG else EXIT_FAILED
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return EXIT_FAILED


def _imported(freeze: bool) -> None:
    """The command's modules are imported: freeze what exists now (see `main`)."""
    if freeze:
        gc.freeze()
