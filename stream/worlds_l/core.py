"""Core machinery of family L: seeded randomness, calendar, users, loans, repayment schedules.

Standard library only.  Every random draw comes from a ``random.Random`` seeded through
SHA-256 of (family, world, seed, purpose...), so the output is a pure function of the
arguments and does not depend on PYTHONHASHSEED (no set/dict-of-str iteration decides order).

Money is kept in integer cents; time in integer seconds since 2026-01-05T00:00:00+08:00.
"""
from __future__ import annotations

import bisect
import datetime as _dt
import hashlib
import math
import random

TZ = _dt.timezone(_dt.timedelta(hours=8))
EPOCH = _dt.datetime(2026, 1, 5, tzinfo=TZ)  # a Monday
DAY = 86400
HOUR = 3600
MINUTE = 60
MIN_AMOUNT_C = 100              # 1 yuan
MAX_AMOUNT_C = 1_000_000_000    # 10,000,000 yuan
MISSING = object()


def rng_for(*parts) -> random.Random:
    key = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:16], "big"))


def pick(rng, pairs):
    """Weighted choice from ((value, weight), ...)."""
    total = 0.0
    for _, w in pairs:
        total += w
    x = rng.random() * total
    for v, w in pairs:
        x -= w
        if x < 0:
            return v
    return pairs[-1][0]


def lognorm(rng, median, sigma, lo=None, hi=None):
    v = median * math.exp(rng.gauss(0.0, sigma))
    if lo is not None and v < lo:
        v = lo
    if hi is not None and v > hi:
        v = hi
    return v


def clamp(v, lo, hi):
    return lo if v < lo else hi if v > hi else v


def lerp(a, b, x):
    return a + (b - a) * x


def yuan(v) -> int:
    """yuan (float) -> cents (int)"""
    return int(round(v * 100))


def round_c(c, unit_yuan) -> int:
    """round cents to a multiple of unit_yuan yuan (at least one unit)"""
    u = int(round(unit_yuan * 100))
    return max(u, int(round(c / u)) * u)


def ceil_c(c, unit_yuan) -> int:
    u = int(round(unit_yuan * 100))
    return max(u, -(-int(c) // u) * u)


def messy_amount(rng, cents):
    """a non-round, purchase-like amount around `cents`"""
    c = max(100, int(cents))
    return c - c % 100 + rng.choice((0, 0, 50, 80, 90, 99, 0, 30, 12, 66))


def money(c):
    """cents -> JSON number with at most two decimals (int when whole)."""
    c = int(c)
    if c % 100 == 0:
        return c // 100
    return c / 100


# time-of-day profiles: (start hour, end hour, weight)
TOD = {
    "office": ((9, 12, 4), (12, 13, 1), (13, 18, 4), (18, 22, 1.2), (7, 9, .6)),
    "evening": ((19, 23, 6), (12, 14, 1.5), (7, 9, 1), (23, 24, 1), (14, 19, 1.5)),
    "night": ((21, 24, 4), (0, 3, 3), (12, 14, 1), (15, 21, 1.5)),
    "early": ((6, 9, 4), (12, 13, 1), (18, 21, 2), (9, 12, 1)),
    "business": ((8, 12, 4), (13, 19, 4), (19, 21, 1), (12, 13, .6)),
    "shop": ((10, 13, 3), (13, 18, 3), (18, 22, 4)),
    "trading": ((9.5, 11.5, 5), (13, 15, 5), (15, 20, 1), (20, 23, .6)),
    "batch": ((2, 5, 1),),
    "midday": ((11, 14, 4), (9, 11, 1), (14, 17, 2)),
    "smallhours": ((0, 5, 1),),
}


def sample_tod(rng, name) -> int:
    segs = TOD[name]
    total = 0.0
    for s in segs:
        total += s[2]
    x = rng.random() * total
    seg = segs[-1]
    for s in segs:
        x -= s[2]
        if x < 0:
            seg = s
            break
    a, b = seg[0] * HOUR, seg[1] * HOUR
    return int(a + rng.random() * (b - a)) % DAY


class Ctx:
    """Arguments and calendar of one generation."""

    def __init__(self, world, seed, users, history_days, test_days):
        self.world = world
        self.seed = seed
        self.n_users = users
        self.H = history_days
        self.T = test_days
        self.D = history_days + test_days
        self.test_start = self.H * DAY
        self.end = self.D * DAY
        base = EPOCH.date()
        self._n = self.D + 420
        self.dates = [base + _dt.timedelta(days=i) for i in range(self._n)]
        self._ds = [d.isoformat() for d in self.dates]

    def rng(self, *parts):
        return rng_for("worlds_l/1", self.world, self.seed, *parts)

    def fmt(self, ts) -> str:
        d, rem = divmod(int(ts), DAY)
        h, rem = divmod(rem, HOUR)
        m, s = divmod(rem, MINUTE)
        return "%sT%02d:%02d:%02d+08:00" % (self._ds[d], h, m, s)

    def date(self, d):
        if 0 <= d < self._n:
            return self.dates[d]
        return EPOCH.date() + _dt.timedelta(days=d)

    def date_str(self, d) -> str:
        return self.date(d).isoformat()

    def dom(self, d) -> int:
        return self.date(d).day

    def days_to_month_end(self, d) -> int:
        x = self.date(d)
        nxt = (x.replace(day=28) + _dt.timedelta(days=4)).replace(day=1)
        return (nxt - x).days - 1

    def test_day(self, frac) -> int:
        return self.H + min(self.T - 1, max(0, int(round(self.T * frac))))

    @staticmethod
    def weekday(d) -> int:
        return d % 7  # day 0 is a Monday


class Rep:
    __slots__ = ("ts", "amt", "princ", "late", "tag", "ep", "show_out")

    def __init__(self, ts, amt, princ, late, tag, ep, show_out=True):
        self.ts = ts
        self.amt = amt
        self.princ = princ
        self.late = late
        self.tag = tag
        self.ep = ep
        self.show_out = show_out


class Loan:
    __slots__ = ("user", "ts", "amt", "product", "term", "channel", "device", "merchant", "purpose",
                 "tag", "ep", "reps", "policy_limit", "score_adj", "hide_score", "kind", "loan_id")

    def __init__(self, user, ts, amt, product, term, channel, device, merchant, purpose, tag=None, ep=None):
        self.user = user
        self.ts = int(ts)
        self.amt = int(amt)
        self.product = product
        self.term = int(term)
        self.channel = channel
        self.device = device
        self.merchant = merchant
        self.purpose = purpose
        self.tag = tag
        self.ep = ep
        self.reps = []
        self.policy_limit = None
        self.score_adj = 0
        self.hide_score = False
        self.kind = None
        self.loan_id = None

    def paid_before(self, ts) -> int:
        p = 0
        for r in self.reps:
            if r.ts < ts:
                p += r.princ
        return p

    def remaining_at(self, ts) -> int:
        return self.amt - self.paid_before(ts)


class User:
    def __init__(self, idx, uid, segment):
        self.idx = idx
        self.uid = uid
        self.segment = segment
        self.loans = []
        self.tags = []
        self.base_limit = 0
        self.limit_events = []   # (ts, multiplicative factor)
        self.score0 = 650
        self.score_events = []   # (ts, delta)
        self.dev_timeline = []   # sorted (ts, device)
        self.shared_dev = None
        self.p_shared = 0.0
        self.tod = "evening"
        self.dow = [1.0] * 7
        self.chan = (("app", 1.0),)
        self.habit = None
        self.activity = 1.0
        self.p = {}

    def limit_at(self, ts) -> int:
        v = float(self.base_limit)
        for t, f in self.limit_events:
            if t <= ts:
                v *= f
        return int(v)

    def score_at(self, ts) -> int:
        s = self.score0
        for t, dlt in self.score_events:
            if t <= ts:
                s += dlt
        return int(clamp(s, 350, 950))

    def device_at(self, ts):
        dev = None
        for t, d in self.dev_timeline:
            if t <= ts or dev is None:
                dev = d
            else:
                break
        return dev

    def add_device(self, ts, dev):
        bisect.insort(self.dev_timeline, (int(ts), dev))

    def outstanding_at(self, ts) -> int:
        tot = 0
        for L in self.loans:
            if L.ts < ts:
                tot += L.amt - L.paid_before(ts)
        return tot

    def main_channel(self):
        best, bw = None, -1.0
        for c, w in self.chan:
            if w > bw:
                best, bw = c, w
        return best


class Habit:
    """How a borrower times repayments.  offset() returns days relative to the due day."""

    def __init__(self, tod="evening", p_early=0.15, early_max=4, p_late=0.08, late_mean=2.5, late_max=25,
                 autopay=False, p_fail=0.03, payday=None, p_payday=0.8):
        self.tod = tod
        self.p_early = p_early
        self.early_max = early_max
        self.p_late = p_late
        self.late_mean = late_mean
        self.late_max = late_max
        self.autopay = autopay
        self.p_fail = p_fail
        self.payday = payday
        self.p_payday = p_payday

    def offset(self, rng, ctx, due_day) -> int:
        if self.autopay:
            if rng.random() < self.p_fail:
                return rng.randint(1, 3)
            return 0
        if self.payday and rng.random() < self.p_payday:
            for k in range(-6, 32):
                if ctx.dom(due_day + k) in self.payday:
                    return k
        r = rng.random()
        if r < self.p_early:
            return -rng.randint(1, self.early_max)
        if r < self.p_early + self.p_late:
            return min(self.late_max, 1 + int(rng.expovariate(1.0 / self.late_mean)))
        return 0

    def pay_tod(self, rng) -> int:
        if self.autopay:
            return rng.randint(2 * HOUR, 5 * HOUR - 1)
        return sample_tod(rng, self.tod)


def schedule(w, rng, L, n, period, habit, *, late_seq=None, shares=None, first_due=None,
             show_out=True, tag=MISSING, ep=MISSING):
    """Attach repayments of loan L: n instalments every `period` days.

    late_seq: explicit day offsets per instalment (None/short list = stop paying).
    shares:   fraction of the *remaining* principal paid at instalment k (default: equal parts).
    Repayments at or after the end of the stream are not kept.
    """
    ctx = w.ctx
    if n < 1:
        return
    tag = L.tag if tag is MISSING else tag
    ep = L.ep if ep is MISSING else ep
    rem = L.amt - sum(r.princ for r in L.reps)
    if rem <= 0:
        return
    base = rem // n
    start_day = L.ts // DAY
    last = max([L.ts] + [r.ts for r in L.reps])
    rate = w.daily_rate(L)
    fd = period if first_due is None else first_due
    for k in range(n):
        due = start_day + fd + period * k
        if due > ctx.D + 45:
            break
        if late_seq is not None:
            if k >= len(late_seq) or late_seq[k] is None:
                break
            off = late_seq[k]
        else:
            off = habit.offset(rng, ctx, due)
        pay = w.adjust_payment(L, due, due + off, rng, habit)
        ts = pay * DAY + habit.pay_tod(rng)
        if ts <= last:
            ts = last + rng.randint(5 * MINUTE, 4 * HOUR)
        if ts >= ctx.end:
            break
        if shares is not None and k < len(shares):
            princ = int(rem * shares[k])
        elif k == n - 1:
            princ = rem
        else:
            princ = base
        princ = max(0, min(princ, rem))
        late = max(0, ts // DAY - due)
        days = max(1.0, (ts - last) / DAY)
        interest = int(rem * rate * days) + (int(rem * 0.0005 * late) if late else 0)
        amt = min(max(princ + interest, MIN_AMOUNT_C), MAX_AMOUNT_C)
        L.reps.append(Rep(ts, amt, princ, late, tag, ep, show_out))
        rem -= princ
        last = ts
        if rem <= 0:
            break


def payoff(w, rng, L, ts, late=0, tag=MISSING, ep=MISSING, show_out=True, fraction=1.0):
    """Settle (a fraction of) what is left on L at time ts; later planned repayments are dropped."""
    ctx = w.ctx
    ts = int(ts)
    if ts <= L.ts:
        ts = L.ts + rng.randint(10 * MINUTE, 2 * HOUR)
    keep = [r for r in L.reps if r.ts < ts]
    L.reps[:] = keep
    if ts >= ctx.end:
        return None
    rem = L.amt - sum(r.princ for r in keep)
    if rem <= 0:
        return None
    princ = rem if fraction >= 1.0 else max(1, int(rem * fraction))
    last = keep[-1].ts if keep else L.ts
    interest = int(rem * w.daily_rate(L) * max(1.0, (ts - last) / DAY))
    amt = min(max(princ + interest, MIN_AMOUNT_C), MAX_AMOUNT_C)
    r = Rep(ts, amt, princ, late, L.tag if tag is MISSING else tag, L.ep if ep is MISSING else ep, show_out)
    L.reps.append(r)
    return r
