"""Ages as people read them: '45 s', '3 min', '2 h 5 min', '3 d 4 h'."""

from __future__ import annotations

from datetime import timedelta


def format_age(age: timedelta) -> str:
    """'45 s', '3 min', '2 h 5 min', '3 d 4 h'."""
    seconds = max(0, int(age.total_seconds()))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
