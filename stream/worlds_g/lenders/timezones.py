"""multi_timezone: a cross-border lender for overseas workers and students.

Borrowers live in Tokyo, Bangkok, Dubai, India, London, New York (summer time
from 8 March) and Sydney; each event is stamped in the borrower's own offset
(London's app writes "Z", its web "+00:00").  Daily rhythm is local evenings;
workers borrow before pay day and before the Spring Festival (17 February) to send
money home and repay just after pay day; students draw small credit-line amounts and
take occasional tuition instalments.  Amounts are converted from local currency (cents,
with the original currency and amount as extra fields).
"""
from ..clock import DAY
from ..model import Loan, User, lognorm, pick
from .base import Lender, hours

WORKER_ZONES = [("jp", 22), ("cn", 8), ("th", 14), ("ae", 12), ("uk", 14), ("ny", 14),
                ("au", 10), ("in", 6)]
STUDENT_ZONES = [("uk", 30), ("ny", 25), ("au", 25), ("jp", 20)]
CCY = {"cn": ("SGD", 0.19), "jp": ("JPY", 21.5), "th": ("THB", 4.9), "ae": ("AED", 0.51),
       "uk": ("GBP", 0.11), "ny": ("USD", 0.14), "au": ("AUD", 0.21), "in": ("INR", 11.8)}
SPRING_FESTIVAL = 43   # day index of 2026-02-17


class MultiTimezone(Lender):
    name = "multi_timezone"
    code = "tz"
    desc = ("cross-border lender for overseas workers and students in 8 time zones "
            "(offsets incl. Z and DST), pay-day and Spring-Festival rhythm")
    anom_rate = 0.05
    ep_bad = 0.4
    normal_bad = 0.025
    p_dup = 0.006
    p_ooo = 0.02
    presence = {"currency": 0.3, "credit_score": 0.7, "purpose": 0.6,
                "device_id": 0.92, "merchant_id": 0.0, "outstanding": 0.6}
    weights = {"loan_stacking": 2, "borrow_to_repay": 2, "account_takeover": 3,
               "student_overborrowing": 3, "limit_jump_drain": 2, "overdue_escalation": 2,
               "credit_cycling": 1, "device_ring": 1}

    def make_user(self, rng, idx, clock):
        student = rng.random() < 0.3
        u = User(idx, "gx_%010x" % (rng.getrandbits(40) ^ idx), "student" if student else "worker",
                 "student" if student else "individual")
        u.zone = pick(rng, STUDENT_ZONES if student else WORKER_ZONES)
        if student:
            u.limit0 = int(lognorm(rng, 5000, 0.4, 1500, 12000) / 100) * 100
            u.amt = lognorm(rng, 600, 0.5, 100, 2500)
            u.rate = lognorm(rng, 0.08, 0.5, 0.02, 0.25)
            u.products = [("credit_line", 7), ("cash_loan", 2), ("installment", 1)]
            u.hours = hours((11, 14, 1), (20, 23, 3), (0, 1, 2))
        else:
            u.limit0 = int(lognorm(rng, 20000, 0.6, 3000, 120000) / 500) * 500
            u.amt = u.limit0 * rng.uniform(0.1, 0.35)
            u.rate = lognorm(rng, 0.05, 0.6, 0.01, 0.2)
            u.products = [("cash_loan", 6), ("credit_line", 4)]
            u.hours = hours((7, 8, 1), (12, 13, 1), (19, 23, 3))
        u.channels = [("app", 80), ("web", 20)]
        u.devices = [self.new_device(u, rng)]
        if rng.random() < 0.35:
            u.devices.append("pc-%08x" % rng.getrandbits(32))
        u.score = int(lognorm(rng, 650, 0.08, 420, 900))
        u.late_p, u.late_mean = rng.uniform(0.02, 0.1), 2.0
        u.bad_p = rng.uniform(0, 2 * self.normal_bad)
        u.traits = {"money": "cents", "payday": rng.choice((1, 5, 10, 15, 20, 25, 25, 28)),
                    "zulu": u.zone == "uk"}
        if rng.random() < 0.1:
            u.join_t = int(rng.uniform(0, clock.end))
            u.fresh = True
        self.show_fields(u, rng)
        return u

    def _days_to_payday(self, user, day, clock):
        d = clock.date(day)
        pd = user.traits["payday"]
        return (pd - d.day) % 30

    def loan_rate(self, user, day, clock):
        r = super().loan_rate(user, day, clock)
        if user.kind == "worker":
            if self._days_to_payday(user, day, clock) <= 6:
                r *= 1.8
            if SPRING_FESTIVAL - 12 <= day < SPRING_FESTIVAL:
                r *= 2.5
        return r

    def term_for(self, user, product, rng):
        if product == "installment":
            return rng.choice((180, 360))
        return rng.choice((14, 30, 30, 60))

    def draw_loan(self, user, t, rng, clock):
        f = super().draw_loan(user, t, rng, clock)
        if user.kind == "student" and f["product"] == "installment":
            f["amount"] = rng.uniform(12000, 60000)
            f["purpose"] = "education"
            f["limit"] = max(user.limit_at(t), round(f["amount"] * 1.2, -3))
        return f

    def plan(self, user, loan, rng, clock):
        if loan.term <= 62 and user.kind == "worker":
            d0 = clock.day_of(loan.t, user.zone)
            due = d0 + loan.term
            # repaid on the pay day before the due date when there is one
            for back in range(0, loan.term - 3):
                if clock.date(due - back).day == user.traits["payday"]:
                    return [(due - back + rng.choice((0, 0, 1)), loan.amount * 1.02)]
            return [(due, loan.amount * 1.02)]
        return super().plan(user, loan, rng, clock)

    def prestream(self, user, rng, clock):
        out = []
        for _ in range(rng.choice((0, 1, 1, 2))):
            term = rng.choice((14, 30, 60))
            out.append(Loan(self.loan_id(user, "cash_loan"), -int(rng.uniform(1, term) * DAY),
                            user.amt * rng.uniform(0.5, 1.5), "cash_loan", term))
        return out

    def new_device(self, user, rng):
        return "h5-%08x" % rng.getrandbits(32)

    def loan_prefix(self, user, product):
        return "gxl_%d_" % user.idx

    def attacker_zone(self, user, rng, s):
        if user.zone != "cn" and rng.random() < 0.4 + 0.5 * s:
            return "cn"
        return None

    def stack_channels(self, user):
        return ["app", "web"]

    def ring_channels(self):
        return ("app",)

    def life_events(self, user, rng, clock):
        super().life_events(user, rng, clock)
        if user.zone != "cn" and rng.random() < 0.12:
            start = (SPRING_FESTIVAL - rng.randint(2, 8)) * DAY
            user.traits["home"] = (start, start + rng.randint(7, 16) * DAY)

    def zone_at(self, user, t):
        home = user.traits.get("home")
        if home and home[0] <= t < home[1]:
            return "cn"
        return user.zone

    def zulu(self, ev):
        return ev.kind == "repayment" or ev.f.get("channel") != "web"


    def extras(self, ev, rng):
        if rng.random() < 0.6:
            ccy, rate = CCY[ev.user.zone]
            return {"orig_currency": ccy, "orig_amount": round(float(ev.amount) * rate, 2)}
        return None

    def event_id(self, n, ev, rng):
        h = "%032x" % rng.getrandbits(128)
        return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])
