"""Times, durations and text as the viewer sees them (their time zone, Markdown escaped)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import streamlit as st

from sync.dashboard import runtime
from sync.health import format_age

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def viewer_tz() -> tzinfo:
    """The browser's time zone when known, else this server's."""
    name = st.context.timezone
    try:
        return ZoneInfo(name) if name else _server_tz()
    except (ValueError, KeyError, OSError):
        return _server_tz()


def _server_tz() -> tzinfo:
    return datetime.now().astimezone().tzinfo or UTC


def local(moment: datetime | None, fmt: str = "%H:%M") -> str:
    """`moment` in the viewer's time zone ('—' for None)."""
    return moment.astimezone(viewer_tz()).strftime(fmt) if moment else "—"


def exact(moment: datetime | None) -> str:
    """Date, time and zone of `moment` in the viewer's time zone ('never' for None)."""
    return local(moment, "%Y-%m-%d %H:%M:%S %Z") if moment else "never"


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    """'3 min ago', 'just now' or 'never'."""
    if moment is None:
        return "never"
    age = (now or runtime.clock()) - moment
    return "just now" if age < timedelta(seconds=10) else f"{format_age(age)} ago"


def run_time(ms: float | None) -> str:
    """'850 ms', '12.4 s', '3 min'."""
    if ms is None:
        return "—"
    if ms < 1000:
        return f"{ms:.0f} ms"
    if ms < 60_000:
        return f"{ms / 1000:.1f} s"
    return format_age(timedelta(milliseconds=ms))


def md(text: object) -> str:
    """Escape text for use inside Markdown (data is never interpreted)."""
    out = str(text)
    for ch in "\\`*_{}[]()#+-.!|<>~:$":
        out = out.replace(ch, "\\" + ch)
    return out


def spreadsheet_safe(value: object) -> object:
    """Text that a spreadsheet would run as a formula, prefixed with ' (shown as text)."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
