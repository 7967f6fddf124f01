"""zero_limit_oneoff: one-off approved loans beside revolving credit lines.

Half the borrowers take one-off loans, each approved on its own: the lender's
system sends `credit_limit: 0` on them (no standing limit).  Revolving customers
carry a credit-line limit and draw small amounts at checkout (merchant channel with
merchant ids from a long-tailed pool) and in the app, repaid on their monthly
statement day; some convert bills to instalments.  A few mixed customers do both,
so their credit_limit alternates between 0 and their line.  Students hold small lines.
"""
from ..clock import DAY
from ..model import Loan, User, lognorm
from .base import Lender, hours


class ZeroLimit(Lender):
    name = "zero_limit_oneoff"
    code = "zl"
    desc = ("one-off approved loans sent with credit_limit 0 beside revolving credit-line "
            "customers with limits and statement-day repayment")
    anom_rate = 0.05
    ep_bad = 0.3
    normal_bad = 0.02
    p_dup = 0.004
    p_ooo = 0.012
    presence = {"currency": 0.6, "credit_score": 0.85, "purpose": 0.7,
                "device_id": 0.9, "merchant_id": 0.85, "outstanding": 0.8}
    weights = {"loan_stacking": 3, "borrow_to_repay": 2, "account_takeover": 2,
               "student_overborrowing": 2, "limit_jump_drain": 3, "overdue_escalation": 2,
               "credit_cycling": 2, "merchant_cashout": 3, "device_ring": 1}

    def make_user(self, rng, idx, clock):
        x = rng.random()
        kind = "oneoff" if x < 0.5 else ("revolver" if x < 0.92 else "mixed")
        student = kind == "revolver" and rng.random() < 0.15
        u = User(idx, "zl-%d" % (idx + 1), kind, "student" if student else "individual")
        u.channels = [("web", 50), ("app", 30), ("partner", 20)]
        u.hours = hours((9, 12, 2), (13, 18, 1), (19, 23, 3))
        u.devices = [self.new_device(u, rng)]
        u.score = int(lognorm(rng, 640, 0.09, 400, 920))
        u.late_p, u.late_mean = rng.uniform(0.02, 0.1), 2.5
        u.bad_p = rng.uniform(0, 2 * self.normal_bad)
        u.traits = {"money": "cents" if kind == "oneoff" else "tenth", "dom": rng.randint(1, 28),
                    "merchants": tuple("m-%05d" % int(lognorm(rng, 40, 1.5, 1, 30000))
                                       for _ in range(rng.randint(3, 8)))}
        if kind == "oneoff":
            u.limit0 = 0
            u.amt = lognorm(rng, 15000, 0.7, 2000, 100000)
            u.rate = lognorm(rng, 0.015, 0.5, 0.004, 0.05)
            u.products = [("cash_loan", 6), ("installment", 4)]
        else:
            u.limit0 = int(lognorm(rng, 2500 if student else 15000, 0.5, 800, 80000) / 100) * 100
            u.amt = lognorm(rng, 200 if student else 600, 0.7, 20, 5000)
            u.rate = lognorm(rng, 0.3, 0.5, 0.08, 0.8)
            u.products = [("credit_line", 85), ("installment", 15)]
            u.channels = [("merchant", 70), ("app", 30)]
            u.traits["oneoff_amt"] = lognorm(rng, 12000, 0.6, 2000, 60000)
        if rng.random() < 0.1:
            u.join_t = int(rng.uniform(0, clock.end))
            u.fresh = True
        self.show_fields(u, rng)
        return u

    def loan_rate(self, user, day, clock):
        r = super().loan_rate(user, day, clock)
        return r + (0.01 if user.kind == "mixed" else 0.0)

    def draw_loan(self, user, t, rng, clock):
        if user.kind == "mixed" and rng.random() < 0.04:
            f = self.loan_fields(user, t, rng, clock, rng.choice(("cash_loan", "installment")), "web")
            f["amount"] = user.traits["oneoff_amt"] * rng.uniform(0.5, 1.5)
            f["limit"] = 0
            return f
        f = super().draw_loan(user, t, rng, clock)
        if user.kind == "oneoff":
            f["limit"] = 0
        elif f["product"] == "installment":
            f["amount"] = min(user.limit_at(t) * 0.8, user.amt * rng.uniform(3, 10))
        return f

    def loan_fields(self, user, t, rng, clock, product=None, channel=None, term=None):
        f = super().loan_fields(user, t, rng, clock, product, channel, term)
        if user.kind == "oneoff":
            f["limit"] = 0
        return f

    def term_for(self, user, product, rng):
        if user.kind == "oneoff" or (product == "cash_loan" and user.kind == "mixed"):
            return rng.choice((90, 180, 360, 360, 720))
        if product == "installment":
            return rng.choice((90, 180, 360))
        return 30

    def plan(self, user, loan, rng, clock):
        if loan.product == "credit_line":
            d0 = clock.day_of(loan.t, user.zone)
            dues = clock.days_with_dom(user.traits["dom"], d0 + 20, d0 + 60)
            return [(dues[0], loan.amount)]
        return super().plan(user, loan, rng, clock)

    def prestream(self, user, rng, clock):
        out = []
        if user.kind != "revolver":
            for _ in range(rng.choice((0, 1, 1, 2))):
                term = rng.choice((180, 360, 720))
                amt = user.traits.get("oneoff_amt", user.amt)
                out.append(Loan(self.loan_id(user, "installment", rng), -rng.randint(30, term - 20) * DAY,
                                amt * rng.uniform(0.6, 1.4), "installment", term))
        else:
            for _ in range(rng.randint(0, 4)):
                out.append(Loan(self.loan_id(user, "credit_line", rng), -rng.randint(1, 25) * DAY,
                                user.amt * rng.uniform(0.3, 2), "credit_line", 30))
        return out

    def new_device(self, user, rng):
        return "zd%010d" % rng.randrange(10 ** 10)

    def loan_prefix(self, user, product):
        tag = "CL" if product in ("credit_line", "installment") and user.kind != "oneoff" else "OO"
        return "ZL-%s-%d-" % (tag, user.idx)

    def cap(self, user, t):
        lim = user.limit_at(t)
        return lim if lim > 0 else user.traits.get("oneoff_amt", user.amt) * 3

    def stack_products(self, user):
        if user.kind == "oneoff":
            return ["cash_loan", "installment"]
        return ["credit_line", "installment", "cash_loan"]

    def stack_channels(self, user):
        return ["web", "app", "partner", "merchant"]

    def eligible(self, typ, user, t0, clock):
        if typ in ("limit_jump_drain", "merchant_cashout", "credit_cycling", "overdue_escalation"):
            return user.kind != "oneoff" and t0 - user.join_t > 8 * DAY
        return super().eligible(typ, user, t0, clock)

    def colluders(self, clock, rng):
        st = clock.state
        if "colluders" not in st:
            st["colluders"] = ["m-%05d" % rng.randrange(5000, 30000) for _ in range(4)]
        return st["colluders"]

    def extras(self, ev, rng):
        if ev.kind == "loan" and ev.f["credit_limit"] == 0 and rng.random() < 0.5:
            return {"approval_id": "AP%010d" % rng.randrange(10 ** 10)}
        return super().extras(ev, rng)

    def event_id(self, n, ev, rng):
        return "zl-ev-%d-%04x" % (n, rng.getrandbits(16))
