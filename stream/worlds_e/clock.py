"""Time for family E: the fixed window start, timestamps, holidays and day factors.

Times inside the generator are integer seconds since START
(2026-01-05T00:00:00+08:00, a Monday). Every event is written with the +08:00
offset, so the string order of timestamps is their time order.
"""

from __future__ import annotations

from datetime import date, timedelta

DAY = 86400
HOUR = 3600
MINUTE = 60
START_DATE = date(2026, 1, 5)
START_ISO = "2026-01-05T00:00:00+08:00"
CNY = date(2026, 2, 17)  # Chinese New Year 2026 (Spring Festival day 1)
LANTERN = date(2026, 3, 3)  # Lantern Festival, 15th day of the first lunar month


class Calendar:
    """Dates of the window days (plus a margin for due dates after it)."""

    def __init__(self, days: int, margin: int = 120) -> None:
        self.days = days
        n = days + margin
        self.dates = [START_DATE + timedelta(d) for d in range(n)]
        self.prefix = [d.isoformat() + "T" for d in self.dates]
        self.weekday = [d.weekday() for d in self.dates]  # 0 = Monday
        self.dom = [d.day for d in self.dates]

    def ts(self, t: int) -> str:
        d, s = divmod(t, DAY)
        h, s = divmod(s, HOUR)
        m, s = divmod(s, MINUTE)
        return f"{self.prefix[d]}{h:02d}:{m:02d}:{s:02d}+08:00"

    def day_of(self, d: date) -> int:
        return (d - START_DATE).days


def cny_factor(day: date, before: int, after: int, depth: float) -> float:
    """Lull around CNY: `depth` from New Year's Eve to day 4, ramping back to 1
    over `before` days before and `after` days after that core."""
    k = (day - CNY).days
    if -1 <= k <= 3:
        return depth
    if k < -1:
        dist, edge = -1 - k, before
    else:
        dist, edge = k - 3, after
    if dist > edge:
        return 1.0
    w = 1.0 - dist / (edge + 1)
    return 1.0 - (1.0 - depth) * w


def mix_seed(*parts: object) -> int:
    """A stable integer seed from ints and strings (no Python hash randomisation)."""
    acc = 1469598103934665603
    for p in parts:
        for b in str(p).encode() + b"|":
            acc = ((acc ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return acc
