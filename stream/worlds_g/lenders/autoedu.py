"""auto_edu_tightening: a car-dealer and education lender with a risk tightening.

Car buyers repay 3-5 year auto loans (up to 1.8 million) by monthly direct debit and
draw small service credit at dealers; families repay tuition loans of up to ten
years and students draw living-cost credit; fleet operators carry vehicle loans up
to the contract maximum of 10,000,000 with 3650-day terms.  New big-ticket loans are
rare (new cars, spring-semester tuition).  A few days into the test window the lender
tightens risk: about 40 % of borrowers get their limit cut to 40-80 % and borrow less.
"""
from ..clock import DAY, HOUR
from ..model import Loan, User, lognorm
from .base import Lender, hours

SEMESTER = (42, 63)   # 2026-02-16 .. 2026-03-09
CAP = 10_000_000


def annuity(amount, term_days, apr):
    n = max(1, term_days // 30)
    r = apr / 12
    return amount * r / (1 - (1 + r) ** -n)


class AutoEduTightening(Lender):
    name = "auto_edu_tightening"
    code = "ae"
    desc = ("car-dealer, tuition and fleet lender with loans up to 10,000,000 and 3650-day "
            "terms; a risk tightening cuts 40% of limits in the test window")
    anom_rate = 0.035
    ep_bad = 0.25
    normal_bad = 0.01
    p_dup = 0.004
    p_ooo = 0.015
    presence = {"currency": 0.8, "credit_score": 0.95, "purpose": 0.9,
                "device_id": 0.7, "merchant_id": 0.95, "outstanding": 0.9}
    weights = {"loan_stacking": 2, "borrow_to_repay": 2, "account_takeover": 2,
               "student_overborrowing": 3, "limit_jump_drain": 3, "overdue_escalation": 2,
               "credit_cycling": 1, "merchant_cashout": 2}

    def make_user(self, rng, idx, clock):
        x = rng.random()
        kind = "auto" if x < 0.5 else ("edu" if x < 0.8 else "fleet")
        seg = {"auto": "individual", "fleet": "small_business"}.get(kind)
        if kind == "edu":
            seg = "student" if rng.random() < 0.6 else "individual"
        u = User(idx, "AE-%07d" % (idx * 11 + 5), kind, seg)
        u.devices = [self.new_device(u, rng)]
        u.hours = hours((8, 11, 2), (12, 18, 1), (19, 22, 2))
        u.score = int(lognorm(rng, 690, 0.07, 450, 940))
        u.late_p, u.late_mean = rng.uniform(0.01, 0.06), 2.0
        u.bad_p = rng.uniform(0, 2 * self.normal_bad)
        u.traits = {"money": "cents", "dom": rng.randint(1, 28), "apr": rng.uniform(0.04, 0.12)}
        if kind == "auto":
            big = lognorm(rng, 180000, 0.6, 40000, 1800000)
            line = int(lognorm(rng, 20000, 0.5, 3000, 100000) / 1000) * 1000
            u.amt = lognorm(rng, 1500, 0.7, 200, 10000)
            u.rate = lognorm(rng, 0.03, 0.5, 0.005, 0.1)
            u.products = [("credit_line", 9), ("installment", 1)]
            u.channels = [("merchant", 70), ("app", 30)]
        elif kind == "edu":
            big = lognorm(rng, 60000, 0.7, 8000, 600000)
            line = int(lognorm(rng, 4000 if seg == "student" else 15000, 0.5, 1000, 50000) / 100) * 100
            u.amt = lognorm(rng, 400 if seg == "student" else 1500, 0.6, 50, 8000)
            u.rate = lognorm(rng, 0.1 if seg == "student" else 0.02, 0.5, 0.005, 0.3)
            u.products = [("credit_line", 8), ("cash_loan", 2)]
            u.channels = [("app", 75), ("web", 25)]
        else:
            big = lognorm(rng, 1500000, 0.9, 200000, CAP)
            line = int(lognorm(rng, 200000, 0.6, 20000, 2000000) / 1000) * 1000
            u.amt = lognorm(rng, 60000, 0.8, 5000, 1000000)
            u.rate = lognorm(rng, 0.01, 0.5, 0.002, 0.05)
            u.products = [("merchant_loan", 7), ("credit_line", 3)]
            u.channels = [("merchant", 50), ("web", 40), ("app", 10)]
        u.traits["big"] = big
        u.traits["merchants"] = tuple("dlr-%04d" % rng.randrange(900) for _ in range(2))
        u.limit0 = int(min(CAP * 2, big * rng.uniform(1.0, 1.3) + line) / 100) * 100
        u.traits["line"] = line
        if rng.random() < 0.05:
            u.join_t = int(rng.uniform(0, clock.end))
            u.fresh = True
        self.show_fields(u, rng)
        return u

    def setup(self, users, rng, clock):
        t = clock.test_start + int(rng.uniform(1, 4) * DAY) + 2 * HOUR
        clock.state["tighten_t"] = t
        for u in users:
            if rng.random() < 0.4:
                u.set_limit(t, int(u.limit0 * rng.uniform(0.4, 0.8) / 100) * 100)
                u.traits["tightened"] = True

    def loan_rate(self, user, day, clock):
        r = super().loan_rate(user, day, clock)
        if user.traits.get("tightened") and day * DAY >= clock.state["tighten_t"]:
            r *= 0.6
        if user.kind == "edu" and SEMESTER[0] <= day < SEMESTER[1]:
            r += 0.01
        if user.kind == "auto":
            r += 0.0015
        if user.kind == "fleet":
            r += 0.003
        return r

    def draw_loan(self, user, t, rng, clock):
        day = clock.day_of(t)
        lim = user.limit_at(t)
        if user.kind == "edu" and SEMESTER[0] <= day < SEMESTER[1] and rng.random() < 0.3:
            f = self.loan_fields(user, t, rng, clock, "installment", "web", rng.choice((365, 730, 1460, 3650)))
            f["amount"] = min(lim, rng.uniform(8000, 120000))
            f["purpose"] = "education"
            return f
        if user.kind == "auto" and rng.random() < 0.05:
            f = self.loan_fields(user, t, rng, clock, "installment", "merchant", rng.choice((1095, 1460, 1825)))
            f["amount"] = min(lim, lognorm(rng, 180000, 0.6, 40000, 1800000))
            return f
        if user.kind == "fleet" and rng.random() < 0.3:
            f = self.loan_fields(user, t, rng, clock, "merchant_loan", "merchant",
                                 rng.choice((1825, 2555, 3650)))
            amt = lognorm(rng, 1500000, 1.0, 100000, 3 * CAP)
            f["amount"] = min(CAP, amt)
            f["limit"] = max(lim, f["amount"])
            return f
        f = super().draw_loan(user, t, rng, clock)
        f["amount"] = min(f["amount"], user.traits["line"] * rng.uniform(0.2, 0.9))
        return f

    def term_for(self, user, product, rng):
        if product == "merchant_loan":
            return rng.choice((365, 730, 1825))
        if product == "installment":
            return rng.choice((365, 730, 1095))
        return rng.choice((30, 30, 60))

    def plan(self, user, loan, rng, clock):
        if loan.term <= 62:
            return super().plan(user, loan, rng, clock)
        each = annuity(loan.amount, loan.term, user.traits["apr"])
        d0 = clock.day_of(loan.t)
        return [(d, each) for d in clock.days_with_dom(user.traits["dom"], d0 + 20, clock.days + 5)]

    def repay_clock(self, user, day, rng, clock):
        if user.kind in ("auto", "fleet") or rng.random() < 0.5:
            return clock.at(day, 6 * HOUR + (0 if rng.random() < 0.6 else rng.randrange(2 * HOUR)))
        return super().repay_clock(user, day, rng, clock)

    def prestream(self, user, rng, clock):
        big = user.traits["big"]
        if user.kind == "auto":
            terms, prod = (1095, 1460, 1825), "installment"
        elif user.kind == "edu":
            terms, prod = (365, 730, 1460, 2920, 3650), "installment"
        else:
            terms, prod = (1825, 2555, 3650), "merchant_loan"
        out = []
        for i in range(1 if user.kind != "fleet" else rng.randint(1, 3)):
            term = rng.choice(terms)
            amt = big if i == 0 else min(CAP, big * rng.uniform(0.3, 3))
            out.append(Loan(self.loan_id(user, prod, rng), -rng.randint(35, term - 20) * DAY, amt, prod, term))
        return out

    loan_seq_fmt = "%02d"

    def new_device(self, user, rng):
        return "ae:%010x" % rng.getrandbits(40)

    def loan_prefix(self, user, product):
        tag = {"auto": "AUTO", "edu": "EDU", "fleet": "FLT"}[user.kind]
        return "%s-%07d-" % (tag, user.idx)

    def cap(self, user, t):
        cut = user.limit_at(t) / max(1, user.limit0)
        return max(500, user.traits["line"] * min(1.0, cut * 1.5))

    def raised_limit(self, user, old, factor):
        line = user.traits["line"]
        return old + int(line * (factor - 1) / 100) * 100 + 100

    def drawable(self, user, old, new):
        return new - old + user.traits["line"]

    def stack_products(self, user):
        return ["credit_line", "cash_loan", "installment"]

    def stack_channels(self, user):
        return ["app", "web", "merchant"]

    def revolving_product(self, user):
        return "credit_line"

    def student_products(self, user):
        return ["cash_loan", "credit_line", "installment"]

    def cash_product(self, user):
        return "cash_loan"

    def eligible(self, typ, user, t0, clock):
        if typ == "merchant_cashout":
            return user.kind == "auto" and t0 - user.join_t > 8 * DAY
        return super().eligible(typ, user, t0, clock)

    def colluders(self, clock, rng):
        st = clock.state
        if "colluders" not in st:
            st["colluders"] = ["dlr-%04d" % rng.randrange(900, 999) for _ in range(3)]
        return st["colluders"]

    def extras(self, ev, rng):
        if ev.kind == "loan" and ev.f["product"] in ("installment", "merchant_loan") and \
                ev.f["channel"] == "merchant" and rng.random() < 0.7:
            return {"vin_hash": "%016x" % rng.getrandbits(64), "dealer_region": "R%02d" % rng.randrange(34)}
        return super().extras(ev, rng)

    def event_id(self, n, ev, rng):
        return "ae_%x_%05x" % (n + 4096, rng.getrandbits(20))
