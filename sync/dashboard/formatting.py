"""Times, durations and text as the CFO reads them (the store's clock and zone, Markdown escaped).

Every time shown carries its zone's abbreviation ("14:05 NZDT"): the store's zone is
STORE_TIME_ZONE, else the zone most outlets share (see `sync.days`), not the browser's.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta, tzinfo

from sync.dashboard import runtime
from sync.days import clock_label, zone_key, zone_named
from sync.errors import SyncError
from sync.health import format_age

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


ZONE_TTL_SECONDS = 300.0
ZONE_RETRY_SECONDS = 10.0  # while the database is down: one attempt per page refresh at most
_zones: dict[tuple[str, str, str | None], tuple[str | None, float]] = {}
_zones_lock = threading.Lock()


def _store_zone_name(url: str, store: str, setting: str | None) -> str | None:
    """The store zone's name, remembered per process (a failure briefly, so pages stay fast)."""
    key, now = (url, store, setting), time.monotonic()
    with _zones_lock:
        known = _zones.get(key)
    if known is not None and known[1] > now:
        return known[0]
    from sync.storage.sql.outlets import load_store_days

    try:
        name, ttl = load_store_days(runtime.engine_for(url), store, setting).name, ZONE_TTL_SECONDS
    except SyncError:  # the database is down: its own panel says so
        name, ttl = setting, ZONE_RETRY_SECONDS
    with _zones_lock:
        _zones[key] = (name, now + ttl)
    return name


def store_tz() -> tzinfo:
    """The store's zone: STORE_TIME_ZONE, else the one most outlets share (UTC without any)."""
    url, shown = runtime.settings().reader_database_url, runtime.store()
    return zone_named(_store_zone_name(url, shown, runtime.store_time_zone())) or UTC


def local(moment: datetime | None, fmt: str = "%H:%M") -> str:
    """`moment` on the store's clock, with the zone when it shows a time: '14:05 NZDT'.

    A date alone ('%d %b') is the store's date and carries no zone ('—' for None).
    """
    if not moment:
        return "—"
    if not any(part in fmt for part in ("%H", "%I", "%M")):
        return moment.astimezone(store_tz()).strftime(fmt)
    return clock_label(moment, store_tz(), fmt)


def exact(moment: datetime | None) -> str:
    """Date, time and zone of `moment` on the store's clock ('never' for None)."""
    return local(moment, "%Y-%m-%d %H:%M:%S") if moment else "never"


def zone_name() -> str:
    """The store zone's IANA name, 'Pacific/Auckland', for the days a date picker means."""
    return zone_key(store_tz())


def zone_abbreviation(moment: datetime | None = None) -> str:
    """The store zone's abbreviation now (or at `moment`): 'NZDT', for column headings."""
    return (moment or runtime.clock()).astimezone(store_tz()).tzname() or "UTC"


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
