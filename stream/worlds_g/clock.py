"""The stream window, users' local clocks and RFC 3339 time stamps.

Times inside the generator are whole seconds since START (2026-01-05T00:00:00+08:00).
A user lives in a *zone*; their daily rhythm is placed in local time and every
stamp is written with that zone's offset (London writes "Z" or "+00:00",
New York switches from -05:00 to -04:00 on 2026-03-08).
"""
from datetime import date, datetime, timedelta, timezone

DAY = 86400
HOUR = 3600
MINUTE = 60
START = datetime(2026, 1, 5, tzinfo=timezone(timedelta(hours=8)))
START_DATE = date(2026, 1, 5)
_UTC0 = datetime(2026, 1, 4, 16, 0, 0)  # START as a naive UTC clock
_BASE = 8 * HOUR                        # the offset the day index is counted in
_NY_DST = int((datetime(2026, 3, 8, 7, tzinfo=timezone.utc) - START).total_seconds())

ZONES = {
    "cn": 8 * HOUR,        # China / Singapore / Manila
    "jp": 9 * HOUR,        # Tokyo, Seoul
    "th": 7 * HOUR,        # Bangkok, Jakarta
    "in": 5 * HOUR + 1800, # India
    "ae": 4 * HOUR,        # Dubai
    "uk": 0,               # London (no summer time before 29 March)
    "ny": -5 * HOUR,       # New York (summer time from 8 March)
    "au": 11 * HOUR,       # Sydney (summer time until April)
}


def offset(zone, t):
    """Seconds east of UTC for `zone` at stream time `t`."""
    if zone == "ny" and t >= _NY_DST:
        return -4 * HOUR
    return ZONES[zone]


class Clock:
    """One run's window plus `state`, a dict of per-run world facts (payout days, ...)."""

    def __init__(self, history_days, test_days):
        self.history_days = int(history_days)
        self.test_days = int(test_days)
        self.days = self.history_days + self.test_days
        self.end = self.days * DAY
        self.test_start = self.history_days * DAY
        self.state = {}

    def inside(self, t):
        return 0 <= t < self.end

    def at(self, day, sod, zone="cn"):
        """Stream time of local day `day` (index from START's date) at `sod` seconds."""
        guess = day * DAY + sod - (ZONES[zone] - _BASE)
        return int(day * DAY + sod - (offset(zone, guess) - _BASE))

    def day_of(self, t, zone="cn"):
        """Local day index of stream time `t`."""
        return int((t + offset(zone, t) - _BASE) // DAY)

    @staticmethod
    def weekday(day):
        """0 = Monday (START is a Monday)."""
        return day % 7

    @staticmethod
    def date(day):
        return START_DATE + timedelta(days=day)

    @staticmethod
    def index(d):
        return (d - START_DATE).days

    def days_with_dom(self, dom, first=-400, last=None):
        """Day indices in [first, last) whose day of month is `dom` (28 at most)."""
        last = self.days + 400 if last is None else last
        out = []
        d = self.date(first)
        # step to the first matching date, then month by month
        while d.day != dom:
            d += timedelta(days=1)
        while self.index(d) < last:
            out.append(self.index(d))
            y, m = (d.year + 1, 1) if d.month == 12 else (d.year, d.month + 1)
            d = date(y, m, dom)
        return out


def stamp(t, zone="cn", ms=None, zulu=False):
    """RFC 3339 text of stream time `t` in `zone` (optionally with milliseconds)."""
    off = offset(zone, t)
    dt = _UTC0 + timedelta(seconds=t + off)
    frac = "" if ms is None else ".%03d" % ms
    if off == 0 and zulu:
        suffix = "Z"
    else:
        sign = "+" if off >= 0 else "-"
        a = abs(off)
        suffix = "%s%02d:%02d" % (sign, a // HOUR, (a % HOUR) // MINUTE)
    return "%04d-%02d-%02dT%02d:%02d:%02d%s%s" % (
        dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, frac, suffix)
