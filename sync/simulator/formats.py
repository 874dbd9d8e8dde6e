"""Value formats shared by generation and mutation: money literals, timestamps, ids, JSON bytes.

Generation writes JSON through string templates (fast); mutations parse a record with
:func:`decode` and write it back with :func:`encode`. Both paths produce the same literal
shapes, so an untouched field keeps its exact bytes through a mutation.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import simplejson

LABEL = "Lightspeed API 2.0 development stand-in"
SIM_HEADER = ("X-Simulator", "lightspeed-dev-stand-in")

_TEN_DP = Decimal("1E-10")
_TWO_DP = Decimal("0.01")
_UTC = dt.UTC


class Money(Decimal):
    """A Decimal that always prints as a plain literal (``0.0000000000``, never ``0E-10``)."""

    __slots__ = ()

    def __str__(self) -> str:
        """Plain positional notation, keeping every written decimal place."""
        return format(self, "f")


_ENCODER = simplejson.JSONEncoder(separators=(",", ":"), use_decimal=True, ensure_ascii=False)


def encode(obj: Any) -> bytes:
    """Serialize ``obj`` compactly as UTF-8 JSON bytes; Decimals become exact literals."""
    return _ENCODER.encode(obj).encode()


def decode(raw: bytes | str) -> Any:
    """Parse JSON keeping every number literal exact (floats become :class:`Money`)."""
    return simplejson.loads(raw, parse_float=Money)


def jstr(value: str | None) -> str:
    """A JSON string literal (or ``null``) exactly as :func:`encode` would write it."""
    return "null" if value is None else _ENCODER.encode(value)


# --- integer money (generation path) ------------------------------------------------------------


def div_half_up(num: int, den: int) -> int:
    """Integer division rounding halves away from zero (like ``ROUND_HALF_UP``)."""
    q, r = divmod(abs(num), den)
    if 2 * r >= den:
        q += 1
    return q if num >= 0 else -q


_FMT10_CACHE: dict[int, str] = {}


def fmt10(units5: int) -> str:
    """Amount in 1e-5 units as a 10-dp literal: ``2066116`` -> ``20.6611600000``."""
    text = _FMT10_CACHE.get(units5)
    if text is None:
        sign = "-" if units5 < 0 else ""
        whole, frac = divmod(abs(units5), 100_000)
        text = f"{sign}{whole}.{frac:05d}00000"
        if len(_FMT10_CACHE) > 500_000:
            _FMT10_CACHE.clear()
        _FMT10_CACHE[units5] = text
    return text


def clear_caches() -> None:
    """Drop formatting caches (after bulk generation, to give the memory back)."""
    _FMT10_CACHE.clear()


def fmt5(units5: int) -> str:
    """Amount in 1e-5 units as a 5-dp literal: ``100000`` -> ``1.00000``."""
    sign = "-" if units5 < 0 else ""
    whole, frac = divmod(abs(units5), 100_000)
    return f"{sign}{whole}.{frac:05d}"


def fmt_short(cents: int) -> str:
    """Shortest literal of cents: 4000 -> ``40``, 2590 -> ``25.9``, 2066 -> ``20.66``."""
    sign = "-" if cents < 0 else ""
    whole, frac = divmod(abs(cents), 100)
    if frac == 0:
        return f"{sign}{whole}"
    if frac % 10 == 0:
        return f"{sign}{whole}.{frac // 10}"
    return f"{sign}{whole}.{frac:02d}"


# --- Decimal money (mutation path) --------------------------------------------------------------


def money_short(value: Decimal) -> Money:
    """Round to 2 dp and drop trailing zeros (same shapes as :func:`fmt_short`)."""
    q = value.quantize(_TWO_DP, rounding=ROUND_HALF_UP)
    return Money(0) if q == 0 else Money(q.normalize())


def money_ten(value: Decimal) -> Money:
    """Round to a 10-dp literal (same shape as :func:`fmt10`)."""
    return Money(value.quantize(_TEN_DP, rounding=ROUND_HALF_UP))


def as_decimal(value: Any) -> Decimal:
    """A parsed JSON number (int or Decimal) as a Decimal."""
    return value if isinstance(value, Decimal) else Decimal(value)


# --- timestamps ---------------------------------------------------------------------------------

_DAY_CACHE: dict[int, str] = {}
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)


def _day(days: int) -> str:
    text = _DAY_CACHE.get(days)
    if text is None:
        text = (_EPOCH + dt.timedelta(days=days)).strftime("%Y-%m-%d")
        _DAY_CACHE[days] = text
    return text


def ts_iso(epoch: int) -> str:
    """Epoch seconds as ``2025-11-25T13:44:45+00:00`` (the shape of the 2.0 list endpoints)."""
    days, sec = divmod(epoch, 86400)
    h, rem = divmod(sec, 3600)
    m, s = divmod(rem, 60)
    return f"{_day(days)}T{h:02d}:{m:02d}:{s:02d}+00:00"


def ts_z(epoch: int, millis: int) -> str:
    """Epoch seconds plus milliseconds as ``2025-11-25T13:44:45.123Z`` (the other shape seen)."""
    days, sec = divmod(epoch, 86400)
    h, rem = divmod(sec, 3600)
    m, s = divmod(rem, 60)
    return f"{_day(days)}T{h:02d}:{m:02d}:{s:02d}.{millis:03d}Z"


def date_only(epoch: int) -> str:
    """Epoch seconds as ``YYYY-MM-DD``."""
    return _day(epoch // 86400)


def parse_epoch(text: str) -> int:
    """Parse an ISO-8601 UTC timestamp (``...Z``, ``+00:00`` or a bare date) to epoch seconds."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = dt.datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_UTC)
    return int(parsed.timestamp())


def anchor_epoch(anchor: str) -> int:
    """The fixed "now" of generated data: ``YYYY-MM-DD`` (noon UTC) or a full timestamp."""
    if len(anchor) == 10:
        return parse_epoch(anchor + "T12:00:00Z")
    return parse_epoch(anchor)


# --- ids ----------------------------------------------------------------------------------------


def uuid_random(rng: random.Random) -> str:
    """UUID-shaped text from 128 random bits (usually not RFC-4122 valid)."""
    h = f"{rng.getrandbits(128):032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def uuid_v4(rng: random.Random) -> str:
    """An RFC-4122 version-4 UUID."""
    h = f"{rng.getrandbits(128):032x}"
    variant = "89ab"[int(h[16], 16) & 3]
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{variant}{h[17:20]}-{h[20:]}"


def uuid_vend(rng: random.Random) -> str:
    """Vend-style id like ``201a6e43-58c5-a97e-11f0-ca04af823c79`` (not RFC valid)."""
    h = f"{rng.getrandbits(112):028x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-11f0-{h[16:]}"
