"""agri_harvest: a rural lender to sugarcane growers and farm co-operatives.

Input loans are 180-365 day bullets taken in spring at agri-input dealers
(merchant channel).  Last season's loans are repaid when the borrower's sugar mill
pays for delivered cane: mills pay in waves every 9-15 days through the crushing
season, so repayments cluster a day or two after each payout, often split over
several payouts, and lateness of weeks is ordinary here.  Small consumption loans
rise before the Spring Festival (17 February); planting loans after the Lantern
Festival (3 March).  Devices, scores and purposes are often missing; amounts are
whole hundreds.
"""
from ..clock import DAY, HOUR
from ..model import Loan, User, lognorm
from .base import Lender, hours

SPRING_FESTIVAL = 43   # 2026-02-17
LANTERN = 57           # 2026-03-03
MILLS = 8


class AgriHarvest(Lender):
    name = "agri_harvest"
    code = "ag"
    desc = ("sugarcane and farm co-op lender: 180-365 day bullet input loans, repayments "
            "clustered after each sugar mill payout, weeks late is normal")
    anom_rate = 0.04
    ep_bad = 0.45
    normal_bad = 0.05
    p_dup = 0.003
    p_ooo = 0.01
    presence = {"currency": 0.2, "credit_score": 0.4, "purpose": 0.7,
                "device_id": 0.55, "merchant_id": 0.9, "outstanding": 0.5}
    weights = {"loan_stacking": 3, "borrow_to_repay": 4, "account_takeover": 1,
               "limit_jump_drain": 2, "overdue_escalation": 2, "merchant_cashout": 2,
               "device_ring": 1}

    def setup(self, users, rng, clock):
        pays = {}
        for m in range(MILLS):
            d, step, out = rng.randint(-10, 4), rng.randint(9, 15), []
            while d < clock.days + 120:
                out.append(d)
                d += step + rng.choice((-1, 0, 0, 1))
            pays[m] = out
        clock.state["payouts"] = pays

    def make_user(self, rng, idx, clock):
        coop = rng.random() < 0.25
        u = User(idx, "ag%07d" % (idx + 1), "coop" if coop else "farmer",
                 "small_business" if coop else "individual")
        u.limit0 = int(lognorm(rng, 300000 if coop else 60000, 0.5, 10000, 2000000) / 1000) * 1000
        u.amt = u.limit0 * rng.uniform(0.15, 0.4)
        u.rate = lognorm(rng, 0.006, 0.5, 0.001, 0.03)
        u.products = ([("merchant_loan", 6), ("installment", 2)] if coop
                      else [("installment", 5), ("cash_loan", 5)])
        u.channels = [("merchant", 60), ("app", 30), ("web", 10)]
        u.devices = [self.new_device(u, rng)] if rng.random() < 0.85 else []
        u.hours = hours((6, 9, 2), (10, 17, 1), (18, 21, 2))
        u.score = int(lognorm(rng, 610, 0.09, 380, 880))
        u.late_p, u.late_mean = rng.uniform(0.2, 0.5), 9.0
        u.bad_p = rng.uniform(0, 2 * self.normal_bad)
        county = rng.randrange(40)
        u.traits = {"money": "hundreds", "mill": rng.randrange(MILLS), "village": "V%03d%02d" % (
            county, rng.randrange(60)), "merchants": tuple("agd-%02d-%02d" % (county, rng.randrange(12))
                                                           for _ in range(2))}
        if rng.random() < 0.05:
            u.join_t = int(rng.uniform(0, clock.end))
            u.fresh = True
        self.show_fields(u, rng)
        return u

    def loan_rate(self, user, day, clock):
        r = user.rate + 0.006
        if SPRING_FESTIVAL - 21 <= day < SPRING_FESTIVAL:
            r += 0.03
        if LANTERN - 7 <= day:
            r += 0.03 if user.kind == "farmer" else 0.05
        return r

    def draw_loan(self, user, t, rng, clock):
        day = clock.day_of(t)
        lim = user.limit_at(t)
        if day < SPRING_FESTIVAL and rng.random() < 0.7:
            f = self.loan_fields(user, t, rng, clock, "cash_loan", "app", rng.choice((30, 60, 90)))
            f["amount"] = rng.uniform(1000, 6000)
            f["purpose"] = "consumption"
            if not user.devices:
                f["channel"] = "web"
            return f
        f = self.loan_fields(user, t, rng, clock, None, None, rng.randint(180, 365))
        f["amount"] = min(lim * rng.uniform(0.2, 0.9), user.amt * rng.uniform(0.5, 1.5))
        f["purpose"] = "business"
        return f

    def term_for(self, user, product, rng):
        if product == "cash_loan":
            return rng.choice((30, 60, 90, 180))
        return rng.randint(180, 365)

    def prestream(self, user, rng, clock):
        out = []
        for _ in range(rng.choice((1, 1, 1, 2))):
            term = rng.randint(180, 365)
            t = (rng.randint(-40, 50) - term) * DAY     # due around the crushing season
            out.append(Loan(self.loan_id(user, "installment", rng), t, user.amt * rng.uniform(0.6, 1.4),
                            "installment" if user.kind == "farmer" else "merchant_loan", term))
        return out

    def schedule(self, user, loan, rng, clock, bad):
        if loan.term < 150:
            return super().schedule(user, loan, rng, clock, bad)
        due = clock.day_of(loan.t) + loan.term
        pays = [d for d in clock.state["payouts"][user.traits["mill"]] if d >= due - 25]
        parts = rng.choice((1, 1, 2, 2, 3))
        if rng.random() < 0.3:
            pays = pays[1:]        # the cane went in late: skip one payout
        owed = loan.amount * rng.uniform(1.03, 1.08)
        out = []
        for i, p in enumerate(pays[:parts]):
            if bad and i >= 1:
                break
            share = owed / parts if not bad else owed * rng.uniform(0.1, 0.4)
            day = p + rng.choice((0, 1, 1, 2, 3))
            out.append((day, share, max(0, day - due)))
        return out

    def repay_clock(self, user, day, rng, clock):
        return clock.at(day, rng.choice((8, 9, 10, 11, 14, 15, 16)) * HOUR + rng.randrange(HOUR))

    loan_seq_fmt = "%06d"

    def new_device(self, user, rng):
        return "ag%08x" % rng.getrandbits(32)

    def loan_prefix(self, user, product):
        return "AGR-%d-" % user.idx

    def cap(self, user, t):
        return user.limit_at(t)

    def stack_products(self, user):
        return ["merchant_loan", "installment", "cash_loan"] if user.kind == "coop" else \
            ["installment", "cash_loan"]

    def revolving_product(self, user):
        return "cash_loan"

    def stack_channels(self, user):
        return ["merchant", "app", "web"]

    def cashout_product(self, user, rng):
        return "installment" if user.kind == "farmer" else "merchant_loan"

    def colluders(self, clock, rng):
        st = clock.state
        if "colluders" not in st:
            st["colluders"] = ["agd-%02d-%02d" % (rng.randrange(40), rng.randrange(12)) for _ in range(3)]
        return st["colluders"]

    def extras(self, ev, rng):
        x = {}
        if ev.kind == "repayment" and rng.random() < 0.6:
            x["mill_id"] = "MILL%02d" % ev.user.traits["mill"]
        if rng.random() < 0.3:
            x["village"] = ev.user.traits["village"]
        return x or None

    def event_id(self, n, ev, rng):
        return "ag.e.%d" % (n + 1)
