"""The seven family-N lender worlds.

Each world is a lender with its own normal habits (segments, products,
terms, hours, weekly rhythm, channels, limits, repayment styles) and one
collective change inside the test window that the history never shows.  The
change is *normal* behaviour (label 0); misbehaviour episodes are injected on
top by :mod:`stream.worlds_n.typologies`.
"""
from __future__ import annotations

import copy
import math
from datetime import date

from .core import DAY, HOUR, Sched, World, clamp, lognorm, money, round_step, wchoice


def _amounts(**changes):
    a = copy.deepcopy(World.amounts)
    for prod, segs in changes.items():
        a[prod].update(segs)
    return a


def _terms(**changes):
    t = dict(World.terms)
    t.update(changes)
    return t


# =========================================================== 1. farm credit
class HarvestFarm(World):
    name = "harvest_cycle_farm_credit"
    description = ("rural farm lender: spring planting loans due in one lump after harvest, market-day "
                   "rhythm, dawn/evening hours; test: one region harvests early -> wave of big lump "
                   "repayments and immediate next-season re-borrowing")
    start = date(2026, 7, 13)
    n_regions = 4
    seg_mix = {"individual": 0.47, "small_business": 0.45, "student": 0.08}
    weekday = [1.0, 1.0, 1.0, 1.0, 1.0, 0.85, 0.6]
    hours = {
        "individual": [(6.3, 0.9, 0.45), (12.5, 1.5, 0.2), (20.0, 1.2, 0.35)],
        "small_business": [(6.0, 0.9, 0.5), (13.0, 2.0, 0.25), (19.5, 1.2, 0.25)],
        "student": [(11.0, 2.0, 0.4), (21.5, 1.5, 0.6)],
    }
    products = {
        "individual": {"credit_line": 0.45, "cash_loan": 0.22, "merchant_loan": 0.23, "installment": 0.1},
        "small_business": {"merchant_loan": 0.62, "cash_loan": 0.2, "installment": 0.1, "credit_line": 0.08},
        "student": {"credit_line": 0.6, "installment": 0.25, "cash_loan": 0.15},
    }
    amounts = _amounts(
        merchant_loan={"individual": (3500, 0.6), "small_business": (14000, 0.7)},
        cash_loan={"individual": (2000, 0.6), "small_business": (6000, 0.7)},
        installment={"individual": (4500, 0.6), "small_business": (22000, 0.7), "student": (2800, 0.4)},
        credit_line={"individual": (260, 0.8), "small_business": (600, 0.8), "student": (150, 0.7)},
    )
    terms = _terms(merchant_loan=([60, 90, 120, 150], [0.2, 0.35, 0.3, 0.15]),
                   cash_loan=([30, 60, 90, 180], [0.35, 0.3, 0.2, 0.15]),
                   installment=([180, 360, 720], [0.3, 0.5, 0.2]))
    styles = dict(World.styles, merchant_loan="lump")
    limits = {"individual": (16000, 0.5), "small_business": (90000, 0.6), "student": (5000, 0.4)}
    rates = {"individual": (0.07, 0.6), "small_business": (0.1, 0.5), "student": (0.1, 0.6)}
    channels = {
        "individual": {"app": 0.55, "merchant": 0.35, "web": 0.05, "partner": 0.05},
        "small_business": {"merchant": 0.5, "app": 0.4, "web": 0.1},
        "student": {"app": 0.8, "partner": 0.2},
    }
    punct = {"individual": (0.2, 0.55, 0.18, 0.07), "small_business": (0.2, 0.55, 0.18, 0.07),
             "student": (0.15, 0.55, 0.2, 0.1)}
    prewindow = {"individual": 0.7, "small_business": 0.8, "student": 0.4}
    prewindow_products = {"individual": {"installment": 0.5, "cash_loan": 0.3, "credit_line": 0.2},
                          "small_business": {"installment": 0.6, "cash_loan": 0.4},
                          "student": {"installment": 0.5, "credit_line": 0.5}}
    new_user_share = 0.04
    autodebit_share = 0.3
    reborrow_max = 0.2

    def setup(self):
        rng = self.rng
        self.market_dow = [rng.randrange(7) for _ in range(self.n_regions)]
        self.harvest_day = [rng.uniform(74, 96) for _ in range(self.n_regions)]
        self.early = rng.randrange(self.n_regions)
        self.H = self.T_hist + int(rng.uniform(1.0, 3.0) * DAY)
        self.dealers = [[self.ids.new("m-", 8) for _ in range(6)] for _ in range(self.n_regions)]

    def customize(self, u):
        rng = u.rng
        farmer = u.segment == "small_business" or (u.segment == "individual" and rng.random() < 0.75)
        u.kind = "farmer" if farmer else ("student" if u.segment == "student" else "rural")
        u.wd[self.market_dow[u.region]] *= 2.2
        if farmer:
            u.merchants = rng.sample(self.dealers[u.region], 2) + u.merchants[:1]
            u.attrs["season"] = lognorm(rng, 1.0, 0.3)

    def prewindow_loans(self, u, trk):
        super().prewindow_loans(u, trk)
        if u.kind != "farmer" or u.first_day > 0:
            return
        rng = u.rng
        big = u.segment == "small_business"
        total = 0.0
        for _ in range(1 + (rng.random() < 0.35)):
            t0 = -int(rng.uniform(45, 110)) * DAY + int(rng.uniform(5.5, 9) * HOUR)
            amt = round_step(lognorm(rng, 50000 if big else 9000, 0.5) * u.scale, 1000)
            due = int((self.harvest_day[u.region] + rng.uniform(5, 30)) * DAY)
            p = "merchant_loan" if rng.random() < 0.65 else "cash_loan"
            spec = {"product": p, "amount": amt, "term": (due - t0) // DAY, "style": "lump",
                    "harvest": True, "channel": "merchant", "purpose": "business"}
            self.add_prewindow(u, p, spec, trk, 0, t0=t0)
            total += amt
        lim = u.limit.at(0)
        if lim < total * 1.8:
            f = total * rng.uniform(1.8, 2.6) / lim
            u.limit.v = [round_step(v * f, 1000) for v in u.limit.v]

    def rate_mult(self, u, d):
        if u.kind != "farmer":
            return 1.0
        return 0.6 + 0.9 * math.exp(-((d - 18) / 7.0) ** 2) + 0.5 * math.exp(-((d - 36) / 5.0) ** 2)

    def draw_loan(self, u, t, product=None):
        spec = super().draw_loan(u, t, product)
        if u.kind == "farmer" and spec["product"] == "merchant_loan" and t >= 0:
            due = int((self.harvest_day[u.region] + u.rng.uniform(0, 20)) * DAY)
            spec["term"] = max(30, (due - t) // DAY)
            spec["harvest"] = True
            spec["purpose"] = "business"
            if u.rng.random() < 0.7:
                spec["channel"] = "merchant"
                spec["merchant"] = u.rng.choice(self.dealers[u.region])
                spec["device"] = u.device.at(t) if u.rng.random() < 0.4 else None
        return spec

    def post_plan(self, u, t0, amount, spec, pays):
        if not spec.get("harvest") or u.region != self.early or u.kind != "farmer":
            return pays
        rng = u.rng
        if rng.random() > 0.82 or not pays:
            return pays
        tp = self.H + int(rng.gammavariate(2.0, 1.4) * DAY)
        tp = (tp // DAY) * DAY + int(rng.uniform(9.0, 17.5) * HOUR)
        if tp <= t0 + DAY:
            return pays
        keep = [p for p in pays if p[0] < tp]
        rest = round(sum(p[1] for p in pays if p[0] >= tp), 2)
        if rest <= 0:
            return pays
        td = max(p[2] for p in pays)
        out = keep + [(tp, rest, td)]
        if rng.random() < 0.65:
            p = "merchant_loan" if rng.random() < 0.7 else "cash_loan"
            nxt = round_step(rest * rng.uniform(0.7, 1.3), 1000)
            ch = "merchant" if rng.random() < 0.6 else "app"
            q = {"product": p, "amount": nxt, "term": rng.choice((180, 210, 240)), "style": "lump",
                 "purpose": "business", "channel": ch, "no_reborrow": True, "min": 1000,
                 "device": u.device.at(tp) if ch == "app" or rng.random() < 0.4 else None}
            if ch == "merchant":
                q["merchant"] = rng.choice(self.dealers[u.region])
            self.queue_scheduled(u, tp + int(rng.uniform(0.1, 3.0) * DAY), q)
        return out


# ============================================================ 2. gig payout
class GigDaily(World):
    name = "gig_daily_payout"
    description = ("gig-worker micro lender: tiny next-payout cash loans most working days, repaid by the "
                   "nightly payout sweep; test: the main platform switches to weekly payouts -> bigger "
                   "loans and repayments bunched on payday")
    start = date(2026, 4, 6)
    n_regions = 5
    seg_mix = {"individual": 0.78, "student": 0.14, "small_business": 0.08}
    weekday = [1.0, 1.0, 1.0, 1.05, 1.15, 1.1, 0.85]
    products = {
        "individual": {"cash_loan": 0.45, "credit_line": 0.4, "installment": 0.15},
        "small_business": {"merchant_loan": 0.6, "cash_loan": 0.25, "installment": 0.15},
        "student": {"credit_line": 0.65, "installment": 0.2, "cash_loan": 0.15},
    }
    amounts = _amounts(merchant_loan={"small_business": (40000, 0.6)},
                       installment={"small_business": (20000, 0.5)})
    limits = {"individual": (9000, 0.6), "small_business": (120000, 0.6), "student": (3000, 0.4)}
    rates = {"individual": (0.08, 0.7), "small_business": (0.06, 0.5), "student": (0.08, 0.6)}
    prewindow = {"individual": 0.5, "small_business": 1.0, "student": 0.3}
    burn_in = 21

    def setup(self):
        rng = self.rng
        self.switch = self.T_hist
        self.payday = rng.choice((0, 2, 4))
        d = self.hd + 3
        while self.dow(d) != self.payday:
            d += 1
        self.first_weekly = d
        self.payout_h = {"A": 23.4, "B": 21.8}

    def customize(self, u):
        rng = u.rng
        gig = (u.segment == "individual" and rng.random() < 0.85) or (u.segment == "student" and rng.random() < 0.55)
        if not gig:
            return
        u.kind = "gig"
        u.attrs["plat"] = "A" if rng.random() < 0.7 else "B"
        u.rate = lognorm(rng, 0.3, 0.45)
        u.pw = {"cash_loan": 0.9 * rng.uniform(0.8, 1.2), "credit_line": 0.07, "installment": 0.025}
        u.ch = {"app": 0.6, "partner": 0.4} if rng.random() < 0.5 else {"app": 0.95, "partner": 0.05}
        s = rng.gauss(0, 1.0)
        u.hours = [(7.4 + s, 0.7, 0.55), (11.3 + s * 0.3, 0.7, 0.25), (17.2 + s * 0.5, 1.1, 0.2)]
        for off in rng.sample(range(7), rng.choice((1, 1, 2))):
            u.wd[off] *= 0.12
        u.punct = [0.0, 0.92, 0.04, 0.04]
        u.limit = Sched(round_step(lognorm(rng, 1500, 0.4), 100))
        u.attrs["tiny"] = lognorm(rng, 110, 0.35)
        u.p_reborrow = 0.0

    def weekly(self, u, t):
        return u.kind == "gig" and u.attrs["plat"] == "A" and t >= self.switch

    def rate_mult(self, u, d):
        if u.kind == "gig" and u.attrs["plat"] == "A" and d >= self.hd:
            return 0.7
        return 1.0

    def draw_loan(self, u, t, product=None):
        spec = super().draw_loan(u, t, product)
        if u.kind == "gig" and spec["product"] == "cash_loan":
            rng = u.rng
            spec["amount"] = round_step(lognorm(rng, u.attrs["tiny"], 0.45), 10)
            spec["term"] = rng.choices((1, 3, 7), (0.5, 0.2, 0.3))[0]
            spec["style"] = "payout"
            spec["min"] = 30
            spec["purpose"] = "consumption" if rng.random() < 0.7 else "business"
            spec.pop("frac", None)
            if self.weekly(u, t):
                spec["amount"] = round_step(spec["amount"] * rng.uniform(1.8, 3.5), 10)
                spec["term"] = rng.choice((7, 7, 10, 14))
        return spec

    def next_payout(self, u, t, weekly):
        h = self.payout_h[u.attrs["plat"]]
        d = t // DAY
        if not weekly:
            if t > d * DAY + (h - 1.0) * HOUR:
                d += 1
        else:
            d = max(d, self.first_weekly)
            while self.dow(d) != self.payday or t > d * DAY + (h - 1.0) * HOUR:
                d += 1
        return d * DAY + int((h + u.rng.uniform(0, 0.9)) * HOUR)

    def pay_plan(self, u, t0, dues, spec, punct=None):
        if spec.get("style") != "payout" or punct is not None:
            return super().pay_plan(u, t0, dues, spec, punct)
        rng = u.rng
        td, P = dues[0]
        weekly = self.weekly(u, t0)
        tp = self.next_payout(u, t0, weekly)
        r = rng.random()
        p_part, p_late = (0.18, 0.08) if weekly else (0.05, 0.04)
        if r < 1 - p_part - p_late:
            return [(tp, P, td)]
        if r < 1 - p_late:
            p1 = round(P * rng.uniform(0.3, 0.8), 2)
            return [(tp, p1, td), (self.next_payout(u, tp + HOUR, weekly), round(P - p1, 2), td)]
        t2 = self.next_payout(u, tp + HOUR, weekly)
        return [(self.next_payout(u, t2 + HOUR, weekly) if rng.random() < 0.3 else t2, P, td)]


# ======================================================== 3. medical bills
class MedicalInstalments(World):
    name = "medical_instalments"
    description = ("hospital-bill instalment lender: rare, large, long-term plans repaid by monthly "
                   "auto-debit, pharmacy credit-line top-ups; test: a regional outbreak brings a burst "
                   "of first-time borrowers on new devices taking large max-term instalment plans")
    start = date(2026, 1, 5)
    n_regions = 6
    seg_mix = {"individual": 0.82, "small_business": 0.1, "student": 0.08}
    weekday = [1.15, 1.05, 1.0, 1.0, 1.0, 0.85, 0.75]
    hours = {
        "individual": [(9.0, 1.5, 0.45), (15.0, 2.0, 0.3), (20.5, 1.5, 0.25)],
        "small_business": [(9.5, 1.5, 0.5), (14.5, 2.0, 0.3), (20.0, 1.5, 0.2)],
        "student": [(11.0, 2.0, 0.4), (21.0, 1.5, 0.6)],
    }
    products = {
        "individual": {"credit_line": 0.62, "installment": 0.25, "cash_loan": 0.13},
        "small_business": {"merchant_loan": 0.45, "installment": 0.3, "cash_loan": 0.25},
        "student": {"credit_line": 0.65, "installment": 0.35},
    }
    amounts = _amounts(
        installment={"individual": (9000, 0.8), "small_business": (20000, 0.8), "student": (3500, 0.6)},
        credit_line={"individual": (180, 0.8), "small_business": (400, 0.8), "student": (90, 0.6)},
        merchant_loan={"small_business": (60000, 0.7)},
    )
    terms = _terms(installment=([180, 270, 360, 540, 720], [0.3, 0.15, 0.3, 0.15, 0.1]))
    limits = {"individual": (30000, 0.6), "small_business": (120000, 0.6), "student": (8000, 0.5)}
    rates = {"individual": (0.05, 0.8), "small_business": (0.04, 0.6), "student": (0.04, 0.6)}
    channels = {
        "individual": {"merchant": 0.45, "app": 0.4, "partner": 0.1, "web": 0.05},
        "small_business": {"app": 0.55, "web": 0.3, "merchant": 0.15},
        "student": {"app": 0.7, "merchant": 0.3},
    }
    punct = {"individual": (0.1, 0.75, 0.11, 0.04), "small_business": (0.15, 0.7, 0.1, 0.05),
             "student": (0.1, 0.7, 0.14, 0.06)}
    prewindow = {"individual": 1.5, "small_business": 1.0, "student": 0.7}
    prewindow_products = {"individual": {"installment": 0.85, "cash_loan": 0.15},
                          "small_business": {"installment": 0.5, "merchant_loan": 0.5},
                          "student": {"installment": 1.0}}
    new_user_share = 0.07
    autodebit_share = 0.75
    reborrow_max = 0.15

    def setup(self):
        rng = self.rng
        self.hospitals = [[self.ids.new("m-", 8) for _ in range(rng.randint(5, 8))] for _ in range(self.n_regions)]
        self.R = rng.randrange(self.n_regions)
        self.OB = self.T_hist + int(rng.uniform(1.0, 3.0) * DAY)
        self.OB_end = self.OB + 7 * DAY

    def customize(self, u):
        rng = u.rng
        u.kind = "chronic" if rng.random() < 0.25 else "patient"
        if u.kind == "chronic":
            u.rate *= 2.5
            u.pw["credit_line"] = u.pw.get("credit_line", 0.3) * 2
        if u.first_day > 0 and not u.arrival:
            t = u.first_day * DAY + int(self.draw_hour(u) * HOUR)
            self.queue_scheduled(u, t, {"product": "installment", "force": True})
            u.rate *= 0.5

    def draw_loan(self, u, t, product=None):
        spec = super().draw_loan(u, t, product)
        rng = u.rng
        if spec["product"] == "installment":
            spec["channel"] = wchoice(rng, {"merchant": 0.6, "partner": 0.25, "app": 0.15})
            spec["purpose"] = "consumption"
            hosp = self.hospitals[u.region]
            spec["merchant"] = rng.choice(hosp[:3] if rng.random() < 0.6 else hosp)
            spec["device"] = self.device_for(u, t, spec["channel"])
            spec["style"] = "monthly"
            spec["min"] = 500
        return spec

    def rate_mult(self, u, d):
        if u.region == self.R and self.OB // DAY <= d < self.OB_end // DAY:
            return 2.5
        return 1.0

    def adjust_loan(self, u, t, spec):
        if u.region == self.R and self.OB <= t < self.OB_end and spec["product"] != "installment" \
                and u.rng.random() < 0.5:
            spec = self.draw_loan(u, t, "installment")
        return spec

    def arrivals(self):
        rng = self.rng
        n = int(round(self.n_users * rng.uniform(0.07, 0.1)))
        hot = self.hospitals[self.R][:3]
        out = []
        for j in range(n):
            seg = wchoice(rng, {"individual": 0.86, "student": 0.09, "small_business": 0.05})
            u = self.make_user(self.n_users + j, segment=seg, tag="a", arrival=True)
            u.region = self.R
            t = self.OB + int(rng.gammavariate(2.0, 1.1) * DAY)
            if t >= self.T_end - HOUR:
                t = self.T_end - int(rng.uniform(2, 20) * HOUR)
            day = t // DAY
            t = day * DAY + int(rng.uniform(0, 24) * HOUR) if rng.random() < 0.4 else \
                day * DAY + int(self.draw_hour(u) * HOUR)
            u.first_day = day
            amt = money(lognorm(rng, 22000, 0.6))
            u.limit = Sched(round_step(amt * rng.uniform(1.05, 1.6), 1000))
            u.p_fields = 0.7
            u.rate = lognorm(rng, 0.02, 0.5)
            u.device = Sched(self.ids.new("d-", 8))
            ch = wchoice(rng, {"merchant": 0.55, "partner": 0.25, "app": 0.2})
            spec = {"product": "installment", "amount": amt, "force": True, "style": "monthly",
                    "term": rng.choices((720, 540, 360), (0.6, 0.2, 0.2))[0], "channel": ch,
                    "purpose": "consumption", "merchant": rng.choice(hot),
                    "device": u.device.at(t) if ch == "app" or rng.random() < 0.3 else None,
                    "no_reborrow": True}
            self.queue_scheduled(u, t, spec)
            if rng.random() < 0.25:
                t2 = t + int(rng.uniform(0.3, 4) * DAY)
                self.queue_scheduled(u, t2, {"product": "installment", "amount": money(lognorm(rng, 15000, 0.6)),
                                   "term": 720, "merchant": rng.choice(hot), "channel": "merchant",
                                   "device": None, "style": "monthly", "no_reborrow": True})
            out.append(u)
        return out


# ======================================================= 4. merger migration
class MergerMigration(World):
    name = "merger_migration"
    description = ("consumer lender absorbing a rival: own customers on app/web with granular limits; "
                   "test: a block of migrated customers appears as brand-new accounts with mature habits "
                   "and carried-over loans, on the partner channel, with round score-band limits")
    start = date(2026, 5, 11)
    seg_mix = {"individual": 0.75, "small_business": 0.12, "student": 0.13}
    channels = {
        "individual": {"app": 0.68, "web": 0.26, "merchant": 0.06},
        "small_business": {"app": 0.5, "web": 0.4, "merchant": 0.1},
        "student": {"app": 0.85, "web": 0.1, "merchant": 0.05},
    }
    rates = {"individual": (0.08, 0.7), "small_business": (0.07, 0.6), "student": (0.09, 0.6)}

    def setup(self):
        rng = self.rng
        self.cut_day = self.hd + rng.randint(1, 3)

    def other_limit(self, u, rng):
        sc = u.score.at(0)
        if sc < 600:
            lim = 5000
        elif sc < 650:
            lim = 10000
        elif sc < 700:
            lim = rng.choice((15000, 20000))
        elif sc < 750:
            lim = rng.choice((20000, 30000))
        else:
            lim = rng.choice((30000, 50000))
        if u.segment == "small_business":
            lim *= 4
        if u.segment == "student":
            lim = min(lim, 10000)
        return lim

    def arrivals(self):
        rng = self.rng
        n = int(round(self.n_users * rng.uniform(0.12, 0.16)))
        out = []
        for j in range(n):
            seg = wchoice(rng, {"individual": 0.78, "small_business": 0.14, "student": 0.08})
            u = self.make_user(self.n_users + j, segment=seg, tag="a", arrival=True)
            u.first_day = self.cut_day + rng.choice((0, 0, 1, 2))
            if u.first_day >= self.D:
                u.first_day = self.D - 1
            u.attrs["carry_loans"] = True
            u.attrs["pre_mult"] = 3.0
            u.attrs["migrant"] = True
            # the other lender collects fortnightly
            u.attrs["pre_spec"] = {"channel": "partner", "style": "biweekly",
                                   "term": rng.choice((90, 180, 360, 360))}
            u.rate = lognorm(rng, 0.13, 0.4)
            u.p_reborrow = rng.uniform(0.2, 0.5)
            u.ch = {"partner": 0.9, "app": 0.1}
            u.device = Sched(self.ids.new("d-", 8))
            u.limit = Sched(self.other_limit(u, rng))
            u.pw = {"cash_loan": 0.45, "credit_line": 0.4, "installment": 0.15}
            if seg == "small_business":
                u.pw["merchant_loan"] = 0.5
            out.append(u)
        return out

    def draw_loan(self, u, t, product=None):
        spec = super().draw_loan(u, t, product)
        if u.attrs.get("migrant"):
            spec["force_score"] = True
            if spec["product"] == "cash_loan":
                spec["term"] = u.rng.choice((90, 180, 360, 360))
        return spec


# ==================================================== 5. rate-hike prepayment
class RateHike(World):
    name = "rate_hike_prepayment"
    description = ("consumer credit lines at checkout plus variable-rate monthly cash loans, early payoff "
                   "rare; test: a rate-hike announcement triggers a wave of early full repayments and "
                   "re-borrowing on cheaper fixed-rate or pledge products")
    start = date(2026, 2, 2)
    seg_mix = {"individual": 0.8, "small_business": 0.1, "student": 0.1}
    products = {
        "individual": {"credit_line": 0.6, "cash_loan": 0.3, "installment": 0.1},
        "small_business": {"cash_loan": 0.45, "merchant_loan": 0.35, "credit_line": 0.2},
        "student": {"credit_line": 0.8, "installment": 0.15, "cash_loan": 0.05},
    }
    terms = _terms(cash_loan=([90, 180, 270, 360, 540, 720], [0.15, 0.25, 0.1, 0.3, 0.1, 0.1]))
    styles = dict(World.styles, cash_loan="monthly")
    channels = {
        "individual": {"app": 0.5, "merchant": 0.35, "web": 0.15},
        "small_business": {"app": 0.55, "web": 0.35, "merchant": 0.1},
        "student": {"app": 0.6, "merchant": 0.35, "partner": 0.05},
    }
    rates = {"individual": (0.09, 0.7), "small_business": (0.06, 0.6), "student": (0.1, 0.6)}
    prewindow = {"individual": 1.3, "small_business": 1.4, "student": 0.4}
    prewindow_products = {"individual": {"cash_loan": 0.75, "credit_line": 0.25},
                          "small_business": {"cash_loan": 0.7, "merchant_loan": 0.3},
                          "student": {"credit_line": 0.7, "cash_loan": 0.3}}
    autodebit_share = 0.6
    autodebit_hours = (8.0, 9.5)

    def setup(self):
        self.A = self.T_hist + self.rng.randint(1, 3) * DAY + 10 * HOUR

    def customize(self, u):
        rng = u.rng
        if u.segment != "student" and rng.random() < 0.14:
            u.attrs["wealthy"] = True
            u.pw["wealth_pledge"] = 0.08
            u.limit = Sched(round_step(u.limit.at(0) * rng.uniform(2, 4), 1000))
        u.p_prepay = rng.uniform(0, 0.025)

    def post_plan(self, u, t0, amount, spec, pays):
        if spec["product"] != "cash_loan" or t0 >= self.A or not pays:
            return pays
        rng = u.rng
        after = [p for p in pays if p[0] >= self.A]
        if not after:
            return pays
        rem = sum(p[1] for p in after)
        p_pre = 0.22 + 0.15 * (u.score.at(self.A) > 700) + 0.15 * bool(u.attrs.get("wealthy")) \
            + 0.1 * (rem > 10000)
        if rng.random() > p_pre:
            return pays
        day = (self.A + int(rng.gammavariate(1.4, 1.7) * DAY)) // DAY
        tp = max(self.A + 600, day * DAY + int(self.draw_hour(u) * HOUR))
        keep = [p for p in pays if p[0] < tp]
        rest = round(sum(p[1] for p in pays if p[0] >= tp), 2)
        if rest <= 0:
            return pays
        out = keep + [(tp, rest, tp)]
        spec["no_reborrow"] = True  # they leave the variable-rate product
        if rng.random() < 0.35:
            wealthy = bool(u.attrs.get("wealthy"))
            p = "wealth_pledge" if wealthy and rng.random() < 0.7 else "installment"
            q = {"product": p, "amount": round_step(rest * rng.uniform(0.4, 1.0), 1000 if p == "wealth_pledge" else 100),
                 "term": rng.choice((90, 180, 360)), "channel": "app", "no_reborrow": True,
                 "device": u.device.at(tp), "purpose": "consumption" if rng.random() < 0.8 else None}
            if p == "installment":
                q["style"] = "monthly"
            self.queue_scheduled(u, tp + int(rng.uniform(0.05, 3.0) * DAY), q)
        return out

    def adjust_loan(self, u, t, spec):
        if t >= self.A and spec["product"] == "cash_loan" and not spec.get("scheduled") and u.rng.random() < 0.55:
            return self.draw_loan(u, t, "credit_line")
        return spec


# ========================================================== 6. school fees
class SchoolFees(World):
    name = "school_fee_term_start"
    description = ("education-heavy consumer lender: students and parents, summer spending, late-night "
                   "student hours, some course-fee plans; test: term start brings a wave of school-fee "
                   "instalment loans at the product's maximum term")
    start = date(2026, 7, 6)
    n_regions = 5
    seg_mix = {"student": 0.35, "individual": 0.55, "small_business": 0.1}
    weekday = [0.95, 0.95, 1.0, 1.0, 1.1, 1.1, 0.9]
    hours = {
        "individual": [(8.5, 1.2, 0.25), (12.5, 1.2, 0.3), (21.0, 1.5, 0.45)],
        "small_business": [(9.0, 1.5, 0.4), (14.0, 2.0, 0.3), (21.0, 1.5, 0.3)],
        "student": [(14.0, 2.5, 0.3), (23.0, 1.6, 0.7)],
    }
    products = {
        "student": {"credit_line": 0.65, "installment": 0.2, "cash_loan": 0.15},
        "individual": {"credit_line": 0.5, "cash_loan": 0.3, "installment": 0.2},
        "small_business": {"merchant_loan": 0.55, "cash_loan": 0.3, "credit_line": 0.15},
    }
    terms = _terms(installment=([90, 180, 270, 360], [0.45, 0.35, 0.15, 0.05]))
    limits = {"individual": (16000, 0.6), "small_business": (70000, 0.6), "student": (5000, 0.4)}
    rates = {"individual": (0.08, 0.7), "small_business": (0.07, 0.6), "student": (0.12, 0.6)}
    channels = {
        "individual": {"app": 0.65, "merchant": 0.15, "web": 0.15, "partner": 0.05},
        "small_business": {"app": 0.5, "web": 0.3, "merchant": 0.2},
        "student": {"app": 0.75, "partner": 0.15, "merchant": 0.1},
    }
    autodebit_hours = (9.0, 10.5)
    FEES_STUDENT = (3500, 4800, 5500, 6000, 6800, 8000, 9800, 12000)
    FEES_SCHOOL = (1800, 2500, 3600, 4500, 6000, 8800, 12800, 16000, 22000, 30000)

    def setup(self):
        self.schools = [[self.ids.new("m-", 8) for _ in range(12)] for _ in range(self.n_regions)]
        self.fee_platform = self.ids.new("m-", 8)
        self.peak = self.rng.uniform(7.0, 9.5)

    def customize(self, u):
        rng = u.rng
        if u.segment == "student":
            u.kind = "student"
            p = 0.5
            fee = rng.choice(self.FEES_STUDENT)
        elif u.segment == "individual" and rng.random() < 0.55:
            u.kind = "parent"
            p = 0.6
            fee = sum(rng.choice(self.FEES_SCHOOL) for _ in range(rng.choice((1, 1, 1, 2, 2, 3))))
        else:
            return
        if rng.random() > p:
            return
        days = clamp(rng.gauss(self.peak, 2.6), 0.0, self.td - 0.3)
        day = self.hd + int(days)
        if day >= self.D:
            return
        t = day * DAY + int(self.draw_hour(u) * HOUR)
        ch = wchoice(rng, {"merchant": 0.5, "partner": 0.3, "app": 0.2})
        spec = {"product": "installment", "term": 360, "amount": money(fee), "purpose": "education",
                "channel": ch, "style": "monthly", "no_reborrow": True, "min": 500,
                "merchant": self.fee_platform if ch == "partner" else rng.choice(self.schools[u.region]),
                "device": u.device.at(t) if ch == "app" or rng.random() < 0.35 else None}
        if ch == "partner":
            spec["channel"] = "merchant" if rng.random() < 0.3 else "partner"
        self.queue_scheduled(u, t, spec)
        lim = u.limit.at(t)
        if fee > lim * 0.8 and rng.random() < 0.5:
            tl = t - int(rng.uniform(1, 5) * DAY)
            u.limit.set(tl, round_step(lim + fee * 1.1, 1000))

    def draw_loan(self, u, t, product=None):
        spec = super().draw_loan(u, t, product)
        if spec["product"] == "installment" and spec.get("purpose") == "education":
            spec["channel"] = "merchant"
            spec["merchant"] = u.rng.choice(self.schools[u.region])
        return spec


# ===================================================== 7. merchant inventory
class MerchantRush(World):
    name = "merchant_inventory_rush"
    description = ("small-merchant operating-loan lender: revolving draws at the shop terminal repaid by "
                   "weekly settlement sweeps, some family-shared shop devices; test: pre-holiday inventory "
                   "rush, merchants draw most of their limit within two days, many on wholesalers' kiosks")
    start = date(2026, 11, 30)
    n_regions = 4
    seg_mix = {"small_business": 0.72, "individual": 0.2, "student": 0.08}
    weekday = [1.2, 1.05, 1.0, 1.0, 0.95, 0.75, 0.55]
    hours = {
        "individual": [(9.5, 1.5, 0.3), (13.0, 1.5, 0.3), (20.5, 1.8, 0.4)],
        "small_business": [(7.0, 1.2, 0.45), (14.5, 2.0, 0.25), (22.0, 1.0, 0.3)],
        "student": [(12.0, 2.0, 0.3), (22.0, 1.5, 0.7)],
    }
    products = {
        "small_business": {"merchant_loan": 0.8, "cash_loan": 0.12, "credit_line": 0.08},
        "individual": {"credit_line": 0.55, "cash_loan": 0.35, "installment": 0.1},
        "student": {"credit_line": 0.8, "installment": 0.2},
    }
    amounts = _amounts(merchant_loan={"small_business": (12000, 0.7)})
    terms = _terms(merchant_loan=([30, 60, 90], [0.35, 0.4, 0.25]))
    styles = dict(World.styles, merchant_loan="weekly")
    limits = {"individual": (12000, 0.6), "small_business": (60000, 0.7), "student": (4000, 0.4)}
    rates = {"individual": (0.08, 0.7), "small_business": (0.07, 0.5), "student": (0.1, 0.6)}
    channels = {
        "small_business": {"merchant": 0.6, "app": 0.35, "web": 0.05},
        "individual": {"app": 0.7, "web": 0.15, "merchant": 0.15},
        "student": {"app": 0.85, "merchant": 0.15},
    }
    prewindow = {"individual": 0.7, "small_business": 1.2, "student": 0.3}
    autodebit_share = 0.8
    autodebit_hours = (2.0, 4.0)

    def setup(self):
        rng = self.rng
        self.wholesalers = [(self.ids.new("m-", 8), [self.ids.new("d-", 8) for _ in range(rng.randint(1, 3))])
                            for _ in range(14)]
        self.rush_day = self.hd + rng.randint(2, 4)
        self.family_devs: list = []

    def customize(self, u):
        rng = u.rng
        if u.segment != "small_business":
            return
        u.kind = "merchant"
        u.attrs["shop"] = self.ids.new("m-", 8)
        u.merchants = [u.attrs["shop"]]
        if self.family_devs and rng.random() < 0.08:
            u.attrs["shop_dev"] = rng.choice(self.family_devs[-40:])
        else:
            u.attrs["shop_dev"] = self.ids.new("d-", 8)
            if rng.random() < 0.12:
                self.family_devs.append(u.attrs["shop_dev"])
        u.attrs["ws"] = rng.choice(self.wholesalers)
        u.attrs["sweep_dow"] = rng.choice((0, 0, 3, 4))
        u.attrs["sweep_every"] = rng.choices((7, 14, 28), (0.4, 0.35, 0.25))[0]
        if rng.random() < 0.62:
            n = rng.choice((1, 1, 2, 2, 3))
            F = rng.uniform(0.55, 0.95)
            fi = 1 - (1 - F) ** (1.0 / n)
            kiosk = rng.random() < 0.55
            t = self.rush_day * DAY + int(rng.uniform(0, 2) * DAY)
            for _ in range(n):
                day = min(t // DAY, self.rush_day + 1)
                tt = day * DAY + int(rng.uniform(5.0, 11.5) * HOUR)
                ws, kdev = u.attrs["ws"]
                if kiosk:
                    spec = {"channel": "merchant", "merchant": ws, "device": rng.choice(kdev)}
                else:
                    spec = {"channel": "merchant", "merchant": u.attrs["shop"], "device": u.attrs["shop_dev"]} \
                        if rng.random() < 0.6 else {"channel": "app", "device": u.device.at(tt)}
                spec.update({"product": "merchant_loan", "frac": fi, "term": rng.choice((60, 90, 90)),
                             "purpose": "business", "no_reborrow": True})
                self.queue_scheduled(u, tt, spec)
                t = tt + int(rng.uniform(0.5, 20) * HOUR)

    def device_for(self, u, t, ch):
        if ch == "merchant" and u.kind == "merchant":
            return u.attrs["shop_dev"] if u.rng.random() < 0.9 else None
        return super().device_for(u, t, ch)

    def draw_loan(self, u, t, product=None):
        spec = super().draw_loan(u, t, product)
        if u.kind == "merchant" and spec["product"] == "merchant_loan":
            rng = u.rng
            spec["purpose"] = "business"
            if spec["channel"] == "merchant":
                spec["merchant"] = u.attrs["shop"]
            if rng.random() < 0.025:
                ws, kdev = u.attrs["ws"]
                spec.update(channel="merchant", merchant=ws, device=rng.choice(kdev))
        return spec

    def dues(self, u, t0, P, spec):
        if spec["product"] != "merchant_loan" or u.kind != "merchant":
            return super().dues(u, t0, P, spec)
        d = t0 // DAY + 1
        while self.dow(d) != u.attrs["sweep_dow"]:
            d += 1
        every = u.attrs["sweep_every"]
        n = max(1, int(spec["term"]) // every)
        part = round(P / n, 2)
        out = []
        for k in range(n):
            pp = part if k < n - 1 else round(P - part * (n - 1), 2)
            out.append(((d + every * k) * DAY + 3 * HOUR, pp))
        return out


WORLDS = {cls.name: cls for cls in (HarvestFarm, GigDaily, MedicalInstalments, MergerMigration,
                                    RateHike, SchoolFees, MerchantRush)}
