"""Calendar of the simulated period and RFC 3339 rendering.

All generator times are integer seconds since T0 = 2026-01-05T00:00:00+08:00,
so "hour of day" in the code always means Beijing local time.  The 2026 Spring
Festival (New Year's Day 2026-02-17) and its official break fall inside the
default 45 + 14 day frame, which is why the worlds lean on this calendar.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

DAY = 86400
HOUR = 3600
T0 = datetime(2026, 1, 5, tzinfo=timezone(timedelta(hours=8)))
T0_DATE = date(2026, 1, 5)

SPRING_FESTIVAL = 43            # 2026-02-17, lunar new year's day
HOLIDAY = frozenset(range(41, 50))  # official break Sun 02-15 .. Mon 02-23
MAKEUP_WORKDAYS = frozenset({40, 54})  # Sat 02-14 and Sat 02-28 are working days
LANTERN = 57                    # 2026-03-03
NIANHUO_FAIR = range(5, 36)     # online "new-year goods" shopping fair

_TZ: dict[int, timezone] = {}


def weekday(day: int) -> int:
    """0 = Monday; 2026-01-05 is a Monday."""
    return day % 7


def is_workday(day: int) -> bool:
    """Chinese working day including the festival make-up Saturdays."""
    if day in MAKEUP_WORKDAYS:
        return True
    return weekday(day) < 5 and day not in HOLIDAY


def date_of(day: int) -> date:
    return T0_DATE + timedelta(days=day)


def day_of_month(day: int) -> int:
    return date_of(day).day


def days_in_month(day: int) -> int:
    d = date_of(day)
    nxt = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return (nxt - date(d.year, d.month, 1)).days


def at(day: int, hour: float) -> int:
    """Seconds since T0 for a day index and a local (+08:00) hour of day."""
    return int(day * DAY + hour * HOUR)


def day_index(t: int) -> int:
    return t // DAY


def hour_of(t: int) -> float:
    return (t % DAY) / HOUR


def render(t: int, ms: int, offset_min: int, with_ms: bool) -> str:
    """RFC 3339 with a numeric offset; milliseconds only when asked for."""
    tz = _TZ.get(offset_min)
    if tz is None:
        tz = _TZ[offset_min] = timezone(timedelta(minutes=offset_min))
    dt = (T0 + timedelta(seconds=t, milliseconds=ms if with_ms else 0)).astimezone(tz)
    return dt.isoformat(timespec="milliseconds" if with_ms else "seconds")
