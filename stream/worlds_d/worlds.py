"""The lenders of worlds_d: a base World (normal behaviour) and seven lenders."""
from __future__ import annotations

import bisect
import itertools
import math

from .engine import DAY, HOUR, cal, hexid, holiday_factor, poisson, r2, wchoice

DAYTIME = [1, .6, .4, .3, .3, .4, .8, 1.5, 2.5, 3.5, 4, 4, 3.8, 3.5, 3.5, 3.6, 3.8, 4, 4.2, 4.8, 5.2, 5, 3.5, 2]
NIGHT = [4, 4.5, 4.5, 4, 3, 2, 1.2, 1, .8, .8, 1, 1.5, 2, 2.5, 3, 3, 3, 2.5, 2, 2, 2, 2.5, 3.5, 4]
MORNING = [.2, .1, .1, .1, .3, 1.5, 4, 6, 6, 5, 4, 3, 2, 2, 2.5, 2.5, 2, 1.5, 1.2, 1.2, 1, .8, .5, .3]
REPAY = [.5, .3, .2, .2, .2, .5, 1.5, 3, 4, 4, 3.5, 3, 3.5, 3, 2.5, 2.5, 2.5, 2.5, 3, 4, 4.5, 4, 2.5, 1]


def cum(ws):
    return list(itertools.accumulate(ws))


class World:
    name = "base"
    desc = ""
    uid_fmt = "u-{:06d}"
    eid_prefix = "e"
    per_product = False
    seg_mix = {"individual": 1.0}
    start_frac = 1.0
    churn_mean_days = None
    seg_products = {"individual": {"cash_loan": 1.0}}
    products = {}
    seg_amt = {"individual": 1.0, "student": 0.5, "small_business": 2.0}
    limit_median = {"individual": 8000, "student": 2500, "small_business": 30000}
    limit_sigma = 0.5
    limit_step = 500
    product_limit_frac = {}
    rate = {"individual": 0.08, "student": 0.08, "small_business": 0.06}
    rate_shape = 1.3
    hours = DAYTIME
    night_hours = NIGHT
    night_user_p = 0.06
    rep_hours = cum(REPAY)
    dow = [1, 1, 1, 1, 1.1, 1.1, 1.0]
    habits = {"early": .2, "on_time": .5, "late_few": .15, "partial": .08, "bad": .07}
    late_means = (1, 2, 2, 3, 4, 5)
    slip_p = 0.08
    autodebit_p = 0.0
    autodebit_hour = 7
    score_mu = {"individual": 660, "student": 610, "small_business": 680}
    score_sd = 55
    score_p = 0.85
    purpose_p = 0.7
    currency_p = 0.0
    outstanding_p = 1.0
    merchant_id_p = 0.9
    device_missing_partner = 0.5
    device_fmt = "d-{}"
    p_bad_risky = 0.6
    anom_frac = 0.045
    typologies = {}
    inc_p = 0.08
    shared_device_p = 0.12
    phone_change_p = 0.1
    odd_big_p = 0.02
    double_p = 0.04
    first_loan_p = 0.6
    short_product = "cash_loan"
    short_terms = {7: 1, 14: 2, 30: 2}
    n_merchants = 300

    def __init__(self):
        self.cum_hours = cum(self.hours)
        self.cum_night = cum(self.night_hours)

    # ---- setup --------------------------------------------------------
    def setup(self, ctx):
        self.ctx = ctx
        self.daymult = [self.day_factor(d) * self.dow[d % 7] * self.dom_factor(cal(d).day)
                        for d in range(ctx.ndays + 1)]
        w = [self.onboard_weight(d) for d in range(ctx.ndays)]
        self.cum_onboard = cum(w)
        g = ctx.rng
        self.house_devices = [self.new_device(g) for _ in range(max(4, ctx.n_users // 10))]
        self.merchants = [self.merchant_name(g, i) for i in range(self.n_merchants)]

    def day_factor(self, d):
        return holiday_factor(d)

    def dom_factor(self, dom):
        return 1.0

    def onboard_weight(self, d):
        return 1.0

    def limit_factor(self, u, t):
        return 1.0

    def time_shift(self, ctx, t):
        return t

    def user_day_mult(self, u, d):
        return 1.0

    # ---- ids ----------------------------------------------------------
    def user_id(self, idx, rng):
        return self.uid_fmt.format(idx + 1)

    def loan_id(self, u, n):
        return f"{u.uid}-L{n:03d}"

    def event_id(self, n, rng):
        return f"{self.eid_prefix}-{n + 1:07d}"

    def new_device(self, rng):
        return self.device_fmt.format(hexid(rng, 12))

    def merchant_name(self, rng, i):
        return f"m-{hexid(rng, 8)}"

    def new_merchant(self, rng):
        return f"m-{hexid(rng, 8)}"

    def pick_merchant(self, u, product):
        fav = u.extra.get("merchants")
        if fav and u.rng.random() < 0.6:
            return u.rng.choice(fav)
        return u.rng.choice(self.merchants)

    def purpose_for(self, u, product):
        if product == "merchant_loan" or u.segment == "small_business":
            return "business" if u.rng.random() < 0.9 else "consumption"
        if u.segment == "student" and u.rng.random() < 0.2:
            return "education"
        return "consumption"

    def min_amount(self, product):
        return float(self.products[product].get("min", 50))

    def round_amount(self, product, x):
        step = self.products[product].get("round", 0)
        x = max(x, self.min_amount(product))
        if step:
            return float(max(step, round(x / step) * step))
        return r2(x)

    def sample_sec(self, rng, cumw):
        h = bisect.bisect(cumw, rng.random() * cumw[-1])
        return min(h, 23) * HOUR + rng.randrange(HOUR)

    def typical_amount(self, u, p):
        med = self.products[p]["amt"][0]
        return med * u.extra["amt_scale"] * self.seg_amt.get(u.segment, 1.0) * u.rng.uniform(0.7, 1.3)

    # ---- users --------------------------------------------------------
    def init_user(self, u, segment=None):
        rng, ctx = u.rng, u.ctx
        u.segment = segment or wchoice(rng, self.seg_mix)
        u.score = int(min(950, max(350, rng.gauss(self.score_mu[u.segment], self.score_sd))))
        u.habit = wchoice(rng, self.habits)
        u.extra["late_mean"] = rng.choice(self.late_means)
        L = rng.lognormvariate(math.log(self.limit_median[u.segment]), self.limit_sigma)
        L = max(self.limit_step, round(L / self.limit_step) * self.limit_step)
        prods = {p: w * rng.gammavariate(2.0, 0.5) + 1e-3 for p, w in self.seg_products[u.segment].items()}
        u.extra["prods"] = prods
        u.set_limit(-10 ** 9 + 1, L)
        if self.per_product:
            for p in prods:
                f = self.product_limit_frac.get(p, 1.0) * rng.uniform(0.7, 1.3)
                u.set_limit(-10 ** 9 + 1, max(self.limit_step, round(L * f / self.limit_step) * self.limit_step), p)
        u.extra["base_limit"] = L
        u.extra["rate"] = rng.gammavariate(self.rate_shape, self.rate[u.segment] / self.rate_shape)
        u.extra["amt_scale"] = rng.lognormvariate(0, 0.35) * (L / self.limit_median[u.segment]) ** 0.4
        chan = {}
        for p in prods:
            spec = dict(self.products[p]["channels"])
            fav = wchoice(rng, spec)
            spec[fav] = spec[fav] + 3 * sum(spec.values())
            chan[p] = spec
        u.extra["chan"] = chan
        u.extra["merchants"] = [rng.choice(self.merchants) for _ in range(rng.randint(1, 4))]
        u.extra["hours"] = self.cum_night if rng.random() < self.night_user_p else self.cum_hours
        if rng.random() < self.shared_device_p:
            dev = rng.choice(self.house_devices)
        else:
            dev = self.new_device(rng)
        u.set_device(-10 ** 9 + 1, dev)
        if rng.random() < self.start_frac:
            u.join = 0
        else:
            d = bisect.bisect(self.cum_onboard, rng.random() * self.cum_onboard[-1])
            d = min(d, ctx.ndays - 1)
            u.join = d * DAY + self.sample_sec(rng, self.cum_hours)
        if rng.random() < self.phone_change_p:
            u.set_device(rng.randint(u.join, ctx.end), self.new_device(rng))
        if self.churn_mean_days:
            u.stop = u.join + int(rng.expovariate(1.0 / self.churn_mean_days) * DAY)

    # ---- normal activity ----------------------------------------------
    def arrivals(self, u, t_from, t_to):
        rng = u.rng
        out = []
        lam = u.extra["rate"]
        hours = u.extra["hours"]
        for d in range(max(0, t_from // DAY), min(self.ctx.ndays, (t_to - 1) // DAY + 1)):
            m = lam * self.daymult[d] * self.user_day_mult(u, d)
            for _ in range(poisson(rng, m)):
                t = d * DAY + self.sample_sec(rng, hours)
                if t_from <= t < t_to:
                    out.append(t)
        if u.join > 0 and t_from <= u.join < t_to and rng.random() < self.first_loan_p:
            out.append(u.join + rng.randint(120, 6 * HOUR))
        out.sort()
        return out

    def simulate(self, u, t_from, t_to):
        t_to = min(t_to, u.stop, self.ctx.end)
        t_from = max(t_from, u.join)
        if t_to <= t_from:
            return
        todo = [(t, 0, {}) for t in self.arrivals(u, t_from, t_to)]
        todo += [(t, 1, kw) for t, kw in self.special(u, t_from, t_to) if t_from <= t < t_to]
        todo.sort(key=lambda x: (x[0], x[1]))
        for t, _, kw in todo:
            self.normal_loan(u, t, **kw)

    def special(self, u, t_from, t_to):
        """World-specific scheduled loans: a list of (t, normal_loan keyword arguments)."""
        return []

    def pick_product(self, u, t):
        return wchoice(u.rng, u.extra["prods"])

    def normal_loan(self, u, t, product=None, amount=None, term=None, **kw):
        rng = u.rng
        p = product or self.pick_product(u, t)
        spec = self.products[p]
        bump = kw.pop("limit_bump", None)
        if bump:  # a partner-approved raise right before the loan (e.g. tuition)
            u.set_limit_shown(t - rng.randint(300, 3 * DAY), u.limit_at(t, p) + bump, p)
        frac = kw.pop("avail_frac", None)
        if frac:
            amount = u.avail(t, p) * rng.uniform(*frac)
            if amount < 500:
                return None
        if amount is None:
            med, sig = spec["amt"]
            amount = rng.lognormvariate(math.log(med * u.extra["amt_scale"] * self.seg_amt.get(u.segment, 1.0)), sig)
            if rng.random() < self.odd_big_p:  # one-off big purchase
                amount *= rng.uniform(3, 6)
                if "installment" in u.extra["prods"]:
                    p, spec = "installment", self.products["installment"]
                    term = max(wchoice(rng, spec["terms"]), 180)
        if term is None:
            term = wchoice(rng, spec["terms"])
        av = u.avail(t, p)
        if amount > av:
            if av < self.min_amount(p) * 2 or rng.random() < 0.4:
                return None  # declined / gave up: no event
            amount = av * rng.uniform(0.6, 1.0)
        amount = self.round_amount(p, amount)
        ln = u.add_loan(t, amount, p, term, **kw)
        if (ln.reps and abs(sum(e.amount for e in ln.reps) - ln.total) < 0.02
                and all(e.t - e.due_t < DAY for e in ln.reps) and rng.random() < self.inc_p):
            t_inc = ln.reps[-1].t + rng.randint(HOUR, 3 * DAY)
            key = p if self.per_product else None
            cur = u.limit_tl[key if key in u.limit_tl else None]
            raw = cur[-1][1]
            u.set_limit(max(t_inc, cur[-1][0] + 1), round(raw * rng.uniform(1.1, 1.5) / 100) * 100, key)
        if rng.random() < self.double_p:
            t2 = t + rng.randint(1200, 4 * HOUR)
            q = self.pick_product(u, t2)
            a2 = self.typical_amount(u, q) * rng.uniform(0.3, 1.0)
            if a2 < u.avail(t2, q):
                u.add_loan(t2, self.round_amount(q, a2), q, wchoice(rng, self.products[q]["terms"]))
        return ln


# ======================================================================
class BillInstalments(World):
    name = "bill_instalments"
    desc = ("UtilityPay: converts household electricity/gas/water/telecom bills into 3-12 month instalments via "
            "utility partners; bills cluster on each household's billing day, January heating bills are large, "
            "repayments are mostly auto-debited, and households are onboarded continuously.")
    uid_fmt = "hh{:07d}"
    eid_prefix = "upay"
    seg_mix = {"individual": 0.9, "small_business": 0.08, "student": 0.02}
    start_frac = 0.4
    seg_products = {s: {"installment": 0.75, "credit_line": 0.25} for s in ("individual", "student", "small_business")}
    products = {
        "installment": dict(amt=(2200, 0.6), terms={90: 3, 180: 3, 270: 1, 360: 2}, sched="monthly", apr=0.12,
                            channels={"merchant": 0.8, "app": 0.2}, min=100),
        "credit_line": dict(amt=(400, 0.7), terms={30: 1}, apr=0.0, channels={"app": 0.7, "web": 0.3}, min=20),
    }
    limit_median = {"individual": 7000, "student": 3000, "small_business": 16000}
    rate = {"individual": 0.03, "student": 0.03, "small_business": 0.03}
    autodebit_p = 0.8
    autodebit_hour = 7
    habits = {"early": .1, "on_time": .62, "late_few": .13, "partial": .09, "bad": .06}
    score_p = 0.6
    purpose_p = 0.4
    currency_p = 0.5
    device_missing_partner = 0.8
    p_bad_risky = 0.6
    shared_device_p = 0.25
    short_product = "credit_line"
    short_terms = {15: 1, 30: 3}
    typologies = {"loan_stacking": 1, "borrow_to_repay": 1.3, "account_takeover": 1, "limit_jump_drain": 1,
                  "overdue_escalation": 1, "first_payment_default": 1, "device_farm": 1}

    def init_user(self, u, segment=None):
        super().init_user(u, segment)
        rng = u.rng
        u.extra["bill_day"] = rng.randint(1, 28)
        kinds = {"electric": (180, 0.5), "gas": (260, 0.6), "water": (60, 0.4), "telecom": (120, 0.3),
                 "property": (900, 0.4)}
        bills = [k for k in kinds if rng.random() < (0.9 if k == "electric" else 0.4)]
        scale = 4.0 if u.segment == "small_business" else 1.0
        u.extra["bills"] = [(k, kinds[k][0] * scale * rng.lognormvariate(0, kinds[k][1])) for k in bills]
        u.extra["convert_p"] = rng.uniform(0.4, 1.0)

    def special(self, u, t_from, t_to):
        rng = u.rng
        out = []
        for d in range(max(0, t_from // DAY), min(self.ctx.ndays, (t_to - 1) // DAY + 1)):
            c = cal(d)
            if c.day != u.extra["bill_day"]:
                continue
            heat = 1.8 if c.month in (1, 2) else 1.0
            t = d * DAY + self.sample_sec(rng, u.extra["hours"])
            for k, base in u.extra["bills"]:
                if rng.random() > u.extra["convert_p"]:
                    continue
                amt = base * (heat if k in ("electric", "gas") else 1.0) * rng.uniform(0.85, 1.15) * 3
                out.append((t + rng.randint(0, 1800), dict(product="installment", amount=amt,
                            term=wchoice(rng, {90: 4, 180: 3, 360: 1}), channel="partner", purpose=None)))
        return out


# ======================================================================
class NightShiftCash(World):
    name = "night_shift_cash"
    desc = ("ShiftCash: small 7-21 day cash advances for factory and delivery shift workers; activity peaks after "
            "night shifts, borrowing rises before Friday paydays, many normal borrowers pay 1-5 days late or in "
            "parts, and family phones are shared.")
    uid_fmt = "w{:06d}"
    eid_prefix = "sc"
    seg_mix = {"individual": 0.93, "small_business": 0.04, "student": 0.03}
    start_frac = 0.85
    seg_products = {s: {"cash_loan": 0.8, "credit_line": 0.2} for s in ("individual", "student", "small_business")}
    products = {
        "cash_loan": dict(amt=(900, 0.5), terms={7: 3, 14: 4, 21: 2}, apr=0.36, round=100, min=100,
                          channels={"app": 0.9, "partner": 0.1}),
        "credit_line": dict(amt=(250, 0.6), terms={30: 1}, apr=0.18, channels={"app": 0.6, "merchant": 0.4}, min=20),
    }
    limit_median = {"individual": 3000, "student": 1500, "small_business": 6000}
    limit_step = 100
    rate = {"individual": 0.14, "student": 0.08, "small_business": 0.1}
    hours = NIGHT
    night_hours = DAYTIME
    night_user_p = 0.25
    rep_hours = cum([3, 3, 2.5, 2, 1.5, 1, 1, 1, 1, 1, 1.2, 1.5, 2, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 2.5, 3, 3, 3, 3])
    dow = [1.3, 1.3, 1.2, 1.0, 0.6, 0.8, 1.0]
    habits = {"early": .05, "on_time": .33, "late_few": .33, "partial": .17, "bad": .12}
    slip_p = 0.2
    score_mu = {"individual": 590, "student": 580, "small_business": 610}
    score_p = 0.95
    purpose_p = 0.2
    outstanding_p = 0.7
    p_bad_risky = 0.12
    inc_p = 0.3
    shared_device_p = 0.35
    double_p = 0.08
    short_terms = {7: 2, 14: 3, 21: 1}
    typologies = {"loan_stacking": 1, "borrow_to_repay": 1.3, "account_takeover": 1, "limit_jump_drain": 1,
                  "overdue_escalation": 1, "loan_flipping": 1, "first_payment_default": 1}

    def new_device(self, rng):
        return f"and-{hexid(rng, 10)}" if rng.random() < 0.8 else f"ios-{hexid(rng, 10)}"

    def dom_factor(self, dom):
        return 1.25 if dom >= 24 else 1.0


# ======================================================================
class CampusGrowth(World):
    name = "campus_growth"
    desc = ("CampusCredit: student credit line and tuition/device instalments; students onboard continuously "
            "with a surge (and partner tuition loans with raised limits) at the spring-semester start in the "
            "test window; limits are small and parents' phones are often shared.")
    uid_fmt = "stu-{:05d}"
    eid_prefix = "cc"
    seg_mix = {"student": 0.82, "individual": 0.18}
    start_frac = 0.45
    seg_products = {"student": {"credit_line": 0.55, "installment": 0.3, "cash_loan": 0.15},
                    "individual": {"credit_line": 0.5, "installment": 0.25, "cash_loan": 0.25}}
    products = {
        "credit_line": dict(amt=(180, 0.7), terms={30: 1}, apr=0.0, channels={"app": 0.6, "merchant": 0.4}, min=10),
        "installment": dict(amt=(1500, 0.6), terms={90: 2, 180: 2, 360: 1}, sched="monthly", apr=0.14,
                            channels={"merchant": 0.6, "app": 0.3, "partner": 0.1}, min=100),
        "cash_loan": dict(amt=(600, 0.5), terms={14: 1, 30: 2}, apr=0.24, round=100, min=100,
                          channels={"app": 1.0}),
    }
    seg_amt = {"student": 1.0, "individual": 1.8}
    limit_median = {"student": 2500, "individual": 6000}
    limit_step = 100
    rate = {"student": 0.12, "individual": 0.08}
    night_user_p = 0.2
    dow = [0.9, 0.9, 0.9, 1.0, 1.2, 1.3, 1.2]
    habits = {"early": .15, "on_time": .55, "late_few": .15, "partial": .08, "bad": .07}
    score_mu = {"student": 600, "individual": 640}
    score_p = 0.7
    purpose_p = 0.8
    p_bad_risky = 0.65
    shared_device_p = 0.25
    short_product = "cash_loan"
    short_terms = {14: 1, 30: 2}
    typologies = {"student_overborrowing": 2, "loan_stacking": 1, "account_takeover": 1, "borrow_to_repay": 1.3,
                  "limit_jump_drain": 1, "device_farm": 1, "first_payment_default": 1, "overdue_escalation": 1}

    def semester(self, d):
        c = cal(d)
        return (c.month == 2 and c.day >= 23) or (c.month == 3 and c.day <= 8)

    def onboard_weight(self, d):
        return 4.0 if self.semester(d) else holiday_factor(d, lull=0.3, pre=1.0, post=1.0)

    def user_day_mult(self, u, d):
        return 1.5 if self.semester(d) else 1.0

    def special(self, u, t_from, t_to):
        rng = u.rng
        if u.segment != "student" or rng.random() > 0.35:
            return []
        days = [d for d in range(max(0, t_from // DAY), min(self.ctx.ndays, (t_to - 1) // DAY + 1)) if self.semester(d)]
        if not days:
            return []
        t = rng.choice(days) * DAY + self.sample_sec(rng, self.cum_hours)
        amt = round(rng.uniform(2500, 6500), -1)
        return [(t, dict(product="installment", amount=amt, term=rng.choice((180, 360)), channel="partner",
                         purpose="education", limit_bump=amt))]


# ======================================================================
class AgriSeasonal(World):
    name = "agri_seasonal"
    desc = ("GreenField: operating loans for farms and agri-input dealers; quiet in winter, ramping up for spring "
            "planting after the Spring Festival (a seasonal surge in the test window), large 120-270 day loans "
            "with monthly interest, drawn on weekday mornings through dealers.")
    uid_fmt = "F{:06d}"
    eid_prefix = "gf"
    seg_mix = {"small_business": 0.7, "individual": 0.3}
    start_frac = 0.85
    seg_products = {"small_business": {"merchant_loan": 0.6, "cash_loan": 0.2, "credit_line": 0.2},
                    "individual": {"merchant_loan": 0.35, "cash_loan": 0.35, "credit_line": 0.3}}
    products = {
        "merchant_loan": dict(amt=(30000, 0.6), terms={120: 1, 180: 3, 240: 2, 270: 1}, sched="interest_monthly",
                              apr=0.09, round=1000, min=3000, channels={"merchant": 0.85, "web": 0.15}),
        "cash_loan": dict(amt=(8000, 0.5), terms={30: 1, 60: 1, 90: 2}, sched="bullet", apr=0.12, round=500,
                          min=1000, channels={"app": 0.7, "web": 0.3}),
        "credit_line": dict(amt=(3000, 0.7), terms={30: 1}, apr=0.06, channels={"merchant": 0.8, "app": 0.2},
                            min=100),
    }
    seg_amt = {"small_business": 1.0, "individual": 0.5}
    limit_median = {"small_business": 120000, "individual": 40000}
    limit_sigma = 0.6
    limit_step = 5000
    rate = {"small_business": 0.05, "individual": 0.045}
    anom_frac = 0.035
    hours = MORNING
    night_user_p = 0.01
    dow = [1.2, 1.2, 1.1, 1.1, 1.0, 0.6, 0.3]
    habits = {"early": .12, "on_time": .6, "late_few": .18, "partial": .05, "bad": .05}
    score_mu = {"small_business": 690, "individual": 660}
    score_p = 0.9
    purpose_p = 0.9
    currency_p = 1.0
    outstanding_p = 0.5
    p_bad_risky = 0.55
    shared_device_p = 0.3
    odd_big_p = 0.0
    short_product = "cash_loan"
    short_terms = {30: 3, 60: 1}
    n_merchants = 90
    typologies = {"loan_stacking": 1, "borrow_to_repay": 1.3, "account_takeover": 1, "limit_jump_drain": 1,
                  "overdue_escalation": 1, "sleeper_cashout": 1, "first_payment_default": 1}

    def merchant_name(self, rng, i):
        return f"agd-{rng.choice(('hn', 'sd', 'hb', 'js', 'ah'))}-{i:03d}"

    def day_factor(self, d):
        c = cal(d)
        doy = c.timetuple().tm_yday
        season = 0.35 + 1.9 / (1 + math.exp(-(doy - 58) / 5.0))  # ramps up late Feb / March
        return season * holiday_factor(d, lull=0.15, pre=1.1, post=1.2)

    def onboard_weight(self, d):
        return self.day_factor(d)


# ======================================================================
class LimitCampaign(World):
    name = "limit_campaign"
    desc = ("PayLater+: e-commerce checkout credit line with many small merchant purchases; festival shopping "
            "before the holiday, and a platform-wide limit-raise campaign in the test window that lifts ~35% "
            "of users' limits 1.5-3x at once, after which many spend more (not fraud).")
    uid_fmt = "pl_{:07d}"
    eid_prefix = "plx"
    seg_mix = {"individual": 0.85, "student": 0.1, "small_business": 0.05}
    start_frac = 0.95
    seg_products = {s: {"credit_line": 0.7, "installment": 0.25, "cash_loan": 0.05}
                    for s in ("individual", "student", "small_business")}
    products = {
        "credit_line": dict(amt=(160, 0.9), terms={30: 1}, apr=0.0, channels={"merchant": 0.6, "partner": 0.3,
                                                                          "app": 0.1}, min=5),
        "installment": dict(amt=(1800, 0.7), terms={90: 2, 180: 2, 360: 1}, sched="monthly", apr=0.15,
                            channels={"merchant": 0.8, "app": 0.2}, min=100),
        "cash_loan": dict(amt=(1500, 0.5), terms={30: 2, 90: 1}, apr=0.24, round=100, min=500,
                          channels={"app": 1.0}),
    }
    limit_median = {"individual": 6000, "student": 2000, "small_business": 15000}
    limit_sigma = 0.6
    limit_step = 100
    rate = {"individual": 0.22, "student": 0.2, "small_business": 0.15}
    habits = {"early": .2, "on_time": .52, "late_few": .14, "partial": .07, "bad": .07}
    score_p = 0.8
    purpose_p = 0.6
    merchant_id_p = 1.0
    p_bad_risky = 0.65
    inc_p = 0.03
    n_merchants = 600
    short_product = "credit_line"
    short_terms = {30: 1}
    typologies = {"limit_jump_drain": 1.5, "loan_stacking": 1, "account_takeover": 1, "borrow_to_repay": 1.3,
                  "overdue_escalation": 1, "loan_flipping": 1, "device_farm": 1, "student_overborrowing": 1}

    def setup(self, ctx):
        super().setup(ctx)
        self.camp_t = ctx.test_start + min(3, ctx.T // 3) * DAY + 10 * HOUR

    def init_user(self, u, segment=None):
        super().init_user(u, segment)
        rng = u.rng
        u.extra["camp"] = rng.uniform(1.5, 3.0) if rng.random() < 0.35 else 1.0
        u.extra["camp_big"] = rng.random() < 0.15

    def limit_factor(self, u, t):
        return u.extra["camp"] if t >= self.camp_t else 1.0

    def user_day_mult(self, u, d):
        if u.extra["camp"] > 1 and 0 <= d * DAY - (self.camp_t - self.camp_t % DAY) < 7 * DAY:
            return 1.8
        return 1.0

    def special(self, u, t_from, t_to):
        if u.extra["camp"] > 1 and u.extra["camp_big"]:
            rng = u.rng
            t = self.camp_t + rng.randint(HOUR, 5 * DAY)
            return [(t, dict(product="installment", avail_frac=(0.4, 0.85), term=rng.choice((180, 360)),
                             channel="merchant"))]
        return []


# ======================================================================
class ChurnQuickLoan(World):
    name = "churn_quickloan"
    desc = ("QuickLoan: cash-loan/credit-line/instalment app with separate per-product limits (credit_limit is "
            "the product's own limit), heavy churn, ad-driven continuous onboarding, returning dormant users, and "
            "a 7-hour outage in the test window followed by a catch-up burst.")
    uid_fmt = "QL{:08d}"
    eid_prefix = "ql"
    per_product = True
    seg_mix = {"individual": 0.85, "student": 0.07, "small_business": 0.08}
    start_frac = 0.3
    churn_mean_days = 16
    seg_products = {s: {"cash_loan": 0.55, "credit_line": 0.3, "installment": 0.15}
                    for s in ("individual", "student", "small_business")}
    product_limit_frac = {"cash_loan": 0.8, "credit_line": 0.5, "installment": 0.7}
    products = {
        "cash_loan": dict(amt=(1800, 0.6), terms={14: 1, 30: 3, 90: 1, 180: 1}, sched="monthly", apr=0.30,
                          round=100, min=200, channels={"app": 0.8, "web": 0.1, "partner": 0.1}),
        "credit_line": dict(amt=(350, 0.8), terms={30: 1}, apr=0.1, channels={"app": 0.5, "merchant": 0.5}, min=20),
        "installment": dict(amt=(2000, 0.6), terms={90: 1, 180: 1, 360: 1}, sched="monthly", apr=0.18,
                            channels={"merchant": 0.7, "app": 0.3}, min=200),
    }
    limit_median = {"individual": 6000, "student": 2500, "small_business": 12000}
    limit_step = 100
    rate = {"individual": 0.12, "student": 0.1, "small_business": 0.1}
    first_loan_p = 0.85
    habits = {"early": .18, "on_time": .5, "late_few": .14, "partial": .08, "bad": .1}
    score_p = 0.75
    purpose_p = 0.5
    outstanding_p = 0.85
    p_bad_risky = 0.7
    anom_frac = 0.042
    short_product = "cash_loan"
    short_terms = {14: 1, 30: 2}
    typologies = {"loan_stacking": 1, "borrow_to_repay": 1.3, "account_takeover": 1, "first_payment_default": 1,
                  "device_farm": 1, "overdue_escalation": 1, "limit_jump_drain": 1, "sleeper_cashout": 1}

    def setup(self, ctx):
        od = ctx.H + max(1, ctx.T // 2) if ctx.T > 1 else ctx.H
        self.out_a, self.out_b = od * DAY + 13 * HOUR, od * DAY + 20 * HOUR
        g = ctx.rng
        self.ad_days = set(g.randrange(ctx.ndays) for _ in range(max(1, ctx.ndays // 8)))
        super().setup(ctx)

    def onboard_weight(self, d):
        return 3.0 if d in getattr(self, "ad_days", ()) else 1.0

    def time_shift(self, ctx, t):
        if self.out_a <= t < self.out_b:
            return self.out_b + int((t - self.out_a) * 0.25) + (t * 7919) % 600
        return t

    def simulate(self, u, t_from, t_to):
        super().simulate(u, t_from, t_to)
        if not u.anomalous and t_to >= u.stop and u.rng.random() < 0.15:  # returns after dormancy
            back = u.stop + u.rng.randint(15, 35) * DAY
            if back < self.ctx.end:
                stop, u.stop = u.stop, back + u.rng.randint(1, 5) * DAY
                World.simulate(self, u, back, u.stop)
                u.extra["returned"] = True


# ======================================================================
class VaultLend(World):
    name = "vault_pledge"
    desc = ("VaultLend: loans pledged against wealth-management holdings; affluent clients and business owners take "
            "rare, large 30-365 day loans that are usually repaid early; limits follow the market value of the "
            "holdings, with a market rally in the test window lifting everyone's limit.")
    uid_fmt = "VC-{:06d}"
    eid_prefix = "vl"
    seg_mix = {"individual": 0.75, "small_business": 0.25}
    start_frac = 0.97
    seg_products = {"individual": {"wealth_pledge": 0.85, "cash_loan": 0.15},
                    "small_business": {"wealth_pledge": 0.7, "cash_loan": 0.15, "merchant_loan": 0.15}}
    products = {
        "wealth_pledge": dict(amt=(150000, 0.9), terms={30: 2, 90: 3, 180: 2, 365: 1}, apr=0.045, round=1000,
                              min=10000, channels={"app": 0.5, "web": 0.45, "partner": 0.05}),
        "cash_loan": dict(amt=(30000, 0.6), terms={30: 1, 90: 1}, apr=0.08, round=1000, min=5000,
                          channels={"app": 0.6, "web": 0.4}),
        "merchant_loan": dict(amt=(200000, 0.7), terms={180: 1, 365: 1}, sched="interest_monthly", apr=0.06,
                              round=10000, min=50000, channels={"web": 0.7, "partner": 0.3}),
    }
    seg_amt = {"individual": 1.0, "small_business": 1.5}
    limit_median = {"individual": 600000, "small_business": 1500000}
    limit_sigma = 0.9
    limit_step = 10000
    rate = {"individual": 0.03, "small_business": 0.04}
    dow = [1.2, 1.1, 1.1, 1.1, 1.0, 0.5, 0.5]
    habits = {"early": .5, "on_time": .42, "late_few": .05, "partial": .0, "bad": .03}
    score_mu = {"individual": 780, "small_business": 760}
    score_sd = 45
    score_p = 0.95
    purpose_p = 0.85
    currency_p = 1.0
    p_bad_risky = 0.04
    anom_frac = 0.038
    shared_device_p = 0.02
    odd_big_p = 0.0
    double_p = 0.02
    inc_p = 0.0
    short_product = "wealth_pledge"
    short_terms = {30: 2, 14: 1}
    typologies = {"loan_stacking": 1, "borrow_to_repay": 1.3, "account_takeover": 1.3, "limit_jump_drain": 1,
                  "overdue_escalation": 1, "loan_flipping": 1, "sleeper_cashout": 1}

    def setup(self, ctx):
        super().setup(ctx)
        g = ctx.rng
        idx, v = [], 1.0
        rally = ctx.H + min(4, max(0, ctx.T - 3))
        for d in range(ctx.ndays + 1):
            v *= math.exp(g.gauss(0, 0.007))
            if rally <= d < rally + 3:
                v *= 1.035
            idx.append(v)
        self.index = idx

    def limit_factor(self, u, t):
        return self.index[min(max(0, t // DAY), len(self.index) - 1)]

    def user_day_mult(self, u, d):
        return 1.4 if self.index[d] > self.index[max(0, d - 3)] * 1.05 else 1.0


WORLDS = {w.name: w for w in (BillInstalments, NightShiftCash, CampusGrowth, AgriSeasonal, LimitCampaign,
                               ChurnQuickLoan, VaultLend)}
