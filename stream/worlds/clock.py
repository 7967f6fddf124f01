"""Simulation time: seconds relative to the window start, daily rhythms, RFC 3339 output.

Everything inside the simulation is an integer number of seconds since the
window start (negative = before the monitor was switched on).  Only the very
last step turns it into a ``+08:00`` timestamp, so ordering and arithmetic stay
cheap and exact.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

DAY = 86_400
HOUR = 3_600
MINUTE = 60

LOCAL_TZ = timezone(timedelta(hours=8))
DEFAULT_START = datetime(2026, 1, 5, tzinfo=LOCAL_TZ)

#: Days of normal activity simulated before the window opens, so balances and
#: repayments of older loans are already flowing on day 0.
WARMUP_DAYS = 120


@dataclass(frozen=True)
class Window:
    """The emitted period: ``history_days`` then ``test_days``, from ``start``."""

    start: datetime
    history_days: int
    test_days: int

    @property
    def test_start(self) -> int:
        return self.history_days * DAY

    @property
    def end(self) -> int:
        return (self.history_days + self.test_days) * DAY

    @property
    def warmup_start(self) -> int:
        return -WARMUP_DAYS * DAY

    def weekday(self, t: int) -> int:
        """Monday=0 .. Sunday=6 of simulation second ``t``."""
        return (self.start.weekday() + t // DAY) % 7

    def format(self, t: int) -> str:
        """RFC 3339 with the +08:00 offset and whole seconds."""
        return (self.start + timedelta(seconds=int(t))).isoformat()


def make_window(start: datetime | None, history_days: int, test_days: int) -> Window:
    """Normalise ``start`` to +08:00 (naive = already local) and validate the lengths."""
    if history_days < 1 or test_days < 1:
        raise ValueError("history_days and test_days must be >= 1")
    moment = DEFAULT_START if start is None else start
    moment = moment.replace(tzinfo=LOCAL_TZ) if moment.tzinfo is None else moment.astimezone(LOCAL_TZ)
    return Window(moment.replace(microsecond=0), history_days, test_days)


def _profile(points: dict[int, float]) -> list[float]:
    """A 24-hour weight curve by linear interpolation between anchor hours."""
    hours = sorted(points)
    out = []
    for h in range(24):
        lo = max((a for a in hours if a <= h), default=hours[-1] - 24)
        hi = min((a for a in hours if a >= h), default=hours[0] + 24)
        w_lo, w_hi = points[lo % 24], points[hi % 24]
        out.append(w_lo if hi == lo else w_lo + (w_hi - w_lo) * (h - lo) / (hi - lo))
    return out


#: Hour-of-day borrowing curves per segment: consumers borrow at lunch and in
#: the evening, small businesses in working hours, students late.
SEGMENT_HOURS: dict[str, list[float]] = {
    "individual": _profile({0: 0.5, 3: 0.1, 6: 0.3, 9: 1.2, 12: 2.2, 14: 1.4, 18: 1.6, 21: 2.4, 23: 1.2}),
    "small_business": _profile({0: 0.2, 4: 0.05, 7: 0.6, 9: 2.2, 11: 2.4, 13: 1.6, 15: 2.2, 18: 1.2, 21: 0.7}),
    "student": _profile({0: 1.4, 2: 0.6, 5: 0.1, 8: 0.5, 11: 1.4, 13: 1.6, 17: 1.2, 21: 2.4, 23: 2.2}),
}
NIGHT_HOURS = _profile({0: 1.0, 2: 1.2, 4: 0.8, 6: 0.0, 22: 0.0, 23: 0.4})


def personal_hours(segment: str, peak: float, night_share: float) -> list[float]:
    """Cumulative hour weights of one user: their own habit around ``peak`` mixed with the segment's."""
    base = SEGMENT_HOURS[segment]
    total, top = sum(base), max(base)
    night_total = sum(NIGHT_HOURS)
    weights = []
    for h in range(24):
        gap = min(abs(h - peak), 24 - abs(h - peak))
        own = math.exp(-0.5 * (gap / 2.2) ** 2) / (2.2 * math.sqrt(2 * math.pi))
        own *= 0.25 + base[h] / top  # even night owls mostly sleep at 4am
        seg = base[h] / total
        night = NIGHT_HOURS[h] / night_total
        weights.append((1 - night_share) * (0.6 * own + 0.4 * seg) + night_share * night)
    cum, acc = [], 0.0
    for w in weights:
        acc += w
        cum.append(acc)
    return cum


HOURS = list(range(24))


def time_on_day(rng: random.Random, day: int, cum_hours: list[float]) -> int:
    """A second on simulation day ``day`` at an hour drawn from ``cum_hours``."""
    hour = rng.choices(HOURS, cum_weights=cum_hours)[0]
    return day * DAY + hour * HOUR + rng.randrange(HOUR)


def at_hour(rng: random.Random, day: int, lo: float, hi: float) -> int:
    """A second on day ``day`` uniformly between hours ``lo`` and ``hi``."""
    return day * DAY + int(rng.uniform(lo, hi) * HOUR)
