"""`python -m sync settings`: every setting with its value (secrets masked), default and source.

It reads the settings itself instead of receiving them, so that a bad value is shown on its
own line with the sentence that rejects it (exit 2) rather than stopping the listing.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from sync.config import Family, Reading, format_value, read_settings

EXIT_OK, EXIT_USAGE = 0, 2
MAX_VALUE_WIDTH = 48


def cmd_settings(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """List every setting; exit 2 when any value is invalid (each shown with its error)."""
    out = out or sys.stdout
    if args.example:
        from sync.config.example import render_env_example

        out.write(render_env_example())
        return EXIT_OK
    readings = read_settings(env_file=args.env_file)
    rows = [setting_row(r) for r in readings]
    if args.json:
        json.dump(rows, out, indent=2)
        out.write("\n")
    else:
        out.write(render_rows(rows))
    bad = [r.name for r in readings if r.error]
    if bad:
        print(
            f"error: config: {len(bad)} setting{'s' if len(bad) > 1 else ''} not valid "
            f"({', '.join(bad)}): fix {'them' if len(bad) > 1 else 'it'} in {args.env_file} "
            "or the environment (see .env.example).",
            file=sys.stderr,
        )
        return EXIT_USAGE
    return EXIT_OK


def setting_row(reading: Reading) -> dict[str, Any]:
    """One variable as shown: name, value (masked), default, source, error sentence or None."""
    item = reading.item
    if isinstance(item, Family):
        default = f"= {item.fallback(reading.name)}"
    else:
        default = "***" if item.secret and item.default else format_value(item.default)
    value = default if reading.raw is None else item.show(reading.raw)
    return {
        "name": reading.name,
        "value": value,
        "default": default,
        "source": reading.source,
        "secret": item.secret,
        "error": reading.error.message if reading.error else None,
    }


def render_rows(rows: list[dict[str, Any]]) -> str:
    """Aligned text: NAME, VALUE, DEFAULT, SOURCE, then the error sentence if any."""
    header = {"name": "NAME", "value": "VALUE", "default": "DEFAULT", "source": "SOURCE"}

    def width(key: str) -> int:
        return min(MAX_VALUE_WIDTH, max(len(_cell(r[key])) for r in [header, *rows]))

    widths = {key: width(key) for key in ("name", "value", "default")}
    lines = []
    for row in [header, *rows]:
        cells = [_cell(row[key]).ljust(widths[key]) for key in widths]
        line = "  ".join([*cells, row["source"]])
        if row.get("error"):
            line += f"  error: {row['error']}"
        lines.append(line.rstrip())
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text if text else "-"
