"""nightly_batch: a bank whose repayments arrive in a nightly batch.

Salaried clients and small firms take instalment and cash loans in office hours
on weekdays (web, app, partner branches).  Every scheduled repayment of a day is
posted by the core banking batch and stamped at the same second, 23:30:00, then
delivered in a burst over the next minutes; a failed direct debit is retried in
later batches (days_late 1-3).  Only early payoffs made in the app are stamped in
real time, and even those wait for the batch half the time.  All optional fields
are sent except device ids on non-app channels.
"""
from ..clock import DAY, HOUR, Clock
from ..model import Loan, User, lognorm
from .base import Lender, hours

BATCH_SOD = 23 * HOUR + 30 * 60


class NightlyBatch(Lender):
    name = "nightly_batch"
    code = "nb"
    desc = ("bank posting every repayment in a nightly batch stamped at 23:30:00; "
            "office-hours instalment and cash loans, weekday rhythm")
    anom_rate = 0.035
    ep_bad = 0.2
    normal_bad = 0.01
    p_dup = 0.003
    p_ooo = 0.01
    presence = {"currency": 1.0, "credit_score": 1.0, "purpose": 0.85,
                "device_id": 0.9, "merchant_id": 0.0, "outstanding": 1.0}
    weights = {"loan_stacking": 2, "borrow_to_repay": 3, "account_takeover": 2,
               "limit_jump_drain": 3, "overdue_escalation": 3, "credit_cycling": 1,
               "device_ring": 1}

    def make_user(self, rng, idx, clock):
        sme = rng.random() < 0.2
        u = User(idx, "NB%08d" % (idx * 13 + 100000), "sme" if sme else "salaried",
                 "small_business" if sme else "individual")
        u.limit0 = int(lognorm(rng, 200000 if sme else 60000, 0.6, 10000, 2000000) / 1000) * 1000
        u.amt = u.limit0 * rng.uniform(0.1, 0.3)
        u.rate = lognorm(rng, 0.02, 0.6, 0.003, 0.1)
        revolving = rng.random() < 0.4
        u.traits = {"money": "cents" if rng.random() < 0.6 else "int", "revolving": revolving}
        u.products = ([("merchant_loan", 5), ("cash_loan", 2), ("installment", 2)] if sme
                      else [("installment", 4), ("cash_loan", 4)])
        if revolving:
            u.products.append(("credit_line", 6))
        u.channels = [("web", 45), ("app", 35), ("partner", 20)]
        u.devices = [self.new_device(u, rng)]
        u.hours = hours((9, 11, 3), (12, 13, 1), (14, 17, 3))
        u.score = int(lognorm(rng, 700, 0.07, 480, 930))
        u.late_p, u.late_mean = rng.uniform(0.01, 0.06), 1.0
        u.early_p = 0.1
        u.bad_p = rng.uniform(0, 2 * self.normal_bad)
        if rng.random() < 0.06:
            u.join_t = int(rng.uniform(0, clock.end))
            u.fresh = True
        self.show_fields(u, rng)
        return u

    def loan_rate(self, user, day, clock):
        r = user.rate * (3 if user.traits["revolving"] else 1)
        return r * (0.15 if clock.weekday(day) >= 5 else 1.2)

    def draw_loan(self, user, t, rng, clock):
        f = super().draw_loan(user, t, rng, clock)
        if f["product"] == "credit_line":
            f["amount"] = min(f["amount"], user.amt * rng.uniform(0.05, 0.4))
        return f

    def term_for(self, user, product, rng):
        if product in ("installment", "merchant_loan"):
            return rng.choice((180, 360, 360, 720, 1080))
        if product == "credit_line":
            return 30
        return rng.choice((30, 60, 90))

    def prestream(self, user, rng, clock):
        out = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            term = rng.choice((180, 360, 720, 1080))
            age = rng.randint(20, term - 10)
            out.append(Loan(self.loan_id(user, "installment", rng), -age * DAY,
                            user.amt * rng.uniform(0.8, 2.5), "installment", term))
        return out

    def repay_clock(self, user, day, rng, clock):
        return clock.at(day, BATCH_SOD)

    def instant_repay(self, user, t, rng, clock):
        if rng.random() < 0.5:
            day = clock.day_of(t)
            b = clock.at(day, BATCH_SOD)
            return b if b >= t else clock.at(day + 1, BATCH_SOD)
        return t

    def lateness(self, user, rng, clock, due_day):
        if rng.random() < user.late_p:
            return rng.choice((1, 1, 2, 3))
        return 0

    loan_seq_fmt = "%03d"

    def new_device(self, user, rng):
        return "NBDEV%08X" % rng.getrandbits(32)

    def loan_prefix(self, user, product):
        return "NBL%07d" % user.idx

    def loan_fields(self, user, t, rng, clock, product=None, channel=None, term=None):
        f = super().loan_fields(user, t, rng, clock, product, channel, term)
        if f["channel"] != "app":
            f["device"] = None
        return f

    def stack_products(self, user):
        return ["cash_loan", "installment", "credit_line"]

    def stack_channels(self, user):
        return ["web", "app", "partner"]

    def ring_channels(self):
        return ("app",)

    def cap(self, user, t):
        return min(user.limit_at(t), max(user.amt * 5, 20000))

    def eligible(self, typ, user, t0, clock):
        if typ in ("credit_cycling", "limit_jump_drain"):
            return user.traits["revolving"] and super().eligible(typ, user, t0, clock)
        return super().eligible(typ, user, t0, clock)

    def deliver_lag(self, ev, rng):
        if _batched(ev):
            return rng.uniform(0, 420)   # the batch file is published over a few minutes
        return super().deliver_lag(ev, rng)

    def extras(self, ev, rng):
        if _batched(ev):
            day = Clock.date(ev.t // DAY).strftime("%Y%m%d")
            return {"batch_id": "NB" + day, "posting_seq": rng.randrange(1, 99999)}
        return None

    def event_id(self, n, ev, rng):
        return "NBE%012d" % (500000000 + n)



def _batched(ev):
    """A repayment posted by the nightly batch (stamped 23:30:00 local)."""
    return ev.kind == "repayment" and ev.t % DAY == BATCH_SOD
