"""The store's days: an outlet's local calendar day as UTC bounds, and which zone the store keeps.

Lightspeed sends every time in UTC and gives each outlet an IANA `time_zone`; its own daily
reports are per outlet-local day. So a day here is always a local calendar day, turned into
a half-open UTC interval [start, end) that lasts 23, 24 or 25 hours. The store-level day
(headline figures, backfill dates, "yesterday") uses STORE_TIME_ZONE, else the zone most
outlets share, else UTC.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FROM_SETTING = "STORE_TIME_ZONE"
FROM_OUTLETS = "the zone most outlets share"
NO_OUTLETS = "no outlets synced yet"


def zone_named(name: str | None) -> ZoneInfo | None:
    """The zone called `name`, or None for a missing or unknown name."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


def day_bounds(day: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The UTC interval [start, end) of the local calendar `day` in `zone`."""
    return days_bounds(day, day, zone)


def days_bounds(first: date, last: date, zone: tzinfo) -> tuple[datetime, datetime]:
    """The UTC interval [start, end) from local midnight of `first` to the one after `last`."""
    start = datetime.combine(first, time.min, zone).astimezone(UTC)
    end = datetime.combine(last + timedelta(days=1), time.min, zone).astimezone(UTC)
    return start, end


def local_date(moment: datetime, zone: tzinfo) -> date:
    """The calendar date of `moment` on the wall clocks of `zone`."""
    return moment.astimezone(zone).date()


def parse_instant(value: object) -> datetime | None:
    """An ISO 8601 timestamp as an aware UTC datetime (naive: UTC), None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        return None


def clock_label(moment: datetime, zone: tzinfo, fmt: str = "%H:%M") -> str:
    """`moment` on the wall clock of `zone`, with the zone's abbreviation: '14:05 NZDT'."""
    local = moment.astimezone(zone)
    return f"{local.strftime(fmt)} {local.tzname() or zone_key(zone)}"


def zone_key(zone: tzinfo) -> str:
    """The IANA name of `zone` (`Pacific/Auckland`), or its str for other tzinfos."""
    return getattr(zone, "key", None) or str(zone)


#: A zone's offsets from UTC in minutes over a span: the first applies from the span's start
#: (`None`), each next one from the UTC instant it took effect (a daylight-saving change).
UtcOffsets = tuple[tuple[datetime | None, int], ...]

# Steps between which the offset is compared; no zone changes its offset twice in 6 hours.
_OFFSET_STEP = timedelta(hours=6)


def _offset_minutes(moment: datetime, zone: tzinfo) -> int:
    offset = moment.astimezone(zone).utcoffset() or timedelta()
    return int(offset.total_seconds() // 60)


def utc_offsets(zone: tzinfo, start: datetime, end: datetime) -> UtcOffsets:
    """The offsets of `zone` from UTC over [start, end), each change to the microsecond.

    A span that crosses a daylight-saving change has two offsets: a day or hour bucket
    must use the one in force when the run started, not today's.
    """
    found: list[tuple[datetime | None, int]] = [(None, _offset_minutes(start, zone))]
    last = end - timedelta(microseconds=1)
    low = start
    while low < last:
        high = min(low + _OFFSET_STEP, last)
        if _offset_minutes(high, zone) != found[-1][1]:
            changed = high  # bisected down to the first microsecond of the new offset
            while changed - low > timedelta(microseconds=1):
                middle = low + (changed - low) / 2
                if _offset_minutes(middle, zone) == found[-1][1]:
                    low = middle
                else:
                    changed = middle
            found.append((changed, _offset_minutes(changed, zone)))
        low = high
    return tuple(found)


def fixed_offset(minutes: int) -> UtcOffsets:
    """One offset for a whole span (a zone without daylight saving, or UTC: 0)."""
    return ((None, minutes),)


@dataclass(frozen=True)
class StoreDays:
    """The store's zone, each outlet's zone, and the days they make.

    `outlets` maps outlet id → zone (an outlet without a usable zone follows the store).
    """

    zone: tzinfo
    source: str
    outlets: Mapping[str, tzinfo] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """The store zone's IANA name."""
        return zone_key(self.zone)

    def describe(self) -> str:
        """'Pacific/Auckland (the zone most outlets share)', for people reading a day."""
        return f"{self.name} ({self.source})"

    def outlet_zone(self, outlet_id: str | None) -> tzinfo:
        """The zone of `outlet_id`'s wall clocks (the store's for an unknown outlet)."""
        return self.outlets.get(outlet_id or "", self.zone)

    def bounds(self, first: date, last: date) -> tuple[datetime, datetime]:
        """The UTC interval of the store days `first`..`last`."""
        return days_bounds(first, last, self.zone)

    def outlet_bounds(self, outlet_id: str, day: date) -> tuple[datetime, datetime]:
        """The UTC interval of `day` on the outlet's own clocks."""
        return day_bounds(day, self.outlet_zone(outlet_id))

    def today(self, now: datetime) -> date:
        """The store's calendar date at `now`."""
        return local_date(now, self.zone)

    def yesterday(self, now: datetime) -> date:
        """The store day before today: the last one that is over everywhere it is kept."""
        return self.today(now) - timedelta(days=1)

    def days_covering(self, start: datetime, end: datetime) -> tuple[date, date]:
        """The store days whose union covers the UTC interval [start, end)."""
        return local_date(start, self.zone), local_date(end - timedelta(microseconds=1), self.zone)


def store_days(
    setting: str | None, outlets: Iterable[tuple[str, str | None, bool]] = ()
) -> StoreDays:
    """The store's days from STORE_TIME_ZONE and the outlets as (id, time_zone, deleted).

    Without the setting, the store keeps the zone most live outlets share (ties: the
    alphabetically first), else UTC until outlets are synced.
    """
    rows = list(outlets)
    zones = {oid: z for oid, name, _ in rows if (z := zone_named(name)) is not None}
    configured = zone_named(setting)
    if configured is not None:
        return StoreDays(configured, FROM_SETTING, zones)
    live = Counter(name for _, name, deleted in rows if not deleted and zone_named(name))
    if not live:
        live = Counter(name for _, name, _ in rows if zone_named(name))
    if not live:
        return StoreDays(UTC, NO_OUTLETS, zones)
    best = min(live, key=lambda name: (-live[name], name or ""))
    return StoreDays(ZoneInfo(best or "UTC"), FROM_OUTLETS, zones)
