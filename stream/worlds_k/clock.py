"""Time helpers: one fixed start instant, local +08:00 wall clock, hour profiles."""
from __future__ import annotations

import math
from datetime import date, datetime, timedelta, timezone

DAY = 86400
HOUR = 3600
TZ = timezone(timedelta(hours=8))
START_DATE = date(2026, 1, 5)  # a Monday
START = int(datetime(2026, 1, 5, tzinfo=TZ).timestamp())
# Spring Festival 2026 falls on 17 Feb; as a day index from START:
SPRING_FESTIVAL_DAY = (date(2026, 2, 17) - START_DATE).days


class Clock:
    """The stream window [start, end) and the test window [test_start, end)."""

    def __init__(self, history_days: int, test_days: int):
        self.history_days = history_days
        self.test_days = test_days
        self.days = history_days + test_days
        self.start = START
        self.end = START + self.days * DAY
        self.test_start = START + history_days * DAY

    def at(self, day: float, hour: float = 0.0) -> int:
        """Midnight of day index floor(day), plus `hour` hours (may exceed 24)."""
        return int(START + math.floor(day) * DAY + hour * HOUR)

    def day_of(self, t: int) -> int:
        return (t - START) // DAY

    def hour_of(self, t: int) -> float:
        return ((t - START) % DAY) / HOUR

    def weekday(self, day: int) -> int:
        return day % 7  # 0 = Monday, START is a Monday

    def dom(self, day: int) -> int:
        return (START_DATE + timedelta(days=day)).day

    def inside(self, t: int) -> bool:
        return self.start <= t < self.end

    def test_day(self, offset: int) -> int:
        """Day index `offset` days into the test window, kept inside it."""
        return self.history_days + max(0, min(offset, self.test_days - 1))


def fmt_ts(t: int) -> str:
    return datetime.fromtimestamp(t, TZ).isoformat()


class HourProfile:
    """A 24-bucket weight profile for the time of day of an activity."""

    def __init__(self, weights):
        assert len(weights) == 24
        total = float(sum(weights))
        self.weights = [w / total for w in weights]
        acc, cum = 0.0, []
        for w in self.weights:
            acc += w
            cum.append(acc)
        self.cum = cum

    def hour(self, rng) -> float:
        h = rng.choices(range(24), cum_weights=self.cum)[0]
        return h + rng.random()

    def quiet_hours(self, n: int = 5):
        return sorted(range(24), key=lambda h: (self.weights[h], h))[:n]


def profile(spec: dict, base: float = 0.2) -> HourProfile:
    """Build a profile from {hour or (lo, hi): weight}; other hours get `base`."""
    w = [base] * 24
    for key, val in spec.items():
        if isinstance(key, tuple):
            lo, hi = key
            hours = range(lo, hi) if lo < hi else list(range(lo, 24)) + list(range(0, hi))
            for h in hours:
                w[h] = val
        else:
            w[key] = val
    return HourProfile(w)
