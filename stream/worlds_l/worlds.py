"""The seven lender worlds of family L: normal (legitimate) behaviour and collective changes."""
from __future__ import annotations

from .base import World
from .core import (DAY, HOUR, MINUTE, Habit, Rep, ceil_c, lognorm, payoff, pick, round_c, sample_tod,
                   schedule, yuan)


# =====================================================================================
# 1. handset_upgrade
# =====================================================================================
class HandsetUpgrade(World):
    name = "handset_upgrade"
    description = ("phone-financing lender: each upgrade is a new instalment on a brand-new handset id, "
                   "trade-ins settle the old contract early, family and staff bundles; flagship launch "
                   "day with a limit uplift inside the test window")
    seg_mix = (("individual", .68), ("student", .22), ("small_business", .10))
    score_params = {"individual": (655, 65), "student": (575, 55), "small_business": (675, 55)}
    tod_mix = {
        "individual": (("evening", .5), ("shop", .3), ("office", .2)),
        "student": (("night", .55), ("evening", .35), ("shop", .1)),
        "small_business": (("business", .7), ("shop", .3)),
    }
    chan_mix = {
        "individual": (("app", .45), ("merchant", .38), ("partner", .10), ("web", .07)),
        "student": (("app", .6), ("merchant", .3), ("partner", .1)),
        "small_business": (("merchant", .5), ("app", .25), ("web", .2), ("partner", .05)),
    }
    term_options = {
        "cash_loan": (90, 180, 360),
        "credit_line": (30, 60, 90),
        "installment": (180, 360, 720),
        "merchant_loan": (90, 180),
        "wealth_pledge": (30,),
    }
    used_products = ("installment", "credit_line", "cash_loan", "merchant_loan")
    weekend_factor = 1.6
    household_share = .14
    phone_change_p = .04
    limit_unit = 500
    loan_fmt = "HSL%09d"
    event_fmt = "hs-evt-%08d"
    merchant_fmt = "shop-%05d"
    PHONES = ((1299, 1.0), (1799, 1.5), (2299, 2), (2999, 2), (3699, 1.8), (4599, 1.5), (5499, 1.0), (6499, .6))
    FLAGSHIP = ((5999, 3), (6999, 3), (7999, 2), (8999, 1.2), (9999, .8), (12999, .3))

    def make_uid(self, rng):
        return "hu%09d" % rng.randrange(10 ** 9)

    def make_device(self, rng):
        return "imei%015d" % rng.randrange(10 ** 14, 10 ** 15)

    def setup(self):
        ctx, r = self.ctx, self.r
        self.merchants = [self.new_merchant(r) for _ in range(60)]
        self.launch_day = ctx.test_day(0.28)
        self.uplift_day = max(0, self.launch_day - 2)
        self.calendar["launch_day"] = ctx.date_str(self.launch_day)
        self.calendar["launch_limit_uplift"] = ctx.date_str(self.uplift_day)

    def init_user(self, u, rng):
        seg = u.segment
        if seg == "student":
            lim = lognorm(rng, 5000, .35, 1500, 15000)
            u.habit = Habit(tod=u.tod, p_early=.05, p_late=rng.uniform(.15, .4), late_mean=3.5, payday=(1, 15),
                            p_payday=rng.uniform(.2, .6))
        elif seg == "small_business":
            lim = lognorm(rng, 60000, .5, 15000, 250000)
            u.habit = Habit(tod="business", autopay=rng.random() < .4, p_early=.2, p_late=.08, late_mean=4)
        else:
            lim = lognorm(rng, 12000, .45, 3000, 50000)
            if rng.random() < .55:
                u.habit = Habit(autopay=True, p_fail=rng.uniform(.01, .06))
        u.base_limit = round_c(yuan(lim), 500)
        u.p["merchant"] = rng.choice(self.merchants)
        if u.score0 >= 600 and rng.random() < .6:
            u.limit_events.append((self.uplift_day * DAY + 9 * HOUR + rng.randrange(3 * HOUR),
                                   rng.uniform(1.2, 1.5)))

    def device_for(self, u, ts, rng, channel, merchant=None):
        if channel == "merchant" and rng.random() < .5:
            return None
        return World.device_for(self, u, ts, rng, channel, merchant)

    def normal(self, u, rng):
        ctx, seg = self.ctx, u.segment
        plans = []
        if rng.random() < {"individual": .40, "student": .33, "small_business": .50}[seg]:
            d = self.weighted_day(rng, 0, ctx.D, lambda d: u.dow[d % 7])
            plans.append((self.at(rng, d, "shop"), False))
        p_launch = {"individual": .20, "student": .12, "small_business": .22}[seg]
        if plans and plans[0][0] < self.launch_day * DAY:
            p_launch += .12
        if rng.random() < p_launch:
            if rng.random() < .7:   # pre-order rush right after 10:00
                t = self.launch_day * DAY + 10 * HOUR + min(int(rng.expovariate(1 / 1500.0)), 10 * HOUR)
            else:                   # in-store pickup later that day
                t = self.at(rng, self.launch_day, "shop")
            plans.append((t, True))
        plans.sort()
        for t, launch in plans:
            self.buy_phones(u, rng, t, launch)
        # accessories and small purchases on the credit line
        rate = {"individual": .03, "student": .055, "small_business": .02}[seg] * u.activity
        for d in self.days_with(rng, min(rate, .5), 0, ctx.D, lambda d: u.dow[d % 7]):
            ts = self.at(rng, d, u=u)
            ch = "merchant" if rng.random() < .4 else "app"
            amt = yuan(lognorm(rng, 240 if seg == "student" else 420, .8, 29, 4000))
            L = self.make_loan(u, ts, amt, "credit_line", pick(rng, ((30, .7), (60, .2), (90, .1))), ch, rng=rng)
            self.repay(u, L, rng)
        if seg != "student" and rng.random() < .12:
            for _ in range(1 + (rng.random() < .3)):
                d = rng.randrange(ctx.D)
                amt = round_c(yuan(lognorm(rng, 4000, .6, 500, 30000)), 100)
                L = self.make_loan(u, self.at(rng, d, u=u), amt, "cash_loan", rng.choice((90, 180, 360)),
                                   self.pick_channel(u, rng, ("merchant",)), rng=rng)
                self.repay(u, L, rng)
        if seg == "small_business" and rng.random() < .3:
            d = rng.randrange(ctx.D)
            amt = round_c(yuan(lognorm(rng, 30000, .6, 5000, 150000)), 1000)
            L = self.make_loan(u, self.at(rng, d, "business"), amt, "merchant_loan", rng.choice((90, 180)),
                               rng.choice(("web", "app")), rng=rng)
            self.repay(u, L, rng)

    def buy_phones(self, u, rng, t, launch):
        seg = u.segment
        units, own = 1, True
        if seg == "small_business" and rng.random() < .75:
            units, own = rng.randint(3, 14), False
        elif seg == "individual" and rng.random() < (.18 if launch else .10):
            units = rng.randint(2, 4)
        old = [L for L in u.loans if L.kind == "phone" and L.ts < t]
        ch = pick(rng, (("merchant", .55), ("app", .33), ("partner", .12)))
        merchant = u.p["merchant"] if ch == "merchant" else None
        term = pick(rng, ((180, .25), (360, .45), (720, .30)) if seg != "small_business" else ((360, .5), (720, .5)))
        tj = t
        for j in range(units):
            if j:
                tj += rng.randint(45, 600)
            price = pick(rng, self.FLAGSHIP if launch else self.PHONES)
            if seg == "student" and not launch and rng.random() < .6:
                price = min(price, 2999)
            down = pick(rng, ((0, .6), (.1, .2), (.2, .15), (.3, .05)))
            amt = yuan(price * (1 - down))
            dev = self.new_device(rng)
            L = self.make_loan(u, tj, amt, "installment", term, ch, device=dev, merchant=merchant, rng=rng,
                               purpose="business" if seg == "small_business" else "consumption", kind="phone")
            self.repay(u, L, rng, payoff_p=0.02)
            if j == 0 and own:
                u.add_device(tj + rng.randint(5 * MINUTE, 3 * HOUR), dev)
        if old and rng.random() < (.7 if launch else .4):   # trade-in settles the old contract
            payoff(self, rng, old[-1], t + rng.randint(10 * MINUTE, 6 * DAY))


# =====================================================================================
# 2. premium_finance
# =====================================================================================
class PremiumFinance(World):
    name = "premium_finance"
    description = ("insurance premium finance: an annual premium financed in one large loan near its "
                   "per-policy limit, renewals bunched at month ends, fleets of small businesses, broker "
                   "tablets shared by many customers; a new broker goes live inside the test window")
    seg_mix = (("individual", .55), ("small_business", .38), ("student", .07))
    score_params = {"individual": (705, 55), "small_business": (700, 50), "student": (625, 50)}
    tod_mix = {
        "individual": (("office", .55), ("evening", .35), ("midday", .1)),
        "small_business": (("business", .85), ("office", .15)),
        "student": (("night", .4), ("evening", .6)),
    }
    chan_mix = {
        "individual": (("partner", .5), ("app", .3), ("web", .12), ("merchant", .08)),
        "small_business": (("partner", .45), ("merchant", .25), ("web", .2), ("app", .1)),
        "student": (("web", .5), ("app", .4), ("partner", .1)),
    }
    term_options = {
        "cash_loan": (270,),
        "credit_line": (30,),
        "installment": (270, 300, 330, 360),
        "merchant_loan": (270, 300, 330, 360),
        "wealth_pledge": (30,),
    }
    used_products = ("installment", "merchant_loan", "cash_loan")
    weekend_factor = .4
    household_share = .06
    limit_unit = 1000
    explicit_currency = True
    loan_fmt = "PF-L-%08d"
    event_fmt = "PF.EVT.%08d"
    merchant_fmt = "INSBR%05d"

    def make_uid(self, rng):
        return "pf:%010d" % rng.randrange(10 ** 10)

    def make_device(self, rng):
        return "dev-%012x" % rng.getrandbits(48)

    def setup(self):
        ctx, r = self.ctx, self.r
        self.brokers = [[self.new_device(r) for _ in range(r.randint(2, 6))] for _ in range(28)]
        self.merchants = [self.new_merchant(r) for _ in range(14)]
        self.branch_dev = {m: self.new_device(r) for m in self.merchants}
        self.new_broker_day = ctx.test_day(0.2)
        self.new_broker = [self.new_device(r) for _ in range(5)]
        self.calendar["new_broker_live"] = ctx.date_str(self.new_broker_day)
        self.bunch = [d for d in range(ctx.D) if ctx.days_to_month_end(d) < 3 or ctx.dom(d) == 1]
        if not self.bunch:
            self.bunch = [ctx.D - 1]
        self.calendar["month_end_renewal_days"] = [ctx.date_str(d) for d in self.bunch]

    def init_user(self, u, rng):
        seg = u.segment
        med = {"individual": 40000, "small_business": 300000, "student": 10000}[seg]
        u.base_limit = round_c(yuan(lognorm(rng, med, .5, med / 5, med * 5)), 1000)
        u.p["broker"] = rng.randrange(len(self.brokers))
        u.p["switch"] = rng.random() < .4
        u.p["merchant"] = rng.choice(self.merchants)
        if rng.random() < {"individual": .85, "small_business": .5, "student": .7}[seg]:
            u.habit = Habit(autopay=True, p_fail=rng.uniform(.01, .06))
        else:
            u.habit = Habit(tod="business" if seg == "small_business" else u.tod, p_early=.3, p_late=.1,
                            late_mean=3)
            # businesses paying by bank transfer: the message carries no balance
            u.p["no_out"] = seg == "small_business" and rng.random() < .5

    def device_for(self, u, ts, rng, channel, merchant=None):
        if channel == "partner":
            if u.p["switch"] and ts >= self.new_broker_day * DAY:
                return rng.choice(self.new_broker)
            return rng.choice(self.brokers[u.p["broker"]])
        if channel == "merchant":
            return self.branch_dev.get(merchant) or self.new_device(rng)
        return World.device_for(self, u, ts, rng, channel, merchant)

    def premium(self, u, rng):
        if u.segment == "student":
            return lognorm(rng, 2800, .4, 900, 8000)
        kind = pick(rng, (("car", .6), ("health", .25), ("life", .15)))
        if kind == "car":
            return lognorm(rng, 5200, .35, 2000, 15000)
        if kind == "health":
            return lognorm(rng, 4500, .6, 1200, 30000)
        return lognorm(rng, 18000, .6, 6000, 120000)

    def policy_loan(self, u, rng, ts, premium, channel, product):
        policy_limit = ceil_c(yuan(premium), 100)
        down = pick(rng, ((0, .45), (.1, .25), (.2, .2), (.3, .1)))
        amt = yuan(premium * (1 - down))
        term = pick(rng, ((300, .3), (330, .1), (360, .5), (270, .1)))
        L = self.make_loan(u, ts, amt, product, term, channel, rng=rng, policy_limit=policy_limit, kind="policy")
        self.repay(u, L, rng, payoff_p=.0)
        if rng.random() < .04:   # policy cancelled, refund settles the loan
            payoff(self, rng, L, ts + rng.randint(10, 45) * DAY + rng.randint(10 * HOUR, 16 * HOUR))
        elif rng.random() < .10:  # endorsement: add a driver / vehicle mid-term
            add = round_c(yuan(lognorm(rng, 1500, .7, 300, 5000)), 10)
            t2 = ts + rng.randint(5, 30) * DAY + rng.randrange(DAY)
            E = self.make_loan(u, t2, add, "cash_loan", 270, channel, rng=rng,
                               policy_limit=policy_limit + ceil_c(add, 100), kind="endorsement")
            self.repay(u, E, rng, payoff_p=0)
        return L

    def normal(self, u, rng):
        ctx, seg = self.ctx, u.segment
        if seg == "small_business":
            renewals = 1 + (rng.random() < .25)
            for _ in range(renewals):
                if rng.random() > .85:
                    continue
                d = rng.choice(self.bunch) if rng.random() < .85 else rng.randrange(ctx.D)
                ch = self.pick_channel(u, rng)
                if u.p["switch"] and d >= self.new_broker_day and rng.random() < .8:
                    ch = "partner"
                t = self.at(rng, d, "business")
                vehicles = int(lognorm(rng, 9, .8, 2, 90))
                batches = min(vehicles, pick(rng, ((1, .5), (2, .3), (3, .15), (4, .05))))
                for b in range(batches):
                    share = vehicles // batches + (1 if b < vehicles % batches else 0)
                    prem = sum(lognorm(rng, 6500, .25, 3000, 16000) for _ in range(share))
                    self.policy_loan(u, rng, t, prem, ch, "merchant_loan" if rng.random() < .6 else "installment")
                    t += rng.randint(2 * MINUTE, 40 * MINUTE)
        else:
            npol = 1 + (rng.random() < .3) + (rng.random() < .08)
            for _ in range(npol):
                if rng.random() > .82:
                    continue
                d = rng.choice(self.bunch) if rng.random() < .7 else rng.randrange(ctx.D)
                ch = self.pick_channel(u, rng)
                if u.p["switch"] and d >= self.new_broker_day and rng.random() < .8:
                    ch = "partner"
                self.policy_loan(u, rng, self.at(rng, d, u=u), self.premium(u, rng), ch, "installment")

    def report_outstanding(self, u, L, r):
        return not u.p.get("no_out") and r.show_out

    def loan_hook(self, L, rng):
        if L.channel == "partner" and rng.random() < .4:   # brokers often do not pass the score on
            L.hide_score = True

    def installments(self, L):
        if L.term < 60:
            return 1, L.term
        return max(1, L.term // 30), 30

    def purpose_for(self, u, product, rng):
        return {"small_business": "business", "student": "education"}.get(u.segment, "consumption")

    def report_limit(self, u, L):
        """the lender's system reports the limit of the policy (loan) being financed, not the account"""
        if L.policy_limit is not None:
            return L.policy_limit
        return ceil_c(L.amt * (1.0 + ((L.ts * 7 + L.amt) % 13) / 100.0), 100)

    def cash_products(self, u):
        return (("cash_loan", .5), ("installment", .5))

    def student_products(self, u):
        return (("installment", .6), ("cash_loan", .4))

    def amount_unit(self, product, rng):
        return None

    def consumer_products(self, u):
        if u.segment == "small_business":
            return (("merchant_loan", .6), ("installment", .4))
        return (("installment", 1.0),)

    def all_products(self, u):
        return (("cash_loan", .4), ("installment", .4), ("merchant_loan", .2 if u.segment == "small_business" else 0))

    def extra_fields(self, u, L, ev):
        if ev["event_type"] == "loan":
            ev["source"] = "pf-core"


# =====================================================================================
# 3. migrant_rent_deposit
# =====================================================================================
class MigrantRentDeposit(World):
    name = "migrant_rent_deposit"
    description = ("migrant workers' lender: moving cities means a rent-deposit loan plus first-month rent "
                   "within the hour, on a new phone and often a new channel (housing platforms, agencies); "
                   "repayments on payday, late over Spring Festival; the Spring move wave is in the test window")
    seg_mix = (("individual", .70), ("student", .18), ("small_business", .12))
    score_params = {"individual": (590, 60), "small_business": (620, 50), "student": (540, 50)}
    tod_mix = {
        "individual": (("evening", .55), ("night", .25), ("early", .2)),
        "small_business": (("business", .7), ("early", .3)),
        "student": (("night", .5), ("evening", .5)),
    }
    chan_mix = {
        "individual": (("app", .6), ("web", .08), ("partner", .2), ("merchant", .12)),
        "small_business": (("app", .5), ("web", .2), ("partner", .15), ("merchant", .15)),
        "student": (("app", .7), ("partner", .2), ("merchant", .1)),
    }
    term_options = {
        "cash_loan": (14, 30, 60, 90, 180, 360),
        "credit_line": (30,),
        "installment": (30, 90),
        "merchant_loan": (90, 180),
        "wealth_pledge": (30,),
    }
    household_share = .10
    phone_change_p = .15
    limit_unit = 100
    loan_fmt = "mr:l:%08d"
    event_fmt = "mr:e:%08d"
    merchant_fmt = "RA-%05d"

    def make_uid(self, rng):
        return "mw.%07d" % rng.randrange(10 ** 7)

    def make_device(self, rng):
        if rng.random() < .8:
            return "an-%014x" % rng.getrandbits(56)
        return "ios-%014x" % rng.getrandbits(56)

    def setup(self):
        ctx, r = self.ctx, self.r
        self.merchants = [self.new_merchant(r) for _ in range(40)]
        self.fest = max(0, ctx.H - 2)
        self.holiday = (self.fest - 1, self.fest + 6)
        self.wave_start = ctx.test_day(0.3)
        self.wave_end = min(ctx.D, self.wave_start + 8)
        self.calendar["spring_festival"] = ctx.date_str(self.fest)
        self.calendar["spring_move_start"] = ctx.date_str(self.wave_start)
        self.calendar["spring_move_end"] = ctx.date_str(self.wave_end - 1)

    def init_user(self, u, rng):
        seg = u.segment
        med = {"individual": 6000, "small_business": 40000, "student": 3500}[seg]
        u.base_limit = round_c(yuan(lognorm(rng, med, .45, med / 4, med * 4)), 100)
        payday = {"individual": rng.choice(((10,), (15,), (25,), (5, 20))), "student": (1,),
                  "small_business": (1, 16)}[seg]
        u.habit = Habit(tod=u.tod, p_early=.05, p_late=rng.uniform(.05, .2), late_mean=3, payday=payday,
                        p_payday=rng.uniform(.4, .9))
        u.p["mover"] = rng.random() < {"individual": .36, "student": .42, "small_business": .2}[seg]
        u.p["hist_mover"] = rng.random() < .05
        u.p["homegoer"] = rng.random() < {"individual": .55, "student": .6, "small_business": .3}[seg]
        u.p["merchant"] = rng.choice(self.merchants)

    def in_holiday(self, d):
        return self.holiday[0] <= d <= self.holiday[1]

    def adjust_payment(self, L, due, pay, rng, habit):
        if L.user.p.get("homegoer") and self.in_holiday(pay) and L.tag is None:
            return self.holiday[1] + 1 + rng.randint(0, 4)
        return pay

    def normal(self, u, rng):
        ctx, seg = self.ctx, u.segment

        def wt(d):
            w = u.dow[d % 7] * (1.8 if ctx.dom(d) >= 20 else 1.0)
            if self.in_holiday(d):
                w *= .15
            return w

        rate = {"individual": .025, "student": .03, "small_business": .02}[seg] * u.activity
        for d in self.days_with(rng, min(rate, .4), 0, ctx.D, wt):
            ts = self.at(rng, d, u=u)
            if seg == "small_business":
                amt = round_c(yuan(lognorm(rng, 15000, .6, 2000, 80000)), 100)
                L = self.make_loan(u, ts, amt, pick(rng, (("merchant_loan", .6), ("cash_loan", .4))),
                                   rng.choice((90, 180)), self.pick_channel(u, rng, ("merchant",)), rng=rng)
            else:
                amt = round_c(yuan(lognorm(rng, 1200, .6, 200, 5000)), 10)
                L = self.make_loan(u, ts, amt, pick(rng, (("cash_loan", .75), ("credit_line", .25))),
                                   rng.choice((14, 30, 30)), self.pick_channel(u, rng, ("merchant",)), rng=rng)
            self.repay(u, L, rng)
        if u.p["homegoer"] and rng.random() < .4 and self.fest >= 1:
            d = rng.randint(max(0, self.fest - 10), self.fest - 1)
            amt = round_c(yuan(lognorm(rng, 2500, .5, 800, 8000)), 100)
            L = self.make_loan(u, self.at(rng, d, u=u), amt, "cash_loan", rng.choice((30, 60)),
                               self.pick_channel(u, rng, ("merchant",)), rng=rng)
            self.repay(u, L, rng)
        moves = []
        if u.p["hist_mover"] and self.fest > 4:
            moves.append(rng.randint(2, max(2, self.fest - 5)))
        if u.p["mover"]:
            moves.append(min(self.wave_end - 1, self.wave_start + min(int(rng.expovariate(1 / 2.5)), 7)))
        for d in moves:
            self.move(u, rng, d)

    def move(self, u, rng, d):
        ts = self.at(rng, d, u=u)
        if rng.random() < .65:   # new phone / new SIM in the new city
            u.add_device(ts - rng.randint(0, 2 * DAY), self.new_device(rng))
        ch = self.pick_channel(u, rng, ("merchant",))
        if rng.random() < .55:
            ch = "partner" if u.main_channel() != "partner" and rng.random() < .6 else "merchant"
            u.chan = tuple((c, w * (3.0 if c == ch else 1.0)) for c, w in u.chan)
        merchant = rng.choice(self.merchants) if ch == "merchant" else None
        if ch == "merchant":
            u.p["merchant"] = merchant
        if u.segment == "small_business":   # labour contractor pays deposits for a dorm
            for _ in range(1 + (rng.random() < .35)):
                amt = round_c(yuan(lognorm(rng, 45000, .5, 10000, 150000)), 100)
                L = self.make_loan(u, ts, amt, "merchant_loan", rng.choice((90, 180)), ch, merchant=merchant,
                                   rng=rng, purpose="business")
                self.repay(u, L, rng)
                ts += rng.randint(5 * MINUTE, 50 * MINUTE)
            return
        rent = lognorm(rng, 1700, .4, 600, 7000)
        months = pick(rng, ((1, .3), (2, .45), (3, .25)))
        dep = round_c(yuan(rent * months), 10)
        L = self.make_loan(u, ts, dep, "cash_loan", pick(rng, ((90, .3), (180, .4), (360, .3))), ch,
                           merchant=merchant, rng=rng, purpose="consumption", kind="deposit")
        self.repay(u, L, rng)
        t2 = ts + rng.randint(5 * MINUTE, 50 * MINUTE)
        L2 = self.make_loan(u, t2, round_c(yuan(rent), 10), pick(rng, (("installment", .4), ("credit_line", .6))),
                            30 if rng.random() < .7 else 90, ch, merchant=merchant, rng=rng, kind="rent")
        self.repay(u, L2, rng)
        if rng.random() < .4:
            t3 = t2 + rng.randint(1 * HOUR, 30 * HOUR)
            L3 = self.make_loan(u, t3, round_c(yuan(lognorm(rng, 600, .5, 200, 1500)), 1), "credit_line", 30,
                                self.pick_channel(u, rng, ("merchant",)), rng=rng)
            self.repay(u, L3, rng)

    def cash_products(self, u):
        return (("cash_loan", .7), ("credit_line", .3))


# =====================================================================================
# 4. margin_call_wealth
# =====================================================================================
class MarginCallWealth(World):
    name = "margin_call_wealth"
    description = ("loans against wealth-product pledges: big short revolving draws, limits that move "
                   "with the market every day, same-minute rollovers; a market-crash day in the test window "
                   "when many clients draw at once (some to the limit) and repay on the recovery")
    seg_mix = (("individual", .68), ("small_business", .26), ("student", .06))
    score_params = {"individual": (765, 50), "small_business": (745, 50), "student": (700, 45)}
    tod_mix = {
        "individual": (("trading", .75), ("evening", .25)),
        "small_business": (("trading", .8), ("business", .2)),
        "student": (("trading", .4), ("night", .6)),
    }
    chan_mix = {
        "individual": (("web", .4), ("app", .45), ("partner", .15)),
        "small_business": (("web", .5), ("app", .3), ("partner", .2)),
        "student": (("app", .9), ("web", .1)),
    }
    term_options = {
        "cash_loan": (90, 180, 360),
        "credit_line": (30, 60),
        "installment": (180, 360),
        "merchant_loan": (90, 180),
        "wealth_pledge": (7, 14, 30, 60, 90, 180),
    }
    weekend_factor = .15
    household_share = .05
    phone_change_p = .06
    limit_unit = 1000
    explicit_currency = True
    web_device = True
    loan_fmt = "MW%010d"
    event_fmt = "mw_%09d"
    merchant_fmt = "LUX%05d"

    def make_uid(self, rng):
        return "pb_%06x%02d" % (rng.getrandbits(24), rng.randrange(100))

    def make_device(self, rng):
        return "pb.%012x" % rng.getrandbits(48)

    def setup(self):
        ctx, r = self.ctx, self.r
        D = ctx.D
        c = ctx.test_day(0.25)
        while c % 7 >= 5 and c + 1 < D:
            c += 1
        while c % 7 >= 5 and c - 1 >= ctx.H:
            c -= 1
        self.crash = c
        tdays = [d for d in range(c + 1, D + 60) if d % 7 < 5]
        self.recovery = tdays[2]
        n = D + 400
        self.idx = [1.0] * n
        level, k = 1.0, None
        for d in range(n):
            if d % 7 < 5:
                if d == c:
                    ret, k = -r.uniform(.075, .095), 0
                elif k is not None:
                    k += 1
                    if k == 1:
                        ret = -r.uniform(.01, .03)
                    elif k == 2:
                        ret = r.uniform(-.005, .01)
                    elif k <= 8:
                        ret = r.uniform(.012, .02)
                    else:
                        ret = r.gauss(.0004, .008)
                else:
                    ret = r.gauss(.0004, .008)
                level *= 1 + ret
            self.idx[d] = level
        self.merchants = [self.new_merchant(r) for _ in range(30)]
        self.rms = [self.new_device(r) for _ in range(40)]
        self.calendar["market_crash"] = ctx.date_str(self.crash)
        self.calendar["market_recovery"] = ctx.date_str(min(self.recovery, D - 1))

    def index_at(self, ts):
        d, s = divmod(int(ts), DAY)
        if d % 7 < 5 and s >= 9 * HOUR + 30 * MINUTE:
            return self.idx[d]
        return self.idx[d - 1] if d >= 1 else 1.0

    def eff_limit(self, u, ts):
        return int(u.limit_at(ts) * self.index_at(ts))

    def loan_hook(self, L, rng):
        if L.channel == "web" and L.product == "wealth_pledge" and rng.random() < .3:   # portal omits it
            L.hide_score = True

    def trading_day(self, d):
        while d % 7 >= 5:
            d += 1
        return d

    def init_user(self, u, rng):
        seg = u.segment
        med = {"individual": 1200000, "small_business": 2800000, "student": 300000}[seg]
        holdings = lognorm(rng, med, .7, med / 6, 8000000)
        u.base_limit = round_c(yuan(holdings * rng.uniform(.5, .7)), 1000)
        u.p["style"] = pick(rng, (("trader", .35), ("occasional", .45), ("dormant", .2)))
        u.p["rm"] = rng.choice(self.rms)
        u.p["merchant"] = rng.choice(self.merchants)
        u.habit = Habit(tod="trading", p_early=.35, early_max=6, p_late=.03, late_mean=1.5)
        u.p["payoff_p"] = 0.0

    def device_for(self, u, ts, rng, channel, merchant=None):
        if channel == "partner":
            return u.p["rm"]
        if channel == "web" and rng.random() < .3:
            return None
        return World.device_for(self, u, ts, rng, channel, merchant)

    def purpose_for(self, u, product, rng):
        if product == "wealth_pledge":
            return None if rng.random() < .5 else ("business" if u.segment == "small_business" else "consumption")
        return World.purpose_for(self, u, product, rng)

    def pledge(self, u, rng, ts, amt, term, depth=0):
        ctx = self.ctx
        L = self.make_loan(u, ts, amt, "wealth_pledge", term, self.pick_channel(u, rng, ("merchant",)), rng=rng)
        due = ts // DAY + term
        x = rng.random()
        if x < .45:
            pd = self.trading_day(ts // DAY + max(1, int(term * rng.uniform(.15, .9))))
            payoff(self, rng, L, pd * DAY + sample_tod(rng, "trading"))
        elif x < .75 and depth < 4 and due < ctx.D:
            t2 = self.trading_day(due) * DAY + sample_tod(rng, "trading")
            if t2 < ctx.end:
                self.pledge(u, rng, t2, int(amt * rng.uniform(.9, 1.1)), rng.choice(self.term_options["wealth_pledge"]),
                            depth + 1)
                payoff(self, rng, L, t2 + rng.randint(40, 600))
        else:
            schedule(self, rng, L, 1, term, u.habit)
        return L

    def normal(self, u, rng):
        ctx, seg = self.ctx, u.segment
        rate = {"trader": .07, "occasional": .02, "dormant": .004}[u.p["style"]] * u.activity
        for d in self.days_with(rng, min(rate, .4), 0, ctx.D, lambda d: 1.0 if d % 7 < 5 else .08):
            if d == self.crash:
                continue
            ts = self.at(rng, d, u=u)
            avail = self.available(u, ts)
            lim = self.eff_limit(u, ts)
            amt = round_c(int(lim * rng.uniform(.05, .4)), 1000)
            if amt > avail:
                continue
            self.pledge(u, rng, ts, amt, rng.choice(self.term_options["wealth_pledge"]))
        if rng.random() < .3:
            d = rng.randrange(ctx.D)
            prod = pick(rng, (("cash_loan", .5), ("credit_line", .5)))
            if prod == "cash_loan":
                amt = round_c(yuan(lognorm(rng, 60000, .6, 10000, 300000)), 1000)
                term = rng.choice((90, 180, 360))
                ch = self.pick_channel(u, rng, ("merchant",))
            else:
                amt = yuan(lognorm(rng, 12000, .7, 2000, 80000))
                term = rng.choice((30, 60))
                ch = "merchant" if rng.random() < .4 else self.pick_channel(u, rng, ("merchant",))
            L = self.make_loan(u, self.at(rng, d, u=u), amt, prod, term, ch, rng=rng)
            self.repay(u, L, rng, payoff_p=.2)
        # the crash: clients draw on their pledges at once
        p_crash = {"trader": .6, "occasional": .38, "dormant": .2}[u.p["style"]]
        if rng.random() < p_crash:
            if rng.random() < .7:
                ts = self.crash * DAY + 9 * HOUR + 31 * MINUTE + int(rng.expovariate(1 / 1800.0)) % (2 * HOUR)
            else:
                ts = self.crash * DAY + 13 * HOUR + rng.randrange(105 * MINUTE)
            lim = self.eff_limit(u, ts)
            avail = self.available(u, ts)
            if avail > .1 * lim:
                frac = rng.uniform(.85, .98) if rng.random() < .3 else rng.uniform(.2, .6)
                amt = round_c(int(avail * frac), 1000)
                if amt >= 100000:
                    L = self.make_loan(u, ts, amt, "wealth_pledge", rng.choice((14, 30, 60)),
                                       self.pick_channel(u, rng, ("merchant",)), rng=rng, kind="crash")
                    if rng.random() < .7:
                        pd = self.recovery
                        for _ in range(rng.randint(0, 4)):
                            pd = self.trading_day(pd + 1)
                        payoff(self, rng, L, pd * DAY + sample_tod(rng, "trading"))
                    else:
                        schedule(self, rng, L, 1, L.term, u.habit)

    used_products = ("wealth_pledge", "cash_loan", "credit_line")

    def cash_products(self, u):
        return (("wealth_pledge", .6), ("cash_loan", .3), ("credit_line", .1))

    def student_products(self, u):
        return (("credit_line", .5), ("cash_loan", .3), ("wealth_pledge", .2))

    def amount_unit(self, product, rng):
        if product == "wealth_pledge":
            return 1000
        if product == "cash_loan":
            return 1000 if rng.random() < .8 else None
        return World.amount_unit(self, product, rng)

    def consumer_products(self, u):
        return (("credit_line", 1.0),)

    def all_products(self, u):
        return (("wealth_pledge", .45), ("cash_loan", .3), ("credit_line", .25))


# =====================================================================================
# 5. school_fee_term
# =====================================================================================
class SchoolFeeTerm(World):
    name = "school_fee_term"
    description = ("school-fee lender: parents borrow each child's fee at term start (several loans within "
                   "an hour), boarding-school operators borrow before term on receivables (limit reported as 0) "
                   "and repay in lumps when fees come in; spring term start inside the test window")
    seg_mix = (("individual", .58), ("small_business", .22), ("student", .20))
    score_params = {"individual": (680, 55), "small_business": (690, 45), "student": (560, 50)}
    tod_mix = {
        "individual": (("evening", .6), ("office", .3), ("early", .1)),
        "small_business": (("business", .9), ("evening", .1)),
        "student": (("night", .6), ("evening", .4)),
    }
    chan_mix = {
        "individual": (("merchant", .45), ("app", .4), ("partner", .1), ("web", .05)),
        "small_business": (("web", .45), ("app", .45), ("partner", .1)),
        "student": (("app", .75), ("partner", .15), ("merchant", .1)),
    }
    term_options = {
        "cash_loan": (30, 90, 180),
        "credit_line": (30,),
        "installment": (120, 150),
        "merchant_loan": (60, 90, 120, 180),
        "wealth_pledge": (30,),
    }
    household_share = .16
    limit_unit = 100
    loan_fmt = "sf-L%08d"
    event_fmt = "sf-E%08d"
    merchant_fmt = "SCH%05d"

    def make_uid(self, rng):
        return "sf%08d" % rng.randrange(10 ** 8)

    def make_device(self, rng):
        return "d%013x" % rng.getrandbits(52)

    def setup(self):
        ctx, r = self.ctx, self.r
        self.schools = [self.new_merchant(r) for _ in range(80)]
        self.tutors = [self.new_merchant(r) for _ in range(25)]
        self.merchants = self.schools + self.tutors
        self.term_start = ctx.test_day(0.4)
        S = self.term_start
        self.camp = (max(0, S - 40), max(1, S - 22))
        self.calendar["term_start"] = ctx.date_str(S)

    def init_user(self, u, rng):
        seg = u.segment
        if seg == "individual":
            u.p["kids"] = pick(rng, ((1, .5), (2, .3), (3, .15), (4, .05)))
            u.p["fees"] = []
            for _ in range(u.p["kids"]):
                private = rng.random() < .3
                fee = lognorm(rng, 26000, .35, 12000, 45000) if private else lognorm(rng, 5000, .35, 2500, 9000)
                u.p["fees"].append((rng.choice(self.schools), round_c(yuan(fee), 10)))
            u.base_limit = round_c(yuan(lognorm(rng, 30000, .5, 8000, 150000)), 100)
        elif seg == "small_business":
            u.base_limit = round_c(yuan(lognorm(rng, 200000, .6, 30000, 1500000)), 1000)
            u.p["school"] = rng.choice(self.schools)
            u.habit = Habit(tod="business", p_early=.15, p_late=.12, late_mean=4)
        else:
            u.base_limit = round_c(yuan(lognorm(rng, 5000, .4, 1500, 15000)), 100)
            u.habit = Habit(tod=u.tod, p_early=.05, p_late=rng.uniform(.1, .35), late_mean=4, payday=(10,),
                            p_payday=.3)
            u.p["thin"] = rng.random() < .3   # thin-file students: no score reported
        u.p["merchant"] = rng.choice(self.tutors)

    def report_outstanding(self, u, L, r):
        # operator loans are settled by bank transfer from the fee account: no balance in the message
        return not (L.product == "merchant_loan" and u.segment == "small_business")

    def report_limit(self, u, L):
        if L.product == "merchant_loan" and u.segment == "small_business":
            return 0   # receivables-backed operator loans carry no revolving limit
        return World.report_limit(self, u, L)

    def report_score(self, u, L):
        if u.p.get("thin"):
            return None
        return World.report_score(self, u, L)

    def normal(self, u, rng):
        ctx, seg, S = self.ctx, u.segment, self.term_start

        def term_weight(d):
            return 3.0 if d == S - 1 else 2.0 if S - 3 <= d <= S else 1.0

        if seg == "individual":
            if rng.random() < .74:
                d = self.weighted_day(rng, S - 6, S + 3, term_weight)
                ts = self.at(rng, d, u=u)
                ch = pick(rng, (("merchant", .5), ("app", .4), ("partner", .1)))
                dev = self.device_for(u, ts, rng, "app")
                session = rng.random() < .8
                for i, (school, fee) in enumerate(u.p["fees"]):
                    if i and not session:
                        ts = self.at(rng, self.weighted_day(rng, S - 6, S + 3, term_weight), u=u)
                    elif i:
                        ts += rng.randint(2 * MINUTE, 25 * MINUTE)
                    L = self.make_loan(u, ts, fee, "installment", pick(rng, ((120, .5), (150, .5))), ch,
                                       device=dev, merchant=school if ch == "merchant" else None, rng=rng,
                                       purpose="education", kind="fee")
                    self.repay(u, L, rng)
            if rng.random() < .25:
                d = rng.randint(self.camp[0], self.camp[1])
                amt = round_c(yuan(lognorm(rng, 2500, .6, 800, 6000)), 10)
                L = self.make_loan(u, self.at(rng, d, u=u), amt, "credit_line", 30, "merchant",
                                   merchant=rng.choice(self.tutors), rng=rng, purpose="education")
                self.repay(u, L, rng)
            if rng.random() < .08:
                d = rng.randrange(ctx.D)
                amt = round_c(yuan(lognorm(rng, 6000, .6, 1000, 30000)), 100)
                L = self.make_loan(u, self.at(rng, d, u=u), amt, "cash_loan", rng.choice((30, 90, 180)),
                                   self.pick_channel(u, rng, ("merchant",)), rng=rng)
                self.repay(u, L, rng)
            for d in self.days_with(rng, .008 * u.activity, 0, ctx.D):
                amt = yuan(lognorm(rng, 900, .7, 50, 5000))
                L = self.make_loan(u, self.at(rng, d, u=u), amt, "credit_line", 30, self.pick_channel(u, rng), rng=rng,
                                   purpose="consumption")
                self.repay(u, L, rng)
        elif seg == "small_business":
            if rng.random() < .8:
                d = rng.randint(S - 21, S - 3)
                if d >= 0:
                    amt = round_c(yuan(lognorm(rng, 180000, .6, 50000, 800000)), 1000)
                    L = self.make_loan(u, self.at(rng, d, "business"), amt, "merchant_loan", rng.choice((90, 120, 180)),
                                       self.pick_channel(u, rng, ("merchant",)), rng=rng, purpose="business",
                                       kind="preterm")
                    self.operator_repay(u, L, rng)
            if rng.random() < .3:
                d = rng.randint(S - 2, S + 4)
                if 0 <= d < ctx.D:
                    amt = round_c(yuan(lognorm(rng, 50000, .5, 20000, 150000)), 1000)
                    L = self.make_loan(u, self.at(rng, d, "business"), amt, "merchant_loan", 90,
                                       self.pick_channel(u, rng, ("merchant",)), rng=rng, purpose="business")
                    self.operator_repay(u, L, rng)
            if rng.random() < .3:
                d = rng.randint(0, max(0, self.camp[0]))
                amt = round_c(yuan(lognorm(rng, 50000, .5, 20000, 120000)), 1000)
                L = self.make_loan(u, self.at(rng, d, "business"), amt, "merchant_loan", 60,
                                   self.pick_channel(u, rng, ("merchant",)), rng=rng, purpose="business")
                pd = self.camp[1] + rng.randint(1, 6)
                payoff(self, rng, L, pd * DAY + sample_tod(rng, "business"))
        else:
            for d in self.days_with(rng, min(.04 * u.activity, .4), 0, ctx.D):
                amt = yuan(lognorm(rng, 450, .7, 50, 3000))
                L = self.make_loan(u, self.at(rng, d, u=u), amt, "credit_line", 30, self.pick_channel(u, rng),
                                   rng=rng)
                self.repay(u, L, rng)
            if rng.random() < .1:
                d = rng.randrange(ctx.D)
                amt = round_c(yuan(lognorm(rng, 1500, .5, 300, 5000)), 100)
                L = self.make_loan(u, self.at(rng, d, u=u), amt, "cash_loan", rng.choice((30, 90)),
                                   self.pick_channel(u, rng, ("merchant",)), rng=rng)
                self.repay(u, L, rng)
            if rng.random() < .35:
                d = rng.randint(S - 10, S + 5)
                if 0 <= d < ctx.D:
                    amt = round_c(yuan(lognorm(rng, 8000, .4, 3000, 20000)), 10)
                    L = self.make_loan(u, self.at(rng, d, u=u), amt, "installment", 150, self.pick_channel(u, rng),
                                       rng=rng, purpose="education", kind="fee")
                    self.repay(u, L, rng)

    def operator_repay(self, u, L, rng):
        """fees collected at term start come back in one lump, the rest monthly"""
        S = self.term_start
        pd = max(L.ts // DAY + 1, S + rng.randint(2, 10))
        r = payoff(self, rng, L, pd * DAY + sample_tod(rng, "business"), fraction=rng.uniform(.4, 1.0))
        if r is not None and r.princ < L.amt:
            rest_n = max(1, (L.term - (pd - L.ts // DAY)) // 30)
            schedule(self, rng, L, rest_n, 30, u.habit, first_due=(pd - L.ts // DAY) + 30)
        elif r is None:
            schedule(self, rng, L, max(1, L.term // 30), 30, u.habit)

    def cash_products(self, u):
        return (("cash_loan", .6), ("credit_line", .4))


# =====================================================================================
# 6. limit_reset_regulation
# =====================================================================================
class LimitResetRegulation(World):
    name = "limit_reset_regulation"
    description = ("revolving credit-line lender with monthly limit-raise campaigns and high utilisation; a "
                   "regulator forces every limit down 30-60% on a date in the test window: reported limits "
                   "drop, balances sit above limits, repayments speed up, a rush to draw just before")
    seg_mix = (("individual", .56), ("student", .24), ("small_business", .20))
    score_params = {"individual": (640, 60), "small_business": (660, 55), "student": (560, 55)}
    chan_mix = {
        "individual": (("merchant", .45), ("app", .40), ("web", .08), ("partner", .07)),
        "small_business": (("app", .45), ("web", .3), ("merchant", .15), ("partner", .1)),
        "student": (("merchant", .5), ("app", .45), ("partner", .05)),
    }
    term_options = {
        "cash_loan": (90, 180, 360),
        "credit_line": (30, 45),
        "installment": (90, 180, 360),
        "merchant_loan": (90, 180, 360),
        "wealth_pledge": (30,),
    }
    weekend_factor = 1.3
    limit_unit = 100
    loan_fmt = "lr.L%08d"
    event_fmt = "lr.%09d"
    merchant_fmt = "MCH%05d"

    def make_uid(self, rng):
        return "LR-%08X" % rng.getrandbits(32)

    def make_device(self, rng):
        return "dv_%012x" % rng.getrandbits(48)

    def setup(self):
        ctx, r = self.ctx, self.r
        self.merchants = [self.new_merchant(r) for _ in range(250)]
        self.reset = ctx.test_day(0.4)
        self.campaigns = [d for d in (12, 26, 40, 54) if d < self.reset - 3]
        self.calendar["limit_reset"] = ctx.date_str(self.reset)
        self.calendar["raise_campaigns"] = [ctx.date_str(d) for d in self.campaigns]

    def init_user(self, u, rng):
        seg = u.segment
        med = {"individual": 15000, "small_business": 90000, "student": 5000}[seg]
        u.base_limit = round_c(yuan(lognorm(rng, med, .5, med / 4, med * 4)), 100)
        for d in self.campaigns:
            if u.score0 >= 620 and rng.random() < .25:
                u.limit_events.append((d * DAY + 8 * HOUR + rng.randrange(4 * HOUR), rng.uniform(1.1, 1.5)))
        u.p["cut"] = rng.uniform(.40, .70)
        u.limit_events.append((self.reset * DAY, u.p["cut"]))
        u.p["style"] = pick(rng, (("revolver", .45), ("transactor", .4), ("occasional", .15)))
        u.p["cap"] = rng.uniform(.75, .97) if u.p["style"] == "revolver" else rng.uniform(.3, .7)
        u.p["favs"] = [rng.choice(self.merchants) for _ in range(rng.randint(3, 8))]
        if u.p["style"] == "transactor":
            u.habit = Habit(tod=u.tod, p_early=.4, p_late=.02, autopay=rng.random() < .4)
        elif u.p["style"] == "revolver":
            u.habit = Habit(tod=u.tod, p_early=.05, p_late=rng.uniform(.1, .3), late_mean=4)

    def pick_merchant(self, u, rng):
        if rng.random() < .75:
            return rng.choice(u.p["favs"])
        return rng.choice(self.merchants)

    def adjust_payment(self, L, due, pay, rng, habit):
        if pay >= self.reset and L.tag is None:
            if rng.random() < .55:
                return max(self.reset, L.ts // DAY + 1, due - rng.randint(0, 6))
            if pay > due:
                return due + (pay - due) // 3
        return pay

    def credit_line_repay(self, u, L, rng):
        if u.p["style"] == "revolver" and rng.random() < .7:
            s = rng.uniform(.3, .6)
            schedule(self, rng, L, 2, L.term, u.habit, shares=[s, 1.0])
        else:
            schedule(self, rng, L, 1, L.term, u.habit)

    def normal(self, u, rng):
        ctx, seg, R = self.ctx, u.segment, self.reset
        style = u.p["style"]
        rate = {"revolver": .10, "transactor": .08, "occasional": .025}[style] * u.activity
        if seg == "small_business":
            rate *= .5
        for d in self.days_with(rng, min(rate, .6), 0, ctx.D, lambda d: u.dow[d % 7]):
            if d >= R and rng.random() > .35:
                continue
            ts = self.at(rng, d, u=u)
            lim = u.limit_at(ts)
            out = u.outstanding_at(ts)
            amt = yuan(lognorm(rng, max(30.0, lim / 100 * rng.uniform(.02, .08)), .6, 5, lim / 100))
            if out + amt > lim * u.p["cap"]:
                if d < R and rng.random() < .3:
                    amt = int(lim * u.p["cap"]) - out
                    if amt < 1000:
                        continue
                else:
                    continue
            ch = self.pick_channel(u, rng)
            L = self.make_loan(u, ts, amt, "credit_line", rng.choice((30, 45)), ch, rng=rng)
            self.credit_line_repay(u, L, rng)
        if rng.random() < .2:
            d = rng.randrange(ctx.D)
            if d < R or rng.random() < .3:
                ts = self.at(rng, d, u=u)
                avail = self.available(u, ts)
                amt = round_c(int(min(avail * rng.uniform(.3, .8), yuan(lognorm(rng, 8000, .6, 1000, 50000)))), 100)
                if amt >= 100000:
                    L = self.make_loan(u, ts, amt, "cash_loan", rng.choice((90, 180, 360)),
                                       self.pick_channel(u, rng, ("merchant",)), rng=rng)
                    self.repay(u, L, rng)
        if rng.random() < .15:
            d = rng.randrange(ctx.D)
            ts = self.at(rng, d, u=u)
            amt = round_c(yuan(lognorm(rng, 5000, .5, 2000, 15000)), 1)
            L = self.make_loan(u, ts, amt, "installment", rng.choice((90, 180, 360)), "merchant", rng=rng)
            self.repay(u, L, rng)
        if seg == "small_business" and rng.random() < .35:
            d = rng.randrange(ctx.D)
            amt = round_c(yuan(lognorm(rng, 60000, .6, 10000, 200000)), 1000)
            L = self.make_loan(u, self.at(rng, d, "business"), amt, "merchant_loan", rng.choice((90, 180, 360)),
                               self.pick_channel(u, rng, ("merchant",)), rng=rng)
            self.repay(u, L, rng)
        # rumour of the cut: some draw what they can just before it
        if R >= 1 and rng.random() < .12:
            d = rng.randint(max(0, R - 3), R - 1)
            ts = self.at(rng, d, u=u)
            avail = self.available(u, ts)
            if avail > 50000:
                amt = int(avail * rng.uniform(.3, .7))
                prod = "cash_loan" if rng.random() < .5 else "credit_line"
                L = self.make_loan(u, ts, amt, prod, rng.choice(self.term_options[prod]),
                                   self.pick_channel(u, rng, ("merchant",) if prod == "cash_loan" else ()), rng=rng,
                                   kind="rush")
                if prod == "credit_line":
                    self.credit_line_repay(u, L, rng)
                else:
                    self.repay(u, L, rng)
        # after the cut, balances above the new limit are paid down voluntarily
        if R < ctx.D and rng.random() < .4:
            t = R * DAY
            if u.outstanding_at(t) > u.limit_at(t):
                open_loans = [L for L in u.loans if L.ts < t and L.remaining_at(t) > 0]
                if open_loans:
                    big = max(open_loans, key=lambda L: (L.remaining_at(t), L.ts))
                    payoff(self, rng, big, (R + rng.randint(0, 5)) * DAY + u.habit.pay_tod(rng))


# =====================================================================================
# 7. tour_guide_season
# =====================================================================================
class TourGuideSeason(World):
    name = "tour_guide_season"
    description = ("tourism lender: guides and small agencies borrow round sums before the high season at a "
                   "few travel-agency merchants on shared office devices, nearly nothing off-season; the "
                   "winter season went badly so its loans are repaid late and in lumps; the spring "
                   "pre-season borrowing wave opens in the test window")
    seg_mix = (("small_business", .52), ("individual", .33), ("student", .15))
    score_params = {"individual": (630, 60), "small_business": (650, 55), "student": (570, 50)}
    tod_mix = {
        "individual": (("early", .4), ("evening", .4), ("night", .2)),
        "small_business": (("business", .7), ("early", .3)),
        "student": (("night", .5), ("evening", .5)),
    }
    chan_mix = {
        "individual": (("merchant", .45), ("app", .4), ("web", .1), ("partner", .05)),
        "small_business": (("web", .4), ("app", .35), ("merchant", .2), ("partner", .05)),
        "student": (("merchant", .5), ("app", .5)),
    }
    term_options = {
        "cash_loan": (30, 45, 60, 90, 120),
        "credit_line": (60,),
        "installment": (90, 180),
        "merchant_loan": (30, 45, 60, 90, 120),
        "wealth_pledge": (30,),
    }
    used_products = ("cash_loan", "merchant_loan", "credit_line")
    household_share = .08
    limit_unit = 1000
    loan_fmt = "TG-%08d"
    event_fmt = "tg:%09d"
    merchant_fmt = "AGY%05d"

    def make_uid(self, rng):
        return "guide_%07d" % rng.randrange(10 ** 7)

    def make_device(self, rng):
        return "tg-%010x" % rng.getrandbits(40)

    def setup(self):
        ctx, r = self.ctx, self.r
        self.agencies = [self.new_merchant(r) for _ in range(4)]
        self.others = [self.new_merchant(r) for _ in range(10)]
        self.merchants = self.agencies + self.others
        self.office = {m: [self.new_device(r) for _ in range(r.randint(2, 3))] for m in self.agencies}
        self.open = ctx.test_day(0.2)
        self.winter_end = max(1, min(14, ctx.H - 1))
        self.calendar["season_open"] = ctx.date_str(self.open)
        self.calendar["winter_season_loans_until"] = ctx.date_str(self.winter_end)

    def init_user(self, u, rng):
        seg = u.segment
        med = {"individual": 25000, "small_business": 200000, "student": 6000}[seg]
        u.base_limit = round_c(yuan(lognorm(rng, med, .5, med / 4, med * 4)), 1000)
        u.p["agency"] = rng.choice(self.agencies)
        u.p["merchant"] = u.p["agency"]
        u.p["winter"] = rng.random() < {"small_business": .3, "individual": .25, "student": .1}[seg]
        u.habit = Habit(tod=u.tod, p_early=.1, p_late=rng.uniform(.05, .25), late_mean=5)

    def device_for(self, u, ts, rng, channel, merchant=None):
        if channel == "merchant" and merchant in self.office and rng.random() < .6:
            return rng.choice(self.office[merchant])
        return World.device_for(self, u, ts, rng, channel, merchant)

    def round_amount(self, rng, u, big, ts):
        """round sums, within what the limit leaves"""
        if u.segment == "small_business":
            opts = ((20000, 2), (30000, 2), (50000, 3), (80000, 1), (100000, 2), (150000, 1), (200000, 1),
                    (300000, .5), (500000, .3))
            if big:
                opts = tuple((v, w * (1.5 if v >= 50000 else 1)) for v, w in opts)
        elif u.segment == "student":
            opts = ((1000, 2), (2000, 3), (3000, 2), (5000, 1))
        else:
            opts = ((3000, 1), (5000, 3), (8000, 1), (10000, 3), (15000, 1), (20000, 2), (30000, .5))
        room = (self.available(u, ts) / 100) * rng.uniform(.8, 1.0)
        fit = tuple((v, w) for v, w in opts if v <= room)
        return yuan(pick(rng, fit)) if fit else 0

    def bad_season_repay(self, u, L, rng):
        """winter loans after a warm winter: late, lumpy, sometimes nothing yet"""
        if rng.random() < .12:
            return
        n, period = self.installments(L)
        if n == 1:
            schedule(self, rng, L, 1, period, u.habit, late_seq=[rng.randint(3, 35)])
            return
        lumps = []
        k = 0
        while k < n:
            g = min(n - k, rng.choice((1, 2, 2, 3)))
            lumps.append((k, g))
            k += g
        rem = L.amt
        last = L.ts
        start = L.ts // DAY
        for k, g in lumps:
            due = start + period * (k + g)
            pay = due + rng.randint(3, 30)
            ts = pay * DAY + sample_tod(rng, u.habit.tod)
            if ts <= last:
                ts = last + rng.randint(HOUR, 6 * HOUR)
            if ts >= self.ctx.end:
                break
            princ = rem if k + g >= n else min(rem, L.amt * g // n)
            amt = princ + int(rem * self.daily_rate(L) * max(1.0, (ts - last) / DAY))
            L.reps.append(Rep(ts, amt, princ, max(0, ts // DAY - due), None, None))
            rem -= princ
            last = ts
            if rem <= 0:
                break

    def normal(self, u, rng):
        ctx, seg = self.ctx, u.segment
        for d in self.days_with(rng, .003 * u.activity, 0, ctx.D):
            amt = round_c(yuan(lognorm(rng, 2500, .5, 500, 8000)), 100)
            L = self.make_loan(u, self.at(rng, d, u=u), amt, "cash_loan", rng.choice((30, 60)),
                               self.pick_channel(u, rng, ("merchant",)), rng=rng)
            self.repay(u, L, rng)
        if u.p["winter"]:
            for _ in range(1 + (rng.random() < .3)):
                d = rng.randint(0, self.winter_end)
                ts = self.at(rng, d, u=u)
                amt = self.round_amount(rng, u, False, ts)
                if not amt:
                    continue
                if seg == "small_business":
                    prod, ch = "merchant_loan", self.pick_channel(u, rng, ("merchant",))
                else:
                    prod, ch = "cash_loan", ("merchant" if rng.random() < .6 else "app")
                L = self.make_loan(u, ts, amt, prod, rng.choice((30, 45, 60, 90)), ch,
                                   merchant=u.p["agency"] if ch == "merchant" else None, rng=rng, kind="winter")
                self.bad_season_repay(u, L, rng)
        p = {"small_business": .55, "individual": .4, "student": .3}[seg]
        if rng.random() < p and self.open < ctx.D:
            d = min(ctx.D - 1, self.open + min(int(rng.expovariate(1 / 2.0)), 6))
            ts = self.at(rng, d, "business" if seg == "small_business" else u.tod)
            n = 1 + (rng.random() < .3)
            for i in range(n):
                amt = self.round_amount(rng, u, True, ts)
                if not amt:
                    break
                if seg == "small_business" and rng.random() < .6:
                    prod, ch, merchant = "merchant_loan", self.pick_channel(u, rng, ("merchant",)), None
                else:
                    prod, ch, merchant = ("credit_line" if seg == "student" else "cash_loan"), "merchant", \
                        (u.p["agency"] if rng.random() < .85 else rng.choice(self.merchants))
                L = self.make_loan(u, ts, amt, prod, rng.choice((60, 90, 120)) if prod != "credit_line" else 60, ch,
                                   merchant=merchant, rng=rng, kind="season")
                self.repay(u, L, rng, payoff_p=0)
                ts += rng.randint(20 * MINUTE, 20 * HOUR)

    def cash_products(self, u):
        if u.segment == "small_business":
            return (("merchant_loan", .5), ("cash_loan", .5))
        return (("cash_loan", .7), ("credit_line", .3))

    def consumer_products(self, u):
        if u.segment == "small_business":
            return (("merchant_loan", .7), ("credit_line", .3))
        return (("cash_loan", .6), ("credit_line", .4))

    def student_products(self, u):
        return (("credit_line", .6), ("cash_loan", .4))

    def all_products(self, u):
        if u.segment == "small_business":
            return (("merchant_loan", .5), ("cash_loan", .3), ("credit_line", .2))
        return (("cash_loan", .6), ("credit_line", .4))

    def amount_unit(self, product, rng):
        return pick(rng, ((1000, .6), (100, .3), (None, .1)))

    def episode_channel(self, u, rng, product):
        if product == "merchant_loan":
            return self.pick_channel(u, rng, ("merchant",))
        return self.pick_channel(u, rng)


WORLD_CLASSES = (HandsetUpgrade, PremiumFinance, MigrantRentDeposit, MarginCallWealth, SchoolFeeTerm,
                 LimitResetRegulation, TourGuideSeason)
WORLDS = {cls.name: cls for cls in WORLD_CLASSES}
