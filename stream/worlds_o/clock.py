"""The time frame every world shares.

The caller relies on one fixed opening instant (2026-01-05 00:00 at +08:00, a Monday),
a history of H days followed by a test window of T days, and stamps in RFC 3339.  All
internal times are integer seconds since the opening, so day arithmetic is exact and
events sort by a plain integer.  Negative times stand for the past before the stream
opened (loans already running); they are never emitted.
"""
from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from datetime import date, timedelta

DAY = 86_400
HOUR = 3_600
START_DATE = date(2026, 1, 5)
OFFSET = "+08:00"
START_ISO = f"{START_DATE.isoformat()}T00:00:00{OFFSET}"


@dataclass(frozen=True)
class Clock:
    """History and test window lengths, plus a cached stamp formatter."""

    history_days: int
    test_days: int
    _dates: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.history_days < 1 or self.test_days < 1:
            raise ValueError("history_days and test_days must be positive")
        dates = tuple((START_DATE + timedelta(days=d)).isoformat() for d in range(self.days + 1))
        object.__setattr__(self, "_dates", dates)

    @property
    def days(self) -> int:
        return self.history_days + self.test_days

    @property
    def end(self) -> int:
        """First second after the stream (exclusive bound)."""
        return self.days * DAY

    @property
    def test_start(self) -> int:
        return self.history_days * DAY

    def stamp(self, t: int) -> str:
        """RFC 3339 stamp with the +08:00 offset for an in-window time."""
        day, rest = divmod(t, DAY)
        hour, rest = divmod(rest, HOUR)
        minute, second = divmod(rest, 60)
        return f"{self._dates[day]}T{hour:02d}:{minute:02d}:{second:02d}{OFFSET}"


def hour_profile(*bumps: tuple[float, float, float], base: float = 0.03) -> tuple[float, ...]:
    """24 hourly weights built from circular bumps (centre hour, width in hours, height).

    Worlds describe their daily rhythm as a few bumps (a lunch peak, an evening peak,
    a dawn peak at the docks) instead of hand-written tables.
    """
    weights = []
    for hour in range(24):
        w = base
        for centre, width, height in bumps:
            gap = min(abs(hour - centre), 24 - abs(hour - centre))
            w += height * pow(2.0, -((gap / width) ** 2))
        weights.append(w)
    return tuple(weights)


def cumulative(weights: tuple[float, ...] | list[float]) -> tuple[float, ...]:
    """Cumulative weights, normalised to end at 1, for fast sampling with bisect."""
    total = float(sum(weights))
    acc, out = 0.0, []
    for w in weights:
        acc += w / total
        out.append(acc)
    out[-1] = 1.0
    return tuple(out)


def second_of_day(cum_hours: tuple[float, ...], rng: random.Random) -> int:
    """A second of the day drawn from a cumulative 24-hour profile."""
    hour = bisect.bisect_left(cum_hours, rng.random())
    return min(hour, 23) * HOUR + rng.randrange(HOUR)


def hour_weights(cum_hours: tuple[float, ...]) -> list[float]:
    """Back from cumulative to per-hour probabilities (used to find unusual hours)."""
    prev, out = 0.0, []
    for c in cum_hours:
        out.append(c - prev)
        prev = c
    return out


def day_of(t: int) -> int:
    """Day index of a time (floor division, so the pre-stream past is negative)."""
    return t // DAY
