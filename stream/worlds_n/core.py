"""Simulation engine shared by the family-N lender worlds.

Every world is a subclass of :class:`World`.  The engine simulates each user
independently (one ``random.Random`` per user, seeded from the world key), day
by day: a Poisson number of loans per day shaped by the user's weekly rhythm
and daily hours, each loan gets a repayment plan (lump, monthly, weekly,
statement or world specific) and a punctuality draw per due date (early, on
time, late, partial).  Loans that were opened before the stream starts show up
as repayments only.  World subclasses change behaviour through small hooks
(``customize``, ``rate_mult``, ``adjust_loan``, ``dues``, ``post_plan``,
``arrivals``) and through a per-user queue of scheduled loans.

Internal bookkeeping keys on events start with ``_`` and are stripped by
:meth:`World.finalize`; ``outstanding`` and ``credit_limit`` are computed at
that point from the user's full, time-ordered history.
"""
from __future__ import annotations

import bisect
import heapq
import math
import random
from datetime import date, timedelta

DAY = 86400
HOUR = 3600
TZ = "+08:00"
MAX_AMOUNT = 10_000_000.0

SEGMENTS = ("individual", "small_business", "student")
PRODUCTS = ("cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge")
CHANNELS = ("app", "web", "merchant", "partner")
PURPOSES = ("consumption", "business", "education")


# --------------------------------------------------------------------- helpers
def money(x: float) -> float:
    x = round(float(x), 2)
    if x < 0.01:
        x = 0.01
    if x > MAX_AMOUNT:
        x = MAX_AMOUNT
    return x


def num(x: float):
    """JSON-friendly number: integers print without a decimal point."""
    x = round(float(x), 2)
    if x == 0:
        return 0
    if x == int(x):
        return int(x)
    return x


def lerp(a: float, b: float, s: float) -> float:
    return a + (b - a) * s


def clamp(x, lo, hi):
    return lo if x < lo else hi if x > hi else x


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(rng.gauss(lam, math.sqrt(lam)) + 0.5))
    lim = math.exp(-lam)
    k, p = 0, 1.0
    while True:
        p *= rng.random()
        if p <= lim:
            return k
        k += 1


def wchoice(rng: random.Random, weights: dict):
    keys = list(weights)
    return rng.choices(keys, weights=[weights[k] for k in keys])[0]


def lognorm(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def round_down(x: float, step: float) -> float:
    return math.floor(x / step) * step


def round_step(x: float, step: float) -> float:
    return max(step, round(x / step) * step)


class Ids:
    """Opaque, unique, deterministic identifiers."""

    def __init__(self, key: str):
        self.rng = random.Random(key)
        self.seen: set[str] = set()

    def new(self, prefix: str, nhex: int) -> str:
        while True:
            s = prefix + format(self.rng.getrandbits(4 * nhex), "0%dx" % nhex)
            if s not in self.seen:
                self.seen.add(s)
                return s


class Sched:
    """A piecewise-constant value over time (limit, score, device)."""

    def __init__(self, v0):
        self.t = [-(10 ** 12)]
        self.v = [v0]

    def at(self, t):
        return self.v[bisect.bisect_right(self.t, t) - 1]

    def set(self, t, v):
        i = bisect.bisect_right(self.t, t)
        self.t.insert(i, t)
        self.v.insert(i, v)

    def scale_after(self, t, f, step=100):
        for i, ti in enumerate(self.t):
            if ti > t:
                self.v[i] = round_step(self.v[i] * f, step)


class Tracker:
    """Running principal balance while a user's normal life is generated."""

    def __init__(self, b0=0.0):
        self.b = b0
        self.h: list = []
        self.n = 0

    def add(self, t, dp):
        self.n += 1
        heapq.heappush(self.h, (t, self.n, dp))

    def at(self, t):
        h = self.h
        while h and h[0][0] <= t:
            self.b += heapq.heappop(h)[2]
        return self.b


class User:
    def __init__(self, uid: str, idx: int, rng: random.Random, segment: str):
        self.uid = uid
        self.idx = idx
        self.rng = rng
        self.segment = segment
        self.kind = segment
        self.region = 0
        self.first_day = 0
        self.stop_day = 10 ** 6
        self.events: list[dict] = []
        self.limit = Sched(0.0)
        self.score = Sched(600)
        self.device = Sched(None)
        self.alt_dev = None
        self.p_alt = 0.0
        self.web_dev = None
        self.init_balance = 0.0
        self.anom = False
        self.arrival = False       # joined as part of the world's test-window change
        self.synthetic = False     # created by a misbehaviour episode
        self.queue: list = []
        self.qn = 0
        self.attrs: dict = {}
        self.merchants: list[str] = []
        self.rate = 0.0
        self.pw: dict = {}
        self.ch: dict = {"app": 1.0}
        self.hours = [(12.0, 3.0, 1.0)]
        self.wd = [1.0] * 7
        self.scale = 1.0
        self.punct = [0.2, 0.6, 0.15, 0.05]
        self.late_mean = 2.0
        self.autodebit = False
        self.ad_hour = 7.0
        self.p_reborrow = 0.1
        self.p_prepay = 0.02
        self.p_fields = 1.0
        self.blank = False

    # events-based balance (used after the normal life is generated)
    def balance_at(self, t):
        b = self.init_balance
        for e in self.events:
            if e["_t"] <= t:
                b += e["_dp"]
        return b

    def headroom(self, t):
        return self.limit.at(t) - self.balance_at(t)

    def loans(self):
        return [e for e in self.events if e["event_type"] == "loan"]


# ------------------------------------------------------------------ the world
class World:
    name = "base"
    description = ""
    start = date(2026, 3, 2)
    n_regions = 4
    seg_mix = {"individual": 0.7, "small_business": 0.15, "student": 0.15}
    weekday = [1.0, 1.0, 1.0, 1.0, 1.1, 0.9, 0.8]
    hours = {
        "individual": [(9.5, 1.5, 0.3), (13.0, 1.5, 0.3), (20.5, 1.8, 0.4)],
        "small_business": [(8.0, 1.5, 0.4), (14.0, 2.0, 0.3), (21.0, 1.5, 0.3)],
        "student": [(12.0, 2.0, 0.3), (22.0, 1.5, 0.7)],
    }
    products = {
        "individual": {"cash_loan": 0.35, "credit_line": 0.5, "installment": 0.15},
        "small_business": {"merchant_loan": 0.6, "cash_loan": 0.25, "credit_line": 0.15},
        "student": {"credit_line": 0.7, "installment": 0.2, "cash_loan": 0.1},
    }
    amounts = {  # product -> segment -> (median, sigma)
        "cash_loan": {"individual": (3000, 0.7), "small_business": (8000, 0.7), "student": (800, 0.6)},
        "credit_line": {"individual": (350, 0.9), "small_business": (900, 0.9), "student": (180, 0.8)},
        "installment": {"individual": (3500, 0.7), "small_business": (9000, 0.7), "student": (2500, 0.5)},
        "merchant_loan": {"individual": (8000, 0.7), "small_business": (30000, 0.8), "student": (3000, 0.5)},
        "wealth_pledge": {"individual": (50000, 0.8), "small_business": (120000, 0.8), "student": (10000, 0.5)},
    }
    terms = {
        "cash_loan": ([7, 14, 30, 90, 180, 365], [0.08, 0.1, 0.32, 0.25, 0.15, 0.1]),
        "credit_line": ([30, 60, 90], [0.75, 0.15, 0.1]),
        "installment": ([90, 180, 270, 360, 720], [0.25, 0.35, 0.15, 0.2, 0.05]),
        "merchant_loan": ([30, 60, 90, 180, 365], [0.2, 0.25, 0.3, 0.15, 0.1]),
        "wealth_pledge": ([30, 90, 180, 365], [0.3, 0.35, 0.25, 0.1]),
    }
    styles = {"cash_loan": "auto", "credit_line": "statement", "installment": "monthly",
              "merchant_loan": "auto", "wealth_pledge": "lump"}
    aprs = {"cash_loan": 0.18, "credit_line": 0.0, "installment": 0.12,
            "merchant_loan": 0.10, "wealth_pledge": 0.06}
    limits = {"individual": (15000, 0.6), "small_business": (80000, 0.7), "student": (4000, 0.5)}
    limit_step = 100
    limit_mult = 1.5
    util_soft = 0.55
    limit_review_per_month = 0.35
    scores = {"individual": (660, 60), "small_business": (690, 55), "student": (610, 45)}
    rates = {"individual": (0.09, 0.7), "small_business": (0.08, 0.6), "student": (0.1, 0.6)}
    channels = {
        "individual": {"app": 0.7, "web": 0.15, "merchant": 0.1, "partner": 0.05},
        "small_business": {"app": 0.55, "web": 0.2, "merchant": 0.2, "partner": 0.05},
        "student": {"app": 0.8, "web": 0.05, "merchant": 0.05, "partner": 0.1},
    }
    punct = {"individual": (0.25, 0.55, 0.14, 0.06), "small_business": (0.2, 0.55, 0.18, 0.07),
             "student": (0.15, 0.55, 0.2, 0.1)}
    prewindow = {"individual": 0.8, "small_business": 1.0, "student": 0.4}
    prewindow_products = None
    new_user_share = 0.045
    churn_share = 0.035
    autodebit_share = 0.5
    autodebit_hours = (5.5, 7.5)
    phone_change_p = 0.05
    reborrow_max = 0.35
    merchant_pool = 240
    burn_in = 150
    # presence probability per channel: score, purpose, merchant_id
    presence = {"app": (0.92, 0.85, 0.9), "web": (0.75, 0.6, 0.9),
                "merchant": (0.55, 0.5, 0.9), "partner": (0.3, 0.4, 0.9)}
    p_currency_loan = 0.35
    p_currency_rep = 0.6
    p_outstanding = 0.8

    # ................................................................ set-up
    def __init__(self, seed: int, users: int = 3000, history_days: int = 45,
                 test_days: int = 14, anomaly_share=None):
        self.seed = int(seed)
        self.n_users = int(users)
        self.hd = int(history_days)
        self.td = int(test_days)
        self.D = self.hd + self.td
        self.T_hist = self.hd * DAY
        self.T_end = self.D * DAY
        self.key = "N|%s|%d|%d|%d|%d" % (self.name, self.seed, self.n_users, self.hd, self.td)
        self.rng = random.Random(self.key + "|world")
        self.erng = random.Random(self.key + "|episodes")
        self.ids = Ids(self.key + "|ids")
        self.anomaly_share = anomaly_share
        self.dow0 = self.start.weekday()
        self.day_str = [(self.start + timedelta(days=d)).isoformat() for d in range(self.D + 400)]
        self.users: list[User] = []
        self.extra: list[User] = []
        self.episodes: list = []
        self.mpool = [[self.ids.new("m-", 8) for _ in range(max(2, self.merchant_pool // self.n_regions))]
                      for _ in range(self.n_regions)]

    def dow(self, d: int) -> int:
        return (self.dow0 + d) % 7

    def ts(self, t: int) -> str:
        d, s = divmod(int(t), DAY)
        h, s = divmod(s, 3600)
        m, s = divmod(s, 60)
        return "%sT%02d:%02d:%02d%s" % (self.day_str[d], h, m, s, TZ)

    # ............................................................... users
    def make_user(self, idx: int, segment=None, blank=False, tag="u", arrival=False) -> User:
        rng = random.Random("%s|%s%d" % (self.key, tag, idx))
        seg = segment or wchoice(rng, self.seg_mix)
        u = User(self.ids.new("u-", 10), idx, rng, seg)
        u.blank = blank
        u.arrival = arrival
        self.init_user(u)
        if not blank:
            self.customize(u)
        return u

    def init_user(self, u: User):
        rng, seg = u.rng, u.segment
        u.region = rng.randrange(self.n_regions)
        if not u.blank and not u.arrival and rng.random() < self.new_user_share:
            u.first_day = rng.randrange(1, self.D)
        u.stop_day = self.D
        if not u.blank and u.first_day == 0 and rng.random() < self.churn_share:
            u.stop_day = rng.randrange(-30, self.D)  # stops borrowing, keeps repaying
        med, sig = self.rates[seg]
        u.rate = lognorm(rng, med, sig)
        if rng.random() < 0.12:
            u.rate *= 0.25
        u.pw = {p: w * rng.gammavariate(1.5, 1.0) for p, w in self.products[seg].items() if w > 0}
        u.scale = lognorm(rng, 1.0, 0.35)
        comps = self.hours[seg]
        prim = rng.choices(range(len(comps)), weights=[c[2] for c in comps])[0]
        u.hours = []
        for j, (c, sd, w) in enumerate(comps):
            ww = w * (3.0 if j == prim else rng.uniform(0.1, 1.0))
            u.hours.append((c + rng.gauss(0, 0.8), sd * rng.uniform(0.6, 1.3), ww))
        u.wd = [w * math.exp(rng.gauss(0, 0.2)) for w in self.weekday]
        chs = self.channels[seg]
        main = wchoice(rng, chs)
        share = rng.uniform(0.8, 0.97)
        tot = sum(chs.values())
        u.ch = {c: (share if c == main else 0.0) + (1 - share) * w / tot for c, w in chs.items()}
        u.device = Sched(self.ids.new("d-", 8))
        if rng.random() < self.phone_change_p:
            tc = rng.randrange(max(u.first_day, 1) * DAY, self.T_end)
            u.device.set(tc, self.ids.new("d-", 8))
        if rng.random() < 0.08:
            u.alt_dev = self.ids.new("d-", 8)
            u.p_alt = rng.uniform(0.05, 0.3)
        if rng.random() < 0.5:
            u.web_dev = self.ids.new("d-", 10)
        lm, ls = self.limits[seg]
        lim = round_step(lognorm(rng, lm * self.limit_mult, ls) * math.sqrt(u.scale), self.limit_step)
        u.limit = Sched(lim)
        nrev = poisson(rng, self.limit_review_per_month * self.D / 30.0)
        times = sorted(rng.randrange(u.first_day * DAY, self.T_end) for _ in range(nrev))
        for t in times:
            cur = u.limit.at(t)
            r = rng.random()
            if r < 0.06:
                f = rng.uniform(1.8, 3.0)
            elif r < 0.72:
                f = rng.uniform(1.1, 1.5)
            else:
                f = rng.uniform(0.6, 0.9)
            u.limit.set(t, round_step(cur * f, self.limit_step))
        mu, sd = self.scores[seg]
        sc = int(clamp(rng.gauss(mu, sd), 360, 940))
        u.score = Sched(sc)
        tr = rng.randrange(0, 30 * DAY)
        while tr < self.T_end:
            sc = int(clamp(sc + rng.gauss(0, 12), 350, 950))
            u.score.set(tr, sc)
            tr += 30 * DAY
        w = [x * rng.gammavariate(3.0, 1.0) for x in self.punct[seg]]
        tot = sum(w)
        u.punct = [x / tot for x in w]
        if rng.random() < 0.05:
            u.punct = [0.05, 0.35, 0.45, 0.15]
        u.late_mean = rng.uniform(1.0, 4.0)
        u.autodebit = rng.random() < self.autodebit_share
        u.ad_hour = rng.uniform(*self.autodebit_hours)
        u.p_reborrow = rng.uniform(0.0, self.reborrow_max)
        u.p_prepay = rng.uniform(0.0, 0.04)
        u.p_fields = rng.uniform(0.85, 1.0)
        pool = self.mpool[u.region]
        u.merchants = rng.sample(pool, min(len(pool), 1 + poisson(rng, 1.5)))

    def customize(self, u: User):
        """World hook: set world-specific habits and queue scheduled loans."""

    def queue(self, u: User, t: int, spec: dict):
        u.qn += 1
        heapq.heappush(u.queue, (int(t), u.qn, spec))

    # ............................................................... draws
    def draw_hour(self, u: User) -> float:
        c, sd, _ = u.rng.choices(u.hours, weights=[h[2] for h in u.hours])[0]
        return (u.rng.gauss(c, sd)) % 24.0

    def draw_time(self, u: User, d: int) -> int:
        return d * DAY + int(self.draw_hour(u) * 3600) % DAY

    def device_for(self, u: User, t: int, ch: str):
        rng = u.rng
        if ch == "app":
            if u.alt_dev and rng.random() < u.p_alt:
                return u.alt_dev
            return u.device.at(t)
        if ch == "web":
            return u.web_dev if rng.random() < 0.85 else None
        if ch == "merchant":
            return u.device.at(t) if rng.random() < 0.5 else None
        return u.device.at(t) if rng.random() < 0.1 else None

    def purpose_of(self, u: User, product: str) -> str:
        r = u.rng.random()
        if product == "merchant_loan":
            return "business"
        if u.segment == "student":
            return "education" if r < 0.3 else "consumption"
        if u.segment == "small_business":
            return "business" if r < 0.7 else "consumption"
        return "consumption" if r < 0.86 else ("education" if r < 0.93 else "business")

    def round_amount(self, rng, product, x):
        if product == "cash_loan":
            return round_step(x, 100 if rng.random() < 0.8 else 10)
        if product == "merchant_loan":
            return round_step(x, 1000 if rng.random() < 0.6 else 100)
        if product == "wealth_pledge":
            return round_step(x, 1000)
        if product == "installment" and rng.random() < 0.4:
            return round_step(x, 1)
        return money(x)

    def min_amount(self, product) -> float:
        return {"cash_loan": 100.0, "credit_line": 10.0, "installment": 300.0,
                "merchant_loan": 1000.0, "wealth_pledge": 1000.0}[product]

    def draw_loan(self, u: User, t: int, product=None) -> dict:
        rng = u.rng
        p = product or wchoice(rng, u.pw)
        med, sig = self.amounts[p][u.segment]
        amt = self.round_amount(rng, p, lognorm(rng, med * u.scale, sig))
        terms, tw = self.terms[p]
        ch = wchoice(rng, u.ch)
        spec = {"product": p, "amount": amt, "term": rng.choices(terms, tw)[0], "channel": ch,
                "purpose": self.purpose_of(u, p), "device": self.device_for(u, t, ch)}
        if ch == "merchant":
            spec["merchant"] = rng.choice(u.merchants)
        if rng.random() < 0.03:
            spec["frac"] = rng.uniform(0.6, 0.95)
        return spec

    def complete_spec(self, u: User, t: int, spec: dict) -> dict:
        base = self.draw_loan(u, t, spec.get("product"))
        base.update({k: v for k, v in spec.items() if v is not None or k == "device"})
        return base

    # world hooks ---------------------------------------------------------
    def rate_mult(self, u: User, d: int) -> float:
        return 1.0

    def adjust_loan(self, u: User, t: int, spec: dict) -> dict:
        return spec

    def post_plan(self, u: User, t0: int, amount: float, spec: dict, pays: list) -> list:
        return pays

    def arrivals(self) -> list:
        return []

    def setup(self):
        """World hook run before users are created."""

    # ........................................................ repayments
    def dues(self, u: User, t0: int, P: float, spec: dict) -> list:
        style = spec.get("style") or self.styles[spec["product"]]
        term = int(spec["term"])
        if style == "auto":
            style = "lump" if term <= 60 else "monthly"
        if style in ("lump", "payout"):
            return [(t0 + term * DAY, P)]
        if style == "statement":
            return [(t0 + u.rng.randint(18, 48) * DAY, P)]
        step = {"monthly": 30, "weekly": 7, "biweekly": 14}[style]
        n = max(1, term // step)
        horizon = self.T_end + 45 * DAY
        part = round(P / n, 2)
        out = []
        for k in range(n):
            td = t0 + (k + 1) * step * DAY
            pp = part if k < n - 1 else round(P - part * (n - 1), 2)
            out.append((td, pp))
            if td > horizon:
                break
        return out

    def pay_time(self, u: User, day: int) -> int:
        if u.autodebit and u.rng.random() < 0.9:
            h = u.ad_hour + u.rng.uniform(0, 0.4)
        else:
            h = self.draw_hour(u)
        return day * DAY + int(h * 3600) % DAY

    def pay_plan(self, u: User, t0: int, dues: list, spec: dict, punct=None) -> list:
        """Turn due dates into payments: list of (t_pay, principal_part, t_due)."""
        rng = u.rng
        pe, po, pl, pp = punct or u.punct
        out = []
        statement = (spec.get("style") or self.styles[spec["product"]]) == "statement"
        if len(dues) > 1 and rng.random() < u.p_prepay:
            k = rng.randrange(1, len(dues))
            lo = dues[k - 1][0] + DAY
            hi = dues[k][0] - DAY
            if hi > lo:
                tp_day = rng.randint(lo, hi) // DAY
                rest = round(sum(x[1] for x in dues[k:]), 2)
                dues = dues[:k] + [(tp_day * DAY + 12 * HOUR, rest)]
        for td, part in dues:
            dday = td // DAY
            r = rng.random()
            if r < pe:
                span = (td - t0) // DAY - 1
                back = rng.randint(1, min(10, span)) if span >= 1 else 0
                tp = self.pay_time(u, dday - back)
                out.append((tp, part, td))
            elif r < pe + po:
                out.append((self.pay_time(u, dday), part, td))
            elif r < pe + po + pl:
                late = 1 + int(rng.expovariate(1.0 / u.late_mean))
                out.append((self.pay_time(u, dday + late), part, td))
            else:
                f = rng.uniform(0.25, 0.8) if not statement else rng.uniform(0.1, 0.35)
                p1 = round(part * f, 2)
                out.append((self.pay_time(u, dday), p1, td))
                if statement:
                    out.append((self.pay_time(u, dday + rng.randint(25, 35)), round(part - p1, 2),
                                td + rng.randint(25, 35) * DAY))
                else:
                    late = 1 + int(rng.expovariate(1.0 / (u.late_mean + 2)))
                    out.append((self.pay_time(u, dday + late), round(part - p1, 2), td))
        fixed = []
        for tp, part, td in out:
            if tp <= t0 + 300:
                tp = t0 + rng.randint(600, 4 * HOUR)
            if part > 0:
                fixed.append((tp, part, td))
        return fixed

    def rep_amount(self, product, part, t0, tp, td, apr=None):
        apr = self.aprs[product] if apr is None else apr
        days = max(1.0, (tp - t0) / DAY)
        late = max(0, tp // DAY - td // DAY)
        return money(part * (1 + apr * days / 365.0) + part * 0.0005 * late)

    def emit_pays(self, u: User, lid: str, t0: int, product: str, pays: list, trk=None,
                  lab=0, sc="normal", vis_from=None):
        # events before 0 are kept (they count for balances) and dropped by finalize
        out = []
        lo = -(10 ** 12) if vis_from is None else vis_from
        for tp, part, td in pays:
            if trk is not None:
                trk.add(tp, -part)
            if lo <= tp < self.T_end:
                e = self.repayment_event(u, tp, lid, self.rep_amount(product, part, t0, tp, td),
                                         max(0, tp // DAY - td // DAY), part, lab, sc)
                u.events.append(e)
                out.append(e)
        return out

    # ............................................................ events
    def loan_event(self, u: User, t: int, lid: str, amount: float, spec: dict, lab=0, sc="normal") -> dict:
        rng = u.rng
        ch = spec["channel"]
        ps, pp, pm = self.presence[ch]
        e = {"event_type": "loan", "user_id": u.uid, "amount": amount, "loan_id": lid,
             "product": spec["product"], "term_days": int(spec["term"]),
             "segment": spec.get("segment") or u.segment, "channel": ch,
             "_t": int(t), "_lab": lab, "_sc": sc, "_dp": amount, "_u": u}
        if spec.get("credit_limit") is not None:
            e["_lim"] = spec["credit_limit"]
        e["_cs"] = spec.get("force_score", rng.random() < ps * u.p_fields)
        e["_pur"] = spec.get("purpose") if rng.random() < pp * u.p_fields else None
        e["_dev"] = spec.get("device")
        m = spec.get("merchant")
        e["_mer"] = m if (ch == "merchant" and m and (spec.get("force_merchant") or rng.random() < pm)) else None
        e["_cur"] = rng.random() < self.p_currency_loan
        return e

    def repayment_event(self, u: User, t: int, lid: str, amount: float, days_late: int, principal: float,
                        lab=0, sc="normal") -> dict:
        rng = u.rng
        return {"event_type": "repayment", "user_id": u.uid, "amount": amount, "loan_id": lid,
                "days_late": int(days_late), "_t": int(t), "_lab": lab, "_sc": sc, "_dp": -principal,
                "_u": u, "_cur": rng.random() < self.p_currency_rep,
                "_out": rng.random() < self.p_outstanding}

    def add_loan(self, u: User, t: int, spec: dict, trk=None, lab=0, sc="normal",
                 repay="normal", rep_lab=0, rep_sc="normal", punct=None):
        """Emit a loan and (optionally) its repayments; returns (loan_event, pays)."""
        amount = money(spec["amount"])
        lid = self.ids.new("l-", 12)
        ev = self.loan_event(u, t, lid, amount, spec, lab, sc)
        u.events.append(ev)
        if trk is not None:
            trk.add(t, amount)
        dues = self.dues(u, t, amount, spec)
        ev["_due"] = dues[-1][0] if dues else t + int(spec["term"]) * DAY
        pays = []
        if repay == "normal":
            pays = self.pay_plan(u, t, dues, spec, punct)
            if lab == 0:
                pays = self.post_plan(u, t, amount, spec, pays)
            self.emit_pays(u, lid, t, spec["product"], pays, trk, rep_lab, rep_sc)
            if pays and lab == 0 and not spec.get("no_reborrow") and not spec.get("scheduled"):
                tf = max(p[0] for p in pays)
                if tf < self.T_end and u.rng.random() < u.p_reborrow:
                    self.queue(u, tf + int(u.rng.expovariate(1.0 / (2.0 * DAY))),
                               {"product": spec["product"], "reborrow": True})
        return ev, pays

    def queue_scheduled(self, u: User, t: int, spec: dict):
        """Queue a loan that a world change schedules (not damped by utilisation)."""
        spec = dict(spec)
        spec["scheduled"] = True
        self.queue(u, t, spec)

    # .......................................................... simulation
    def sim_start_day(self, u: User) -> int:
        """Existing customers are simulated from ``-burn_in`` days so that the stream
        opens in a steady state; new customers start on their first day."""
        return -self.burn_in if u.first_day == 0 and not u.blank else u.first_day

    def prewindow_loans(self, u: User, trk: Tracker):
        """Long-running loans opened before the simulated period (repayments only)."""
        if u.first_day > 0 and not u.attrs.get("carry_loans"):
            return
        mean = self.prewindow[u.segment] * u.attrs.get("pre_mult", 1.0)
        n = poisson(u.rng, mean)
        prods = self.prewindow_products[u.segment] if self.prewindow_products else u.pw
        vis = self.sim_start_day(u) * DAY
        cap = u.limit.at(vis) * 0.9
        for _ in range(n):
            p = wchoice(u.rng, prods)
            spec = self.draw_loan(u, -DAY, p)
            spec.update(u.attrs.get("pre_spec", {}))
            spec.pop("frac", None)
            if trk.b + spec["amount"] > cap:
                continue
            self.add_prewindow(u, p, spec, trk, vis)

    def add_prewindow(self, u: User, product: str, spec: dict, trk: Tracker, vis: int, t0=None):
        rng = u.rng
        term = int(spec["term"])
        if t0 is None:
            t0 = vis - rng.randint(1, max(2, min(term + 20, 400))) * DAY + rng.randrange(DAY)
        amount = money(spec["amount"])
        lid = self.ids.new("l-", 12)
        dues = self.dues(u, t0, amount, spec)
        pays = self.pay_plan(u, t0, dues, spec)
        pays = self.post_plan(u, t0, amount, spec, pays)
        paid_before = sum(p[1] for p in pays if p[0] < vis)
        remaining = amount - paid_before
        if remaining <= 0.005:
            return
        u.init_balance += remaining
        trk.b += remaining
        self.emit_pays(u, lid, t0, product, pays, trk=None, vis_from=vis)
        for tp, part, td in pays:
            if tp >= vis:
                trk.add(tp, -part)

    def simulate(self, u: User):
        trk = Tracker(0.0)
        self.prewindow_loans(u, trk)
        rng = u.rng
        for d in range(self.sim_start_day(u), self.D):
            lam = u.rate * u.wd[self.dow(d)] * self.rate_mult(u, d) if d < u.stop_day else 0.0
            for _ in range(poisson(rng, lam)):
                self.queue(u, self.draw_time(u, d), None)
            end = (d + 1) * DAY
            while u.queue and u.queue[0][0] < end:
                t, _, spec = heapq.heappop(u.queue)
                if t < u.first_day * DAY and u.first_day > 0 and not (spec and spec.get("force")):
                    continue
                spec = self.draw_loan(u, t) if spec is None else self.complete_spec(u, t, spec)
                if spec is None:
                    continue
                spec = self.adjust_loan(u, t, spec)
                if spec is None:
                    continue
                self.place_loan(u, t, spec, trk)
        u.queue = []

    def place_loan(self, u: User, t: int, spec: dict, trk: Tracker):
        rng = u.rng
        p = spec["product"]
        head = u.limit.at(t) - trk.at(t)
        amt = spec["amount"]
        if spec.get("frac"):
            amt = self.round_amount(rng, p, head * spec["frac"])
        mn = spec.get("min", self.min_amount(p))
        if amt > head:
            if head < mn:
                return None
            amt = max(mn, round_down(head * rng.uniform(0.5, 0.98), 10 if p != "credit_line" else 0.01))
        if amt < mn:
            return None
        lim = u.limit.at(t)
        if lim > 0 and not spec.get("scheduled"):
            # people close to their limit borrow less
            util = (lim - head + amt) / lim
            if util > self.util_soft and rng.random() < min(0.92, (util - self.util_soft) / (1 - self.util_soft)):
                return None
        spec["amount"] = amt
        return self.add_loan(u, t, spec, trk)

    # ............................................................. run
    def run(self):
        self.setup()
        self.users = [self.make_user(i) for i in range(self.n_users)]
        for u in self.users:
            self.simulate(u)
        arr = self.arrivals()
        for u in arr:
            u.arrival = True
            self.simulate(u)
        self.extra.extend(arr)
        from .typologies import inject
        inject(self)
        return self.finalize()

    def finalize(self):
        rows = []
        every = self.users + self.extra
        for u in every:
            ev = u.events
            ev.sort(key=lambda e: (e["_t"], 0 if e["event_type"] == "repayment" else 1))
            bal = u.init_balance
            for j, e in enumerate(ev):
                bal += e["_dp"]
                t = e["_t"]
                if t < 0 or t >= self.T_end:
                    continue
                o = {"event_id": None, "event_type": e["event_type"], "user_id": e["user_id"],
                     "ts": self.ts(t), "amount": num(e["amount"])}
                if e["_cur"]:
                    o["currency"] = "CNY"
                o["loan_id"] = e["loan_id"]
                if e["event_type"] == "loan":
                    o["product"] = e["product"]
                    o["term_days"] = e["term_days"]
                    lim = e.get("_lim")
                    o["credit_limit"] = num(max(0.0, lim if lim is not None else u.limit.at(t)))
                    if e["_cs"]:
                        o["credit_score"] = int(u.score.at(t))
                    o["segment"] = e["segment"]
                    if e["_pur"]:
                        o["purpose"] = e["_pur"]
                    o["channel"] = e["channel"]
                    if e["_dev"]:
                        o["device_id"] = e["_dev"]
                    if e["_mer"]:
                        o["merchant_id"] = e["_mer"]
                else:
                    o["days_late"] = e["days_late"]
                    if e["_out"]:
                        o["outstanding"] = num(max(0.0, bal))
                rows.append((t, u.idx if not (u.arrival or u.synthetic) else 10 ** 7 + u.idx, j, o,
                             e["_lab"], e["_sc"], u.anom))
        rows.sort(key=lambda r: (r[0], r[1], r[2]))
        idf = Ids(self.key + "|event-ids")
        events, labels = [], []
        for t, _, _, o, lab, sc, an in rows:
            eid = idf.new("e-", 16)
            o["event_id"] = eid
            events.append(o)
            labels.append({"event_id": eid, "label": int(lab), "scenario": sc if lab else "normal",
                           "user_anomalous": bool(an)})
        anom_users = sum(1 for u in every if u.anom)
        info = {
            "world": self.name, "seed": self.seed, "users": self.n_users,
            "users_total": len(every), "arrival_users": sum(1 for u in every if u.arrival),
            "synthetic_users": sum(1 for u in every if u.synthetic),
            "events": len(events), "loans": sum(1 for e in events if e["event_type"] == "loan"),
            "repayments": sum(1 for e in events if e["event_type"] == "repayment"),
            "anomalous_users": anom_users, "labelled_events": sum(l["label"] for l in labels),
            "labelled_events_test": sum(1 for (t, *_r), l in zip(rows, labels) if l["label"] and t >= self.T_hist),
            "episodes": len(self.episodes),
            "episodes_by_typology": _count(ep.typ for ep in self.episodes),
            "episodes_by_phase": _count(ep.phase for ep in self.episodes),
            "history_days": self.hd, "test_days": self.td,
            "start": self.ts(0), "test_start": self.ts(self.T_hist),
            "test_start_index": next((i for i, r in enumerate(rows) if r[0] >= self.T_hist), len(rows)),
        }
        return events, labels, info


def _count(it):
    out: dict = {}
    for x in it:
        out[x] = out.get(x, 0) + 1
    return dict(sorted(out.items()))
