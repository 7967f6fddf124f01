"""The lenders of family C: each World subclass is one lender's "normal"."""
from __future__ import annotations

import math
from datetime import date, timedelta

from .core import DAY, HOUR, START_DATE, Profile, clip, poisson

CNY_PRE = (date(2026, 1, 26), date(2026, 2, 14))
CNY_HOLIDAY = (date(2026, 2, 15), date(2026, 2, 23))
CNY_POST = (date(2026, 2, 24), date(2026, 3, 5))


def _in(d, rng_):
    return rng_[0] <= d <= rng_[1]


def wchoice(rng, items):
    """items: dict or list of (value, weight)."""
    if isinstance(items, dict):
        items = list(items.items())
    tot = 0.0
    for _, w in items:
        tot += w
    r = rng.random() * tot
    for v, w in items:
        r -= w
        if r <= 0:
            return v
    return items[-1][0]


def hexid(rng, n=10):
    return "%0*x" % (n, rng.getrandbits(4 * n))


def lognorm_clip(rng, median, sigma, lo, hi):
    return clip(median * math.exp(rng.gauss(0.0, sigma)), lo, hi)


def round_down(cents, unit_yuan):
    u = int(round(unit_yuan * 100))
    if u <= 1:
        return int(cents)
    return int(cents) // u * u


class World:
    name = "base"
    desc = ""
    per_product_limit = False
    seg_mix = {"individual": 1.0}
    score_mu = {"individual": 650, "student": 600, "small_business": 660}
    score_sd = 60
    products = {"individual": {"cash_loan": 1.0}}
    terms = {"cash_loan": [(30, 1.0)], "credit_line": [(30, 1.0)], "installment": [(90, 1.0)],
             "merchant_loan": [(60, 1.0)], "wealth_pledge": [(90, 1.0)]}
    channel_mix = {"app": 0.8, "web": 0.15, "partner": 0.05}
    product_channel = {}
    granularity = {"cash_loan": 100, "credit_line": 0.01, "installment": 1, "merchant_loan": 1000,
                   "wealth_pledge": 1000}
    min_amount = {"cash_loan": 100, "credit_line": 5, "installment": 100, "merchant_loan": 1000,
                  "wealth_pledge": 1000}
    rate_mu = 0.08
    rate_sigma = 0.8
    p_new = 0.06
    habit_mix = {"auto": 0.25, "early": 0.2, "ontime": 0.35, "late": 0.2}
    late_max = (1, 4)
    p_partial = (0.0, 0.08)
    p_autofail = (0.0, 0.08)
    base_default = 0.012
    link = 0.8
    fraud_bad = 0.9
    util_weight = 0.03
    burst_weight = 0.05
    burst_norm = 3
    p_bad_when_delinquent = 0.4
    stress_weight = 0.5
    p_limit_up = 0.05
    limit_up_cap = 10_000_000
    p_shared_device = 0.06
    p_second_device = 0.1
    p_phone_change = 0.08
    p_missing_score = 0.08
    p_missing_purpose = 0.2
    p_currency = 0.5
    p_missing_outstanding = 0.1
    p_missing_merchant = 0.08
    p_missing_device = {"app": 0.02, "web": 0.45, "merchant": 0.1, "partner": 0.55}
    threshold = 5000
    mco_min_limit = 2000
    promo = None
    typologies = ()
    n_merchants = 200
    autodebit_hours = (2, 6)
    early_payoff = (0.0, 0.3)
    peaks = [((9.5, 1.5), 1.0), ((13, 1.0), 1.0), ((20.5, 1.5), 2.0)]

    def __init__(self, seed, users, history_days, test_days, rng):
        self.seed = seed
        self.users = users
        self.H = history_days
        self.T = test_days
        self.D = history_days + test_days
        self.dates = [START_DATE + timedelta(days=d) for d in range(self.D + 400)]
        self.dayf = [self.day_factor(d, self.dates[d]) for d in range(self.D)]
        self.merchants = ["c-m%05d" % i for i in range(self.n_merchants)]
        self.households = ["c-d" + hexid(rng, 12) for _ in range(max(3, users // 6))]
        self.init_extra(rng)

    def init_extra(self, rng):
        pass

    # ----------------------------------------------------------- calendar
    def day_factor(self, d, dt):
        wd = dt.weekday()
        f = 1.15 if wd >= 5 else 1.0
        if _in(dt, CNY_PRE):
            f *= 1.2
        elif _in(dt, CNY_HOLIDAY):
            f *= 0.7
        return f

    def user_day_factor(self, sim, d):
        return 1.0

    # ----------------------------------------------------------- users
    def initial_limit(self, u, rng):
        return int(lognorm_clip(rng, 8000, 0.6, 1000, 50000) // 100 * 100)

    def make_limits(self, u, rng):
        return {"total": self.initial_limit(u, rng)}

    def make_user(self, idx, rng):
        u = Profile(idx)
        u.segment = wchoice(rng, self.seg_mix)
        u.score = int(clip(rng.gauss(self.score_mu.get(u.segment, 650), self.score_sd), 350, 950))
        u.limits = self.make_limits(u, rng)
        u.rate = self.rate_mu * math.exp(rng.gauss(-self.rate_sigma ** 2 / 2, self.rate_sigma))
        pw = self.products.get(u.segment) or self.products["individual"]
        u.prod_w = {p: w * rng.gammavariate(2.0, 0.5) + 1e-3 for p, w in pw.items()}
        npk = 1 if rng.random() < 0.5 else 2
        cand = self.peaks
        u.peaks = []
        for _ in range(npk):
            (c, sd) = wchoice(rng, cand)
            u.peaks.append((c + rng.gauss(0, 0.7), sd * rng.uniform(0.6, 1.2), rng.uniform(0.5, 1.5)))
        prim = wchoice(rng, self.channel_mix)
        u.channel_w = {c: (w * 0.3 + (0.7 if c == prim else 0.0)) for c, w in self.channel_mix.items()}
        u.dev1 = "c-d" + hexid(rng, 12)
        u.dev2 = "c-d" + hexid(rng, 12)
        u.change_t = int(rng.uniform(0, self.D) * DAY) if rng.random() < self.p_phone_change else None
        u.dev_shared = rng.choice(self.households) if rng.random() < self.p_shared_device else None
        u.dev_tablet = ("c-d" + hexid(rng, 12)) if rng.random() < self.p_second_device else None
        u.habit = wchoice(rng, self.habit_mix)
        u.late_max = rng.randint(*self.late_max)
        u.p_partial = rng.uniform(*self.p_partial)
        u.p_autofail = rng.uniform(*self.p_autofail)
        u.base_default = clip(self.base_default * math.exp(rng.gauss(-0.18, 0.6)), 0.0005, 0.08)
        u.amt_scale = math.exp(rng.gauss(0, 0.35))
        u.p_early_payoff = rng.uniform(*self.early_payoff)
        u.payday = rng.choice((5, 10, 15, 20, 25, 28))
        if rng.random() < self.p_new:
            u.open_day = rng.randint(1, self.D - 1)
        self.user_extra(u, rng)
        return u

    def user_extra(self, u, rng):
        pass

    # ----------------------------------------------------------- ordinary behaviour
    def setup(self, sim):
        u, rng = sim.u, sim.rng
        if u.no_ordinary:
            return
        d0 = max(0, u.open_day)
        for d in range(d0, self.D):
            lam = u.rate * self.dayf[d] * self.user_day_factor(sim, d)
            for _ in range(poisson(rng, lam)):
                sim.at(d * DAY + self.borrow_second(sim, d), self.ordinary_borrow, sim)
        if u.open_day >= 0 and rng.random() < 0.85:
            d = u.open_day + (0 if rng.random() < 0.6 else rng.randint(1, 4))
            sim.at(d * DAY + self.borrow_second(sim, d), self.first_borrow, sim)

    def first_borrow(self, t, sim):
        self.ordinary_borrow(t, sim)

    def hour_second(self, rng, peaks):
        tot = sum(p[2] for p in peaks)
        r = rng.random() * tot
        for c, sd, w in peaks:
            r -= w
            if r <= 0:
                break
        h = (c + rng.gauss(0, sd)) % 24.0
        return min(DAY - 1, int(h * HOUR) + rng.randint(0, 59))

    def borrow_second(self, sim, d):
        return self.hour_second(sim.rng, sim.u.peaks)

    def pay_second(self, sim, d):
        return self.hour_second(sim.rng, sim.u.peaks)

    def autodebit_second(self, sim):
        a, b = self.autodebit_hours
        return sim.rng.randint(a * HOUR, b * HOUR - 1)

    def active_products(self, sim, t):
        return sim.u.prod_w

    def pick_product(self, sim, t):
        return wchoice(sim.rng, self.active_products(sim, t))

    def pick_term(self, sim, product):
        return wchoice(sim.rng, self.terms[product])

    def pick_channel(self, sim, product):
        pc = self.product_channel.get(product)
        if pc:
            return wchoice(sim.rng, pc)
        return wchoice(sim.rng, sim.u.channel_w)

    def round_amount(self, product, cents):
        return round_down(cents, self.granularity.get(product, 1))

    def amount(self, sim, product, t):
        lim = sim.limit_of(product) * 100
        frac = lognorm_clip(sim.rng, 0.3, 0.6, 0.02, 1.0) * sim.u.amt_scale
        return self.round_amount(product, lim * min(frac, 1.0))

    def ordinary_borrow(self, t, sim):
        u, rng = sim.u, sim.rng
        if sim.ghost or u.no_ordinary:
            return
        if u.ordinary_until is not None and t >= u.ordinary_until:
            return
        if sim.delinquent and rng.random() < 0.9:
            return
        product = self.pick_product(sim, t)
        if sim.limit_of(product) <= 0:
            return
        amt = self.amount(sim, product, t)
        if sim.small_amounts:
            amt = self.round_amount(product, amt * rng.uniform(0.3, 0.6))
        mn = self.min_amount.get(product, 100) * 100
        amt = max(amt, mn)
        avail = sim.available(product)
        if amt > avail:
            if avail >= mn and rng.random() < 0.5:
                amt = self.round_amount(product, avail)
                if amt < mn:
                    return
            else:
                return
        term = self.pick_term(sim, product)
        if sim.small_amounts:
            term = min(tt for tt, _ in self.terms[product])
        sim.borrow(t, amt, product, term, self.pick_channel(sim, product))

    def device_for(self, sim, t, channel):
        u, rng = sim.u, sim.rng
        if rng.random() < self.p_missing_device.get(channel, 0.1):
            return None
        dev = u.dev1 if (u.change_t is None or t < u.change_t) else u.dev2
        if u.dev_shared is not None and rng.random() < 0.5:
            dev = u.dev_shared
        if u.dev_tablet is not None and rng.random() < 0.25:
            dev = u.dev_tablet
        return dev

    def merchant_for(self, sim):
        i = int(len(self.merchants) * sim.rng.random() ** 2.5)
        return self.merchants[min(i, len(self.merchants) - 1)]

    def purpose_for(self, sim, product):
        rng = sim.rng
        if product == "merchant_loan":
            return "business"
        seg = sim.u.segment
        if seg == "student":
            return "education" if rng.random() < 0.35 else "consumption"
        if seg == "small_business":
            return "business" if rng.random() < 0.75 else "consumption"
        return "consumption" if rng.random() < 0.9 else ("business" if rng.random() < 0.7 else "education")

    def p_early_payoff_of(self, sim, loan):
        return sim.u.p_early_payoff

    def adjust_pay_day(self, sim, due_day, habit, d):
        return d

    def ensure_product(self, sim, product, t):
        return sim.limit_of(product) > 0

    def maybe_limit_up(self, sim, t, loan):
        rng = sim.rng
        if rng.random() < self.p_limit_up * sim.limit_up_boost:
            cur = sim.limits.get(loan.key, 0)
            new = min(self.limit_up_cap, int(cur * rng.choice((1.1, 1.2, 1.25, 1.3, 1.5)) // 100 * 100))
            if new > cur:
                sim.limits[loan.key] = new

    def new_account_limit(self, u, rng):
        lim = self.make_limits(u, rng)
        return {k: int(v * rng.uniform(0.5, 0.9) // 100 * 100) for k, v in lim.items()}


# =====================================================================
class BnplCheckout(World):
    name = "bnpl_checkout"
    desc = ("Buy-now-pay-later app: many tiny merchant checkout draws and 4-instalment plans, "
            "young users and students, evening and late-night shopping, routinely a few days late.")
    seg_mix = {"individual": 0.62, "student": 0.38}
    score_mu = {"individual": 630, "student": 585}
    products = {"individual": {"credit_line": 0.7, "installment": 0.25, "cash_loan": 0.05},
                "student": {"credit_line": 0.76, "installment": 0.22, "cash_loan": 0.02}}
    terms = {"credit_line": [(30, 0.85), (14, 0.15)],
             "installment": [(120, 0.7), (90, 0.15), (180, 0.1), (360, 0.05)],
             "cash_loan": [(14, 0.4), (30, 0.6)]}
    product_channel = {"credit_line": {"merchant": 0.82, "app": 0.18},
                       "installment": {"merchant": 0.6, "app": 0.32, "partner": 0.08},
                       "cash_loan": {"app": 0.9, "web": 0.1}}
    rate_mu = 0.3
    rate_sigma = 0.85
    p_new = 0.1
    habit_mix = {"auto": 0.25, "early": 0.12, "ontime": 0.3, "late": 0.33}
    late_max = (1, 5)
    p_partial = (0.0, 0.1)
    base_default = 0.006
    link = 0.9
    burst_norm = 8
    p_limit_up = 0.03
    limit_up_cap = 30000
    p_shared_device = 0.04
    p_phone_change = 0.12
    p_missing_score = 0.2
    p_missing_purpose = 0.5
    p_currency = 0.0
    p_missing_outstanding = 0.25
    threshold = 2000
    mco_min_limit = 3000
    promo = {"product": "credit_line", "cap": 300, "term": 30, "channel": "merchant"}
    n_merchants = 600
    peaks = [((12.5, 1.0), 1.0), ((21.0, 1.5), 2.0), ((0.5, 1.0), 0.7), ((16, 2.0), 0.5)]
    early_payoff = (0.0, 0.25)
    typologies = ("loan_stacking", "account_takeover", "student_overborrowing", "limit_jump_drain",
                  "overdue_escalation", "merchant_cash_out", "synthetic_id_ring", "promo_farming")

    def day_factor(self, d, dt):
        f = 1.25 if dt.weekday() >= 5 else 1.0
        if _in(dt, CNY_PRE):
            f *= 1.3
        elif _in(dt, CNY_HOLIDAY):
            f *= 0.75
        if dt == date(2026, 2, 14):
            f *= 1.8
        if dt == date(2026, 3, 8) or dt == date(2026, 3, 7):
            f *= 1.5
        return f

    def initial_limit(self, u, rng):
        if u.segment == "student":
            return int(lognorm_clip(rng, 1500, 0.45, 300, 5000) // 100 * 100)
        return int(lognorm_clip(rng, 3000, 0.55, 500, 20000) // 100 * 100)

    def amount(self, sim, product, t):
        rng = sim.rng
        s = sim.u.amt_scale
        if product == "credit_line":
            return int(lognorm_clip(rng, 85, 0.9, 3, 5000) * s * 100)
        if product == "installment":
            y = int(lognorm_clip(rng, 900, 0.6, 100, 8000) * s)
            if rng.random() < 0.4:
                y = max(99, y // 100 * 100 - 1)
            return y * 100
        return int(lognorm_clip(rng, 800, 0.5, 200, 3000) * s) // 100 * 10000


class GigBursts(World):
    name = "gig_bursts"
    desc = ("Gig-economy riders and drivers: irregular income, cash loans in bursts around gaps between jobs, "
            "late-night use, cheap phones, partial and slightly late payments common; risk only weakly "
            "predicts bad outcomes.")
    seg_mix = {"individual": 0.86, "small_business": 0.09, "student": 0.05}
    score_mu = {"individual": 590, "student": 570, "small_business": 610}
    products = {"individual": {"cash_loan": 0.8, "credit_line": 0.2},
                "student": {"cash_loan": 0.7, "credit_line": 0.3},
                "small_business": {"cash_loan": 0.6, "merchant_loan": 0.25, "credit_line": 0.15}}
    terms = {"cash_loan": [(7, 0.25), (14, 0.3), (30, 0.3), (90, 0.1), (180, 0.05)],
             "credit_line": [(30, 1.0)], "merchant_loan": [(30, 0.5), (60, 0.5)]}
    channel_mix = {"app": 0.85, "web": 0.05, "partner": 0.1}
    rate_mu = 0.04
    rate_sigma = 0.6
    p_new = 0.08
    habit_mix = {"auto": 0.1, "early": 0.08, "ontime": 0.35, "late": 0.47}
    late_max = (2, 10)
    p_partial = (0.05, 0.35)
    p_autofail = (0.05, 0.3)
    base_default = 0.017
    link = 0.15
    fraud_bad = 0.6
    p_limit_up = 0.05
    limit_up_cap = 60000
    p_shared_device = 0.12
    p_phone_change = 0.25
    p_second_device = 0.05
    p_missing_score = 0.15
    p_currency = 0.9
    threshold = 5000
    peaks = [((9.0, 1.0), 0.6), ((15.0, 1.0), 1.0), ((23.0, 1.5), 1.5), ((2.0, 1.2), 0.5)]
    granularity = dict(World.granularity, credit_line=1)
    typologies = ("loan_stacking", "borrow_to_repay", "account_takeover", "overdue_escalation",
                  "limit_jump_drain", "threshold_structuring", "rapid_cycling", "bust_out")

    def day_factor(self, d, dt):
        f = 1.0
        if date(2026, 2, 5) <= dt <= CNY_PRE[1]:
            f *= 1.6
        elif _in(dt, CNY_HOLIDAY):
            f *= 0.4
        elif _in(dt, CNY_POST):
            f *= 1.5
        return f

    def user_extra(self, u, rng):
        # work / gap regime per day (a gap between jobs raises borrowing sharply)
        p_gap = 1.0 / rng.uniform(6, 25)
        p_end = 1.0 / rng.uniform(1.5, 6)
        state = rng.random() < 0.15
        gaps = []
        for _ in range(self.D):
            gaps.append(state)
            state = (rng.random() >= p_end) if state else (rng.random() < p_gap)
        u.extra["gap"] = gaps
        u.extra["gap_mult"] = rng.uniform(3, 9)

    def user_day_factor(self, sim, d):
        return sim.u.extra["gap_mult"] if sim.u.extra["gap"][d] else 0.7

    def initial_limit(self, u, rng):
        return int(lognorm_clip(rng, 6000, 0.6, 1000, 30000) // 500 * 500)

    def amount(self, sim, product, t):
        lim = sim.limit_of(product) * 100
        frac = lognorm_clip(sim.rng, 0.28, 0.6, 0.03, 1.0) * sim.u.amt_scale
        if sim.u.extra["gap"][t // DAY]:
            frac *= 1.3
        return self.round_amount(product, lim * min(frac, 1.0))


class HarvestMicrofinance(World):
    name = "harvest_microfinance"
    desc = ("Rural microfinance through field agents: planting-season borrowing ramp-up, monthly instalment "
            "loans, agent tablets shared by many borrowers, market-day rhythm, lateness clustered around "
            "the Spring Festival.")
    seg_mix = {"individual": 0.55, "small_business": 0.45}
    score_mu = {"individual": 600, "small_business": 615}
    score_sd = 50
    products = {"individual": {"installment": 0.6, "cash_loan": 0.4},
                "small_business": {"installment": 0.4, "merchant_loan": 0.3, "cash_loan": 0.3}}
    terms = {"installment": [(180, 0.5), (240, 0.2), (360, 0.3)],
             "cash_loan": [(30, 0.2), (90, 0.4), (180, 0.4)],
             "merchant_loan": [(90, 0.5), (120, 0.5)]}
    channel_mix = {"partner": 0.7, "app": 0.25, "web": 0.05}
    granularity = dict(World.granularity, installment=1000, cash_loan=1000)
    min_amount = dict(World.min_amount, installment=1000, cash_loan=1000)
    rate_mu = 0.035
    rate_sigma = 0.5
    p_new = 0.05
    habit_mix = {"auto": 0.1, "early": 0.1, "ontime": 0.5, "late": 0.3}
    late_max = (1, 4)
    base_default = 0.015
    link = 0.85
    p_limit_up = 0.08
    limit_up_cap = 150000
    p_shared_device = 0.2
    p_phone_change = 0.05
    p_second_device = 0.02
    p_missing_score = 0.35
    p_missing_purpose = 0.1
    p_currency = 1.0
    p_missing_outstanding = 0.05
    p_missing_device = {"app": 0.03, "web": 0.5, "merchant": 0.1, "partner": 0.08}
    threshold = 20000
    peaks = [((9.5, 1.2), 1.5), ((14.5, 1.5), 1.0), ((19.5, 1.0), 0.3)]
    autodebit_hours = (6, 8)
    early_payoff = (0.0, 0.1)
    typologies = ("loan_stacking", "borrow_to_repay", "account_takeover", "overdue_escalation",
                  "limit_jump_drain", "synthetic_id_ring", "threshold_structuring")

    def init_extra(self, rng):
        self.agents = ["c-d" + hexid(rng, 12) for _ in range(max(3, self.users // 40))]

    def day_factor(self, d, dt):
        if _in(dt, CNY_HOLIDAY):
            return 0.2
        ramp = (dt - date(2026, 2, 1)).days / 40.0
        return 1.0 + 2.2 * clip(ramp, 0.0, 1.0)

    def user_extra(self, u, rng):
        u.extra["agent"] = rng.randrange(len(self.agents))
        u.extra["market"] = rng.randrange(5)

    def user_day_factor(self, sim, d):
        u = sim.u
        if u.channel_w.get("partner", 0) > 0.5:
            return 3.5 if d % 5 == u.extra["market"] else 0.4
        return 1.0

    def make_limits(self, u, rng):
        m = 1.5 if u.segment == "small_business" else 1.0
        return {"total": int(lognorm_clip(rng, 20000 * m, 0.5, 3000, 100000) // 1000 * 1000)}

    def amount(self, sim, product, t):
        lim = sim.limit_of(product) * 100
        frac = lognorm_clip(sim.rng, 0.5, 0.4, 0.1, 1.0) * sim.u.amt_scale
        return self.round_amount(product, lim * min(frac, 1.0))

    def device_for(self, sim, t, channel):
        if channel == "partner":
            if sim.rng.random() < self.p_missing_device["partner"]:
                return None
            return self.agents[sim.u.extra["agent"]]
        return World.device_for(self, sim, t, channel)

    def adjust_pay_day(self, sim, due_day, habit, d):
        rng, u = sim.rng, sim.u
        dt = self.dates[due_day]
        if date(2026, 2, 8) <= dt <= date(2026, 3, 1) and rng.random() < 0.55:
            d = max(d, due_day) + rng.randint(2, 10)
        if u.channel_w.get("partner", 0) > 0.5 and habit != "auto":
            # the agent collects on market day
            while d % 5 != u.extra["market"]:
                d += 1
        while d - due_day >= 14:
            d -= 5
        return d


class CrossborderSellers(World):
    name = "crossborder_sellers"
    desc = ("Cross-border e-commerce sellers: large merchant operating loans that scale with stocking peaks, "
            "web and marketplace-partner channels, US-hours night activity, early paydowns when payouts land.")
    seg_mix = {"small_business": 0.85, "individual": 0.15}
    score_mu = {"small_business": 680, "individual": 665}
    products = {"small_business": {"merchant_loan": 0.75, "credit_line": 0.2, "cash_loan": 0.05},
                "individual": {"credit_line": 0.5, "cash_loan": 0.5}}
    terms = {"merchant_loan": [(30, 0.3), (60, 0.3), (90, 0.3), (180, 0.1)],
             "credit_line": [(30, 1.0)], "cash_loan": [(30, 0.5), (90, 0.5)]}
    channel_mix = {"web": 0.5, "app": 0.3, "partner": 0.2}
    granularity = dict(World.granularity, credit_line=100, cash_loan=1000)
    min_amount = dict(World.min_amount, credit_line=1000, cash_loan=1000)
    rate_mu = 0.07
    rate_sigma = 0.7
    p_new = 0.05
    habit_mix = {"auto": 0.2, "early": 0.35, "ontime": 0.35, "late": 0.1}
    late_max = (1, 3)
    p_partial = (0.05, 0.3)
    base_default = 0.006
    link = 0.8
    p_limit_up = 0.06
    p_shared_device = 0.15
    p_second_device = 0.35
    p_phone_change = 0.06
    p_missing_score = 0.05
    p_missing_purpose = 0.3
    p_currency = 0.7
    p_missing_device = {"app": 0.02, "web": 0.3, "merchant": 0.1, "partner": 0.9}
    threshold = 100000
    peaks = [((10.5, 1.5), 1.0), ((15.0, 1.5), 0.5), ((23.5, 2.0), 0.8)]
    early_payoff = (0.15, 0.6)
    typologies = ("loan_stacking", "borrow_to_repay", "account_takeover", "limit_jump_drain",
                  "overdue_escalation", "threshold_structuring", "bust_out", "rapid_cycling")

    def day_factor(self, d, dt):
        f = 0.8 if dt.weekday() >= 5 else 1.0
        if dt <= date(2026, 2, 10):
            f *= 1.5
        elif _in(dt, CNY_HOLIDAY):
            f *= 0.3
        elif _in(dt, CNY_POST):
            f *= 1.3
        elif dt.month == 3:
            f *= 1.2
        return f

    def user_extra(self, u, rng):
        u.extra["payout"] = rng.randrange(14)

    def make_limits(self, u, rng):
        if u.segment == "individual":
            return {"total": int(lognorm_clip(rng, 60000, 0.6, 10000, 300000) // 10000 * 10000)}
        return {"total": int(lognorm_clip(rng, 300000, 0.8, 20000, 5000000) // 10000 * 10000)}

    def amount(self, sim, product, t):
        lim = sim.limit_of(product) * 100
        season = self.dayf[t // DAY]
        frac = lognorm_clip(sim.rng, 0.18, 0.7, 0.01, 1.0) * sim.u.amt_scale * season
        if product == "credit_line":
            frac *= 0.3
        return self.round_amount(product, lim * min(frac, 1.0))

    def adjust_pay_day(self, sim, due_day, habit, d):
        # early payers pay down on their last marketplace payout day (every 14 days) before the due date
        if habit == "early":
            ph = sim.u.extra["payout"]
            d = due_day
            while (d - ph) % 14 != 0:
                d -= 1
        return d


class SilverPension(World):
    name = "silver_pension"
    desc = ("Pension-backed lender for retirees: small regular instalment and wealth-pledge loans, daytime only, "
            "one long-lived device (sometimes a child's phone), auto-debit on due dates, almost never late.")
    seg_mix = {"individual": 1.0}
    score_mu = {"individual": 720}
    score_sd = 50
    products = {"individual": {"installment": 0.5, "cash_loan": 0.25, "wealth_pledge": 0.25}}
    terms = {"installment": [(90, 0.3), (180, 0.4), (360, 0.3)],
             "cash_loan": [(30, 0.6), (90, 0.4)], "wealth_pledge": [(90, 0.5), (180, 0.5)]}
    channel_mix = {"app": 0.45, "partner": 0.35, "web": 0.2}
    granularity = dict(World.granularity, installment=100)
    rate_mu = 0.03
    rate_sigma = 0.45
    p_new = 0.03
    habit_mix = {"auto": 0.55, "ontime": 0.3, "early": 0.15}
    late_max = (1, 2)
    p_partial = (0.0, 0.02)
    p_autofail = (0.0, 0.03)
    base_default = 0.004
    link = 0.9
    p_limit_up = 0.03
    p_shared_device = 0.15
    p_second_device = 0.03
    p_phone_change = 0.02
    p_missing_score = 0.03
    p_missing_purpose = 0.05
    p_currency = 1.0
    p_missing_outstanding = 0.02
    threshold = 10000
    mco_min_limit = 20000
    peaks = [((8.5, 1.0), 1.5), ((15.0, 1.2), 1.0)]
    autodebit_hours = (7, 9)
    early_payoff = (0.0, 0.15)
    typologies = ("account_takeover", "loan_stacking", "limit_jump_drain", "borrow_to_repay",
                  "overdue_escalation", "merchant_cash_out", "threshold_structuring")

    def day_factor(self, d, dt):
        f = 1.0 if dt.weekday() < 5 else 0.7
        if _in(dt, CNY_PRE):
            f *= 1.4
        elif _in(dt, CNY_HOLIDAY):
            f *= 0.5
        if 13 <= dt.day <= 16:   # pension day
            f *= 1.4
        return f

    def make_limits(self, u, rng):
        return {"total": int(lognorm_clip(rng, 30000, 0.5, 5000, 200000) // 1000 * 1000)}

    def amount(self, sim, product, t):
        rng, s = sim.rng, sim.u.amt_scale
        if product == "installment":
            return int(lognorm_clip(rng, 3000, 0.5, 500, 20000) * s) // 100 * 10000
        if product == "cash_loan":
            return int(lognorm_clip(rng, 2000, 0.5, 300, 10000) * s) // 100 * 10000
        lim = sim.limit_of(product) * 100
        return self.round_amount(product, lim * min(1.0, lognorm_clip(rng, 0.4, 0.4, 0.05, 1.0)))


class CatalogueSwitch(World):
    name = "catalogue_switch"
    desc = ("General consumer lender with per-product credit limits that launches a promoted instalment "
            "product mid-history, adopted by many ordinary users within days.")
    per_product_limit = True
    seg_mix = {"individual": 0.7, "student": 0.18, "small_business": 0.12}
    products = {"individual": {"cash_loan": 0.55, "credit_line": 0.45},
                "student": {"cash_loan": 0.3, "credit_line": 0.7},
                "small_business": {"cash_loan": 0.7, "credit_line": 0.3}}
    terms = {"cash_loan": [(14, 0.2), (30, 0.5), (90, 0.2), (180, 0.1)], "credit_line": [(30, 1.0)],
             "installment": [(90, 0.3), (180, 0.4), (360, 0.3)]}
    channel_mix = {"app": 0.7, "web": 0.15, "partner": 0.15}
    product_channel = {"credit_line": {"merchant": 0.6, "app": 0.4}}
    granularity = dict(World.granularity, installment=1)
    rate_mu = 0.08
    rate_sigma = 0.8
    p_new = 0.06
    habit_mix = {"auto": 0.3, "early": 0.2, "ontime": 0.35, "late": 0.15}
    late_max = (1, 3)
    base_default = 0.012
    link = 0.7
    p_limit_up = 0.05
    p_missing_score = 0.1
    p_currency = 0.3
    threshold = 5000
    promo = {"product": "installment", "cap": 3000, "term": 90, "channel": "app"}
    launch_day = 24
    typologies = ("loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
                  "limit_jump_drain", "overdue_escalation", "promo_farming", "bust_out",
                  "threshold_structuring")

    def day_factor(self, d, dt):
        f = 1.2 if dt.weekday() in (4, 5) else 1.0
        if _in(dt, CNY_PRE):
            f *= 1.2
        elif _in(dt, CNY_HOLIDAY):
            f *= 0.8
        return f

    def make_limits(self, u, rng):
        m = 0.35 if u.segment == "student" else (1.5 if u.segment == "small_business" else 1.0)
        return {"cash_loan": int(lognorm_clip(rng, 10000 * m, 0.6, 1000, 80000) // 500 * 500),
                "credit_line": int(lognorm_clip(rng, 4000 * m, 0.5, 500, 30000) // 500 * 500)}

    def user_extra(self, u, rng):
        if rng.random() < 0.5:
            u.extra["adopt"] = self.launch_day + min(20, int(rng.expovariate(1 / 3.0)))
        else:
            u.extra["adopt"] = None
        m = 0.35 if u.segment == "student" else 1.0
        u.extra["inst_limit"] = int(lognorm_clip(rng, 8000 * m, 0.5, 1000, 30000) // 500 * 500)

    def launched(self, t):
        return t >= self.launch_day * DAY

    def setup(self, sim):
        World.setup(self, sim)
        u = sim.u
        if u.no_ordinary:
            return
        a = u.extra.get("adopt")
        if a is not None and a < self.D:
            d = max(a, u.open_day)
            sim.at(d * DAY + self.borrow_second(sim, d), self.adopt_borrow, sim)

    def ensure_product(self, sim, product, t):
        if product == "installment":
            self.grant_installment(sim, t)
        return sim.limit_of(product) > 0

    def grant_installment(self, sim, t):
        if self.launched(t) and "installment" not in sim.limits:
            sim.limits["installment"] = sim.u.extra["inst_limit"]

    def adopt_borrow(self, t, sim):
        if sim.ghost or sim.delinquent:
            return
        self.grant_installment(sim, t)
        rng = sim.rng
        amt = min(sim.available("installment"),
                  int(lognorm_clip(rng, 2500, 0.5, 300, 20000) * 100) // 100 * 100)
        if amt >= 10000:
            sim.borrow(t, amt, "installment", self.pick_term(sim, "installment"),
                       "app" if rng.random() < 0.8 else "merchant")

    def active_products(self, sim, t):
        pw = sim.u.prod_w
        a = sim.u.extra.get("adopt")
        if a is not None and t >= a * DAY and "installment" in sim.limits:
            pw = dict(pw)
            pw["installment"] = 0.6
        return pw

    def amount(self, sim, product, t):
        rng, s = sim.rng, sim.u.amt_scale
        if product == "credit_line":
            return int(lognorm_clip(rng, 350, 0.8, 10, 20000) * s * 100)
        if product == "installment":
            return int(lognorm_clip(rng, 2500, 0.5, 300, 20000) * s) * 100
        lim = sim.limit_of(product) * 100
        return self.round_amount(product, lim * min(1.0, lognorm_clip(rng, 0.3, 0.6, 0.03, 1.0) * s))


class CampaignWave(World):
    name = "campaign_wave"
    desc = ("Consumer cash-loan app with payday cycles and mostly early payers, whose marketing campaign brings "
            "a wave of new accounts with first-loan coupons during the test window.")
    seg_mix = {"individual": 0.75, "student": 0.15, "small_business": 0.1}
    products = {"individual": {"cash_loan": 0.75, "credit_line": 0.25},
                "student": {"cash_loan": 0.5, "credit_line": 0.5},
                "small_business": {"cash_loan": 0.85, "credit_line": 0.15}}
    terms = {"cash_loan": [(7, 0.1), (14, 0.2), (30, 0.4), (90, 0.2), (180, 0.1)], "credit_line": [(30, 1.0)]}
    channel_mix = {"app": 0.8, "web": 0.1, "partner": 0.1}
    rate_mu = 0.07
    rate_sigma = 0.75
    p_new = 0.04
    habit_mix = {"auto": 0.2, "early": 0.4, "ontime": 0.3, "late": 0.1}
    late_max = (1, 3)
    base_default = 0.006
    link = 0.85
    p_limit_up = 0.05
    p_currency = 0.6
    threshold = 5000
    promo = {"product": "cash_loan", "cap": 1000, "term": 14, "channel": "app"}
    wave_share = 0.22
    early_payoff = (0.05, 0.45)
    peaks = [((8.0, 1.0), 0.8), ((12.5, 1.0), 1.0), ((21.5, 1.5), 2.0)]
    typologies = ("promo_farming", "synthetic_id_ring", "loan_stacking", "account_takeover",
                  "student_overborrowing", "limit_jump_drain", "borrow_to_repay", "rapid_cycling")

    def make_limits(self, u, rng):
        m = 0.35 if u.segment == "student" else (1.5 if u.segment == "small_business" else 1.0)
        return {"total": int(lognorm_clip(rng, 8000 * m, 0.6, 1000, 50000) // 500 * 500)}

    def user_extra(self, u, rng):
        if rng.random() < self.wave_share and self.T > 0:
            u.open_day = self.H + min(self.T - 1, int(rng.expovariate(1 / 3.5)))
            u.extra["wave"] = True
            u.limits = {"total": int(u.limits["total"] * 0.6 // 500 * 500) or 500}
            if rng.random() < 0.5:
                u.channel_w = {"partner": 0.6, "app": 0.4}

    def user_day_factor(self, sim, d):
        dom = self.dates[d].day
        pd = sim.u.payday
        dd = (pd - dom) % 30
        if 1 <= dd <= 5:
            return 1.8
        if dd >= 27:
            return 0.6
        return 1.0

    def first_borrow(self, t, sim):
        if sim.u.extra.get("wave"):
            rng = sim.rng
            p = self.promo
            cap = min(p["cap"], sim.limit_of("cash_loan"))
            amt = cap if rng.random() < 0.55 else rng.choice((300, 500, 800, cap))
            amt = min(amt, cap)
            sim.borrow(t, amt * 100, "cash_loan", rng.choice((7, 14, 14)), self.pick_channel(sim, "cash_loan"))
            return
        self.ordinary_borrow(t, sim)

    def adjust_pay_day(self, sim, due_day, habit, d):
        # "late" payers wait for payday when it is close
        if habit == "late":
            dd = (sim.u.payday - self.dates[due_day].day) % 30
            if 1 <= dd <= 5:
                return due_day + dd
        return d


WORLDS = {w.name: w for w in (BnplCheckout, GigBursts, HarvestMicrofinance, CrossborderSellers,
                              SilverPension, CatalogueSwitch, CampaignWave)}
