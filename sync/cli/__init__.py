"""`python -m sync <command>`: the command line (argparse subcommands, exit codes 0 / 1 / 2).

`parser` builds the parser, `commands` maps command names to handlers (`sync_commands`,
`data_commands`, `admin_commands`, `demo`), `output` prints, `entry` holds `main`.
"""

from __future__ import annotations

from sync.cli.entry import main

__all__ = ["main"]
