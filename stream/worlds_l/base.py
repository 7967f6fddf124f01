"""The World base class: population building, defaults, hooks used by the typologies."""
from __future__ import annotations

from .core import (DAY, MISSING, MIN_AMOUNT_C, MAX_AMOUNT_C, Habit, Loan, User, clamp, lognorm, messy_amount,
                   payoff, pick, round_c, sample_tod, schedule, yuan)

SEGMENTS = ("individual", "small_business", "student")


class World:
    name = ""
    description = ""
    seg_mix = (("individual", .6), ("small_business", .2), ("student", .2))
    score_params = {"individual": (650, 60), "small_business": (670, 55), "student": (570, 55)}
    tod_mix = {
        "individual": (("evening", .5), ("office", .35), ("early", .15)),
        "small_business": (("business", .8), ("evening", .2)),
        "student": (("night", .6), ("evening", .4)),
    }
    chan_mix = {
        "individual": (("app", .6), ("web", .1), ("merchant", .2), ("partner", .1)),
        "small_business": (("app", .4), ("web", .3), ("merchant", .2), ("partner", .1)),
        "student": (("app", .8), ("merchant", .15), ("partner", .05)),
    }
    term_options = {
        "cash_loan": (30, 60, 90, 180, 360),
        "credit_line": (30, 60),
        "installment": (90, 180, 360),
        "merchant_loan": (90, 180, 360),
        "wealth_pledge": (7, 14, 30, 60, 90),
    }
    used_products = ("cash_loan", "credit_line", "installment", "merchant_loan")
    weekend_factor = 1.0
    household_share = 0.10
    phone_change_p = 0.10
    limit_unit = 100
    explicit_currency = False
    web_device = False
    loan_fmt = "l-%08d"
    event_fmt = "e-%08d"
    merchant_fmt = "m-%05d"

    def __init__(self, ctx):
        self.ctx = ctx
        self.r = ctx.rng("world", self.name)
        self.calendar = {}
        self.users = []
        self.merchants = []
        self._uids = set()
        self._devs = set()
        self._mids = set()
        self.setup()

    # ----- identifiers ---------------------------------------------------------------
    def make_uid(self, rng):
        return "u-%08x" % rng.getrandbits(32)

    def make_device(self, rng):
        return "d-%012x" % rng.getrandbits(48)

    def new_uid(self, rng):
        while True:
            uid = self.make_uid(rng)
            if uid not in self._uids:
                self._uids.add(uid)
                return uid

    def new_device(self, rng):
        while True:
            d = self.make_device(rng)
            if d not in self._devs:
                self._devs.add(d)
                return d

    def new_merchant(self, rng):
        while True:
            m = self.merchant_fmt % rng.randrange(100000)
            if m not in self._mids:
                self._mids.add(m)
                return m

    # ----- population -----------------------------------------------------------------
    def setup(self):
        pass

    def build(self):
        ctx = self.ctx
        for i in range(ctx.n_users):
            rng = ctx.rng("user", i)
            seg = pick(rng, self.seg_mix)
            u = User(i, self.new_uid(rng), seg)
            self.base_profile(u, rng)
            self.init_user(u, rng)
            self.users.append(u)
        self.make_households(ctx.rng("households"))
        for u in self.users:
            self.normal(u, ctx.rng("normal", u.idx))

    def base_profile(self, u, rng):
        ctx = self.ctx
        seg = u.segment
        mu, sd = self.score_params[seg]
        u.score0 = int(clamp(rng.gauss(mu, sd), 350, 950))
        for d in range(1, ctx.D):
            if ctx.dom(d) == 1:
                u.score_events.append((d * DAY, int(round(rng.gauss(0, 7)))))
        u.dev_timeline = [(-DAY, self.new_device(rng))]
        if rng.random() < self.phone_change_p:
            u.add_device(rng.randrange(ctx.D) * DAY + rng.randrange(DAY), self.new_device(rng))
        u.tod = pick(rng, self.tod_mix[seg])
        wk = self.weekend_factor * rng.uniform(0.6, 1.5)
        u.dow = [rng.uniform(0.75, 1.25) for _ in range(5)] + [wk * rng.uniform(.8, 1.2) for _ in range(2)]
        u.chan = tuple((c, wt * rng.uniform(0.4, 1.6)) for c, wt in self.chan_mix[seg])
        u.activity = lognorm(rng, 1.0, 0.5, 0.15, 4.0)
        u.habit = Habit(tod=u.tod, p_early=rng.uniform(.05, .3), p_late=rng.uniform(.02, .15),
                        late_mean=rng.uniform(1.5, 5))
        u.p["payoff_p"] = rng.uniform(0.0, 0.12)

    def init_user(self, u, rng):
        u.base_limit = round_c(yuan(lognorm(rng, 10000, .5, 1000, 100000)), self.limit_unit)

    def normal(self, u, rng):
        pass

    def make_households(self, rng):
        order = list(range(len(self.users)))
        rng.shuffle(order)
        n = int(len(order) * self.household_share)
        i = 0
        while i < n - 1:
            size = min(rng.choice((2, 2, 2, 3, 3, 4)), n - i)
            if size < 2:
                break
            dev = self.new_device(rng)
            for j in order[i:i + size]:
                u = self.users[j]
                u.shared_dev = dev
                u.p_shared = rng.uniform(.1, .5)
            i += size

    # ----- helpers for normal behaviour --------------------------------------------------
    def days_with(self, rng, rate, d0, d1, weight=None):
        out = []
        for d in range(max(0, d0), min(self.ctx.D, d1)):
            p = rate * (weight(d) if weight is not None else 1.0)
            if p > 0 and rng.random() < p:
                out.append(d)
        return out

    def weighted_day(self, rng, d0, d1, weight):
        d0 = max(0, d0)
        d1 = min(self.ctx.D, d1)
        if d1 <= d0:
            return max(0, min(self.ctx.D - 1, d0))
        ws = [(d, weight(d)) for d in range(d0, d1)]
        return pick(rng, ws)

    def at(self, rng, d, tod=None, u=None):
        return d * DAY + sample_tod(rng, tod or (u.tod if u is not None else "evening"))

    def pick_channel(self, u, rng, exclude=()):
        opts = tuple((c, wt) for c, wt in u.chan if c not in exclude)
        if not opts:
            opts = (("app", 1.0),)
        return pick(rng, opts)

    def pick_merchant(self, u, rng):
        m = u.p.get("merchant")
        if m is not None and rng.random() < .7:
            return m
        return rng.choice(self.merchants) if self.merchants else self.new_merchant(rng)

    def device_for(self, u, ts, rng, channel, merchant=None):
        if channel == "web":
            if not self.web_device:
                return None
            b = u.p.get("browser")
            if b is None:
                b = u.p["browser"] = self.new_device(rng)
            return b
        if channel == "merchant" and rng.random() < .5:
            return None
        if u.shared_dev is not None and rng.random() < u.p_shared:
            return u.shared_dev
        return u.device_at(ts)

    def purpose_for(self, u, product, rng):
        if rng.random() < .08:
            return None
        if u.segment == "small_business":
            return "business" if rng.random() < .9 else "consumption"
        if u.segment == "student":
            return "education" if rng.random() < .3 else "consumption"
        return "consumption"

    def make_loan(self, u, ts, amt, product, term, channel, *, device=MISSING, merchant=None, purpose=MISSING,
                  tag=None, ep=None, rng=None, policy_limit=None, kind=None):
        amt = int(min(max(int(amt), MIN_AMOUNT_C), MAX_AMOUNT_C))
        term = int(min(max(int(term), 1), 3650))
        if channel == "merchant":
            if merchant is None:
                merchant = self.pick_merchant(u, rng)
        else:
            merchant = None
        if device is MISSING:
            device = self.device_for(u, ts, rng, channel, merchant)
        if purpose is MISSING:
            purpose = self.purpose_for(u, product, rng)
        L = Loan(u, ts, amt, product, term, channel, device, merchant, purpose, tag, ep)
        L.policy_limit = policy_limit
        L.kind = kind
        self.loan_hook(L, rng)
        u.loans.append(L)
        return L

    def loan_hook(self, L, rng):
        """world-specific reporting quirks applied to every loan, normal or not"""

    def installments(self, L):
        t = L.term
        if L.product == "wealth_pledge" or t <= 45:
            return 1, t
        if L.product in ("cash_loan", "credit_line") and t <= 90:
            return 1, t
        return max(1, t // 30), 30

    def daily_rate(self, L):
        return {"cash_loan": .0005, "credit_line": .0004, "installment": .0003,
                "merchant_loan": .00025, "wealth_pledge": .00012}.get(L.product, .0004)

    def adjust_payment(self, L, due, pay, rng, habit):
        return pay

    def repay(self, u, L, rng, habit=None, payoff_p=None, **kw):
        habit = habit or u.habit
        n, period = self.installments(L)
        schedule(self, rng, L, n, period, habit, **kw)
        p = u.p.get("payoff_p", 0.05) if payoff_p is None else payoff_p
        if p and rng.random() < p:
            span = min(L.term, 60)
            d = (L.ts // DAY) + max(1, int(rng.uniform(0.15, 0.9) * span))
            payoff(self, rng, L, d * DAY + habit.pay_tod(rng))

    def eff_limit(self, u, ts):
        return u.limit_at(ts)

    def available(self, u, ts):
        return self.eff_limit(u, ts) - u.outstanding_at(ts)

    # ----- reporting quirks ------------------------------------------------------------------
    def report_limit(self, u, L):
        return round_c(self.eff_limit(u, L.ts), self.limit_unit)

    def report_score(self, u, L):
        if L.hide_score:
            return None
        return int(clamp(u.score_at(L.ts) + L.score_adj, 350, 950))

    def report_outstanding(self, u, L, r):
        """whether the lender's repayment message carries `outstanding` (applies to every repayment)"""
        return r.show_out

    def extra_fields(self, u, L, ev):
        pass

    # ----- hooks for the typologies ----------------------------------------------------------
    def cash_products(self, u):
        return (("cash_loan", .6), ("credit_line", .4))

    def consumer_products(self, u):
        if u.segment == "small_business":
            return (("merchant_loan", .5), ("installment", .3), ("credit_line", .2))
        return (("installment", .6), ("credit_line", .4))

    def all_products(self, u):
        prods = [("cash_loan", .35), ("credit_line", .3), ("installment", .25)]
        if u.segment == "small_business":
            prods.append(("merchant_loan", .3))
        return tuple(prods)

    def episode_channel(self, u, rng, product):
        exclude = ("merchant",) if product in ("cash_loan", "wealth_pledge", "merchant_loan") else ()
        return self.pick_channel(u, rng, exclude)

    def student_products(self, u):
        return (("credit_line", .45), ("cash_loan", .35), ("installment", .2))

    def usable(self, product, u, rng):
        """a product this lender really offers (episodes must not invent new products)"""
        if product in self.used_products and (product != "merchant_loan" or u.segment == "small_business"):
            return product
        opts = tuple((p, wt) for p, wt in self.cash_products(u) if p in self.used_products)
        return pick(rng, opts) if opts else self.used_products[0]

    def amount_unit(self, product, rng):
        return pick(rng, ((None, .4), (1, .2), (10, .2), (100, .2)))

    def shape_amount(self, cents, product, rng):
        unit = self.amount_unit(product, rng)
        if unit is None:
            return messy_amount(rng, cents)
        while unit > 1 and cents < unit * 200:
            unit //= 10
        return round_c(int(cents), unit)

    def episode_loan(self, u, rng, ts, amt, ep, product=None, channel=None, term=None, device=MISSING,
                     merchant=None, purpose=MISSING, shape=True):
        product = self.usable(product or pick(rng, self.cash_products(u)), u, rng)
        if term is None or term not in self.term_options[product]:
            opts = self.term_options[product]
            term = rng.choice(opts) if term is None else min(opts, key=lambda o: (abs(o - term), o))
        if shape:
            amt = self.shape_amount(amt, product, rng)
        channel = channel or self.episode_channel(u, rng, product)
        return self.make_loan(u, ts, amt, product, term, channel, device=device, merchant=merchant,
                              purpose=purpose, tag=ep.typology, ep=ep.idx, rng=rng)

    def truncate_normal(self, u, ts):
        u.loans = [L for L in u.loans if L.tag is not None or L.ts < ts]

    def wipe_normal(self, u):
        u.loans = [L for L in u.loans if L.tag is not None]
