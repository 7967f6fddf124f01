"""Event time for family H: integer milliseconds from one fixed stream start.

Why: every world shares the contract's time span, and whole-number offsets from
the span start make ordering exact and reproducible. Text only appears at the
wire (``format_ts``), where each lender's offset / fraction habit is applied.
Day indexes are local (+08:00) calendar days, so "day 43" is Spring Festival
for every world regardless of the span length.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

SECOND = 1_000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

#: Wall-clock start of the stream at +08:00 (a Monday).
START_LOCAL = datetime(2026, 1, 5)
START_DATE: date = START_LOCAL.date()
LOCAL_OFFSET_MIN = 480

#: Spring Festival 2026 is 17 February: day index 43; the public holiday runs 15-23 Feb.
SPRING_FESTIVAL_DAY = 43
HOLIDAY_DAYS = range(41, 50)
#: A typical university winter vacation: 17 January to 28 February.
CAMPUS_VACATION = range(12, 55)


@dataclass(frozen=True)
class Span:
    """The generated stream: ``history_days`` unlabelled days, then ``test_days``."""

    history_days: int
    test_days: int

    @property
    def total_days(self) -> int:
        return self.history_days + self.test_days

    @property
    def end(self) -> int:
        """Exclusive end of the stream in ms from the start."""
        return self.total_days * DAY

    @property
    def test_start(self) -> int:
        return self.history_days * DAY

    def in_test(self, t: int) -> bool:
        return self.test_start <= t < self.end

    def contains(self, t: int) -> bool:
        return 0 <= t < self.end


@dataclass(frozen=True)
class TsStyle:
    """How one producer writes RFC 3339: its UTC offset, "Z" or not, milliseconds or not."""

    offset_min: int = LOCAL_OFFSET_MIN
    millis: bool = False
    zulu: bool = False


LOCAL = TsStyle()


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> int:
    """Milliseconds for a local wall-clock moment on ``day``."""
    return day * DAY + hour * HOUR + minute * MINUTE + second * SECOND


def day_of(t: int) -> int:
    """Local calendar day index of ``t`` (negative before the stream start)."""
    return t // DAY


def hour_of(t: int) -> int:
    return (t % DAY) // HOUR


def date_of_day(day: int) -> date:
    return START_DATE + timedelta(days=day)


def day_of_date(d: date) -> int:
    return (d - START_DATE).days


def quantize(t: int, style: TsStyle) -> int:
    """Drop the milliseconds a producer would not send, so sort order matches the text."""
    return t if style.millis else t - t % SECOND


def format_ts(t: int, style: TsStyle) -> str:
    """RFC 3339 text for ``t`` as this producer writes it."""
    shift = style.offset_min - LOCAL_OFFSET_MIN
    wall = START_LOCAL + timedelta(milliseconds=t + shift * MINUTE)
    text = wall.strftime("%Y-%m-%dT%H:%M:%S")
    if style.millis:
        text += f".{t % SECOND:03d}"
    if style.zulu and style.offset_min == 0:
        return text + "Z"
    sign = "+" if style.offset_min >= 0 else "-"
    off = abs(style.offset_min)
    return f"{text}{sign}{off // 60:02d}:{off % 60:02d}"
