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
LINE_WIDTH = 100


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


def render_rows(rows: list[dict[str, Any]], width: int = LINE_WIDTH) -> str:
    """Aligned text in `width` columns: NAME, VALUE, SOURCE, and the DEFAULT only where it
    differs from the value; then the error sentence if any. Long cells end in '…'."""
    header = {"name": "NAME", "value": "VALUE", "default": "DEFAULT", "source": "SOURCE"}

    def longest(key: str) -> int:
        return max(len(_cell(r[key])) for r in [header, *rows])

    def differs(row: dict[str, Any]) -> bool:
        return row is header or row["default"] not in (row["value"], "", "-")

    names, sources = longest("name"), longest("source")
    room = width - names - sources - 6  # what VALUE and DEFAULT share
    # Values first; a default that does not fit its column goes on a line of its own, and
    # a value longer than the line ends in '…' (`--json` has every value whole).
    values = min(longest("value"), room - len(header["default"]))
    defaults = room - values
    lines = []
    for row in [header, *rows]:
        default = _cell(row["default"]) if differs(row) else ""
        below = len(default) > defaults  # too long for its column: on a line of its own
        cells = [
            _cell(row["name"]).ljust(names),
            _fit(_cell(row["value"]), values).ljust(values),
            _cell(row["source"]).ljust(sources),
            "" if below else default,
        ]
        line = "  ".join(cells).rstrip()
        if row.get("error"):
            line += f"  error: {row['error']}"
        lines.append(line)
        if below:
            lines.append(_fit(f"{'':{names}}  (default: {default})", width))
    return "\n".join(lines) + "\n"


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _cell(text: str) -> str:
    return text if text else "-"
