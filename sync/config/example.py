"""`.env.example`, rendered from the settings table (a test keeps the shipped file current)."""

from __future__ import annotations

import textwrap

from sync.config.spec import Family, Item, format_value
from sync.config.table import SECTIONS

WIDTH = 90
HEADER = (
    "# Lightspeed Sync & Health — configuration. Copy to .env and fill in; never commit .env.\n"
    "# Every setting, its default and what it does; `python -m sync settings` shows the values\n"
    "# in use. Generated from sync/config/table.py:\n"
    "#   python -m sync settings --example > .env.example\n"
)


def _comment(text: str) -> list[str]:
    lines = []
    for paragraph in text.split("\n"):
        if paragraph.startswith(" "):  # an example line: kept as written
            lines.append(f"# {paragraph}".rstrip())
        else:
            lines += textwrap.wrap(paragraph, WIDTH, initial_indent="# ", subsequent_indent="# ")
    return lines


def _block(item: Item) -> list[str]:
    if isinstance(item, Family):
        names = ", ".join(f"{prefix}_<{item.kind.upper()}>" for prefix in item.prefixes)
        verb = "override" if len(item.prefixes) > 1 else "overrides"
        text = (
            f"Per {item.kind} ({' '.join(item.members)}): {names} {verb} "
            f"{' and '.join(item.prefixes)}. {item.help}"
        )
        return _comment(text.strip()) + [f"# {line}" for line in item.examples]
    default = format_value(item.default)
    text = item.help
    if item.example is not None and default:
        text += f" Default: {default}."
    if item.fill_in:
        return [*_comment(text), f"{item.name}="]
    shown = item.example if item.example is not None else default
    return [*_comment(text), f"# {item.name}={shown}"]


def render_env_example() -> str:
    """The text of .env.example: one commented block per setting, grouped by section."""
    out = [HEADER]
    for title, intro, items in SECTIONS:
        out.append(f"# --- {title} ".ljust(WIDTH, "-"))
        if intro:
            out += _comment(intro)
        for item in items:
            out += _block(item)
        out.append("")
    return "\n".join(out)
