"""acquired_book: a consumer app lender that buys a rival's loan book mid-history.

Native users borrow short bullet cash loans and credit-line draws on the app.
On acquisition day about 40 % of the users appear at once: a migration load of
catch-up repayments into loans the stream never saw disbursed, then monthly
instalments on each borrower's own due day, written by the legacy core (cents,
outstanding always sent, `src`/`legacy_acct` extras, different id styles, habitual
small lateness).  Acquired borrowers rarely take new loans and come without devices
until they install the app.
"""
from ..clock import DAY, HOUR
from ..model import Loan, User, lognorm
from .base import Lender, hours


class AcquiredBook(Lender):
    name = "acquired_book"
    code = "ab"
    desc = ("app lender buys a rival's book mid-history: 40% of users appear at once "
            "repaying unseen legacy instalment loans on their own monthly habits")
    anom_rate = 0.045
    ep_bad = 0.35
    normal_bad = 0.02
    p_dup = 0.005
    p_ooo = 0.015
    weights = {"loan_stacking": 3, "borrow_to_repay": 2, "account_takeover": 3,
               "limit_jump_drain": 2, "overdue_escalation": 2, "credit_cycling": 1,
               "merchant_cashout": 1, "device_ring": 1}

    def acq_day(self, clock):
        return max(2, int(round(clock.history_days * 0.55)))

    def make_user(self, rng, idx, clock):
        if rng.random() < 0.4:
            return self._acquired(rng, idx, clock)
        sb = rng.random() < 0.1
        u = User(idx, "u-%06d" % (100000 + idx), "native", "small_business" if sb else "individual")
        u.limit0 = int(lognorm(rng, 12000, 0.7, 2000, 80000) / 500) * 500
        u.amt = u.limit0 * rng.uniform(0.1, 0.35)
        u.rate = lognorm(rng, 0.07, 0.6, 0.01, 0.3)
        u.products = [("cash_loan", 5), ("credit_line", 4)] + ([("merchant_loan", 4)] if sb else [])
        u.channels = [("app", 80), ("web", 14), ("merchant", 6)]
        u.devices = [self.new_device(u, rng)]
        if rng.random() < 0.25:
            u.devices.append(self.new_device(u, rng))
        u.hours = hours((10, 18, 1), (19, 23, 3))
        u.score = int(lognorm(rng, 660, 0.08, 450, 900))
        u.late_p, u.late_mean = rng.uniform(0.02, 0.12), 2.5
        u.bad_p = rng.uniform(0, 2 * self.normal_bad)
        u.traits = {"money": "int", "merchants": tuple("m-%04d" % rng.randrange(400) for _ in range(3))}
        if rng.random() < 0.12:
            u.join_t = int(rng.uniform(0, clock.end))
            u.fresh = True
        self.show_fields(u, rng)
        return u

    def _acquired(self, rng, idx, clock):
        u = User(idx, "ACQ.%07d" % (3000000 + idx * 7), "acquired", "individual")
        u.join_t = self.acq_day(clock) * DAY + 9 * HOUR   # the feed switches over
        u.limit0 = int(lognorm(rng, 40000, 0.6, 8000, 250000) / 1000) * 1000
        u.amt = u.limit0 * rng.uniform(0.2, 0.5)
        u.rate = lognorm(rng, 0.008, 0.7, 0.001, 0.04)
        u.products = [("installment", 6), ("cash_loan", 3)]
        u.channels = [("web", 55), ("app", 45)]
        u.devices = [] if rng.random() < 0.5 else [self.new_device(u, rng)]
        u.hours = hours((8, 11, 2), (12, 21, 1))
        u.score = int(lognorm(rng, 640, 0.08, 450, 900)) if rng.random() < 0.5 else None
        habitual = rng.random() < 0.3
        u.late_p, u.late_mean = (rng.uniform(0.4, 0.9), 3.0) if habitual else (0.05, 2.0)
        u.bad_p = rng.uniform(0, 2 * self.normal_bad)
        u.traits = {"money": "cents", "dom": rng.randint(1, 28),
                    "legacy": "LA%09d" % rng.randrange(10 ** 9)}
        self.show_fields(u, rng, {"outstanding": 1.0, "currency": 0.9, "credit_score": 1.0,
                                  "device_id": 0.9})
        return u

    def new_device(self, user, rng):
        return "ab-%010x" % rng.getrandbits(40)

    def loan_prefix(self, user, product):
        if user.kind == "acquired":
            return "LGC:%s:" % user.traits["legacy"]
        return "l-%d-" % user.idx

    def prestream(self, user, rng, clock):
        if user.kind == "native":
            out = []
            for _ in range(rng.choice((0, 0, 1, 1, 2))):
                term = rng.choice((14, 30, 30, 60))
                t = -int(rng.uniform(1, term) * DAY)
                out.append(Loan(self.loan_id(user, "cash_loan", rng), t,
                                user.amt * rng.uniform(0.5, 1.5), "cash_loan", term))
            return out
        out = []
        for _ in range(rng.choice((1, 1, 2, 3))):
            term = rng.choice((360, 720, 1080))
            age = rng.randint(40, term - 30)
            out.append(Loan(self.loan_id(user, "installment", rng), -age * DAY,
                            user.amt * rng.uniform(0.6, 2.0), "installment", term))
        return out

    def plan(self, user, loan, rng, clock):
        if user.kind != "acquired" or loan.term <= 62:
            return super().plan(user, loan, rng, clock)
        n = loan.term // 30
        each = loan.amount * 1.06 / n
        d_acq = self.acq_day(clock)
        dues = [d for d in clock.days_with_dom(user.traits["dom"], clock.day_of(loan.t) + 20,
                                               clock.days + 40)]
        out = []
        if loan.t < 0:   # migration load: the pending instalment settles on acquisition day
            out.append((d_acq, each))
            dues = [d for d in dues if d > d_acq + 5]
        out.extend((d, each) for d in dues)
        return out

    def repay_clock(self, user, day, rng, clock):
        if user.kind == "acquired" and day == self.acq_day(clock):
            return clock.at(day, 9 * HOUR + rng.randrange(HOUR))   # the migration hour
        return super().repay_clock(user, day, rng, clock)

    def loan_fields(self, user, t, rng, clock, product=None, channel=None, term=None):
        f = super().loan_fields(user, t, rng, clock, product, channel, term)
        if user.kind == "acquired" and f["device"] is None and user.devices and rng.random() < 0.5:
            f["device"] = user.devices[0]
        return f

    def term_for(self, user, product, rng):
        if user.kind == "acquired" and product == "installment":
            return rng.choice((180, 360, 720))
        return super().term_for(user, product, rng)

    def stack_channels(self, user):
        return ["app", "web", "merchant"]

    def eligible(self, typ, user, t0, clock):
        if typ == "device_ring":
            return user.kind == "native"
        if typ == "merchant_cashout":
            return user.kind == "native" and t0 - user.join_t > 5 * DAY
        return super().eligible(typ, user, t0, clock)

    def extras(self, ev, rng):
        if ev.user.kind == "acquired":
            x = {"src": "legacy_core"}
            if rng.random() < 0.3:
                x["legacy_acct"] = ev.user.traits["legacy"]
            return x
        return super().extras(ev, rng)

    def event_id(self, n, ev, rng):
        if ev.user.kind == "acquired":
            return "lgc-evt:%012x" % rng.getrandbits(48) + "-%d" % n
        return "e-%08d" % n
