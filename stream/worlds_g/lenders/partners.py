"""partner_blind: a lender fed only by partner platforms.

Every loan arrives through one of twelve partner platforms (channel "partner"),
which never pass on a device id or a credit score and seldom the purpose or
currency.  Each event carries the partner's own fields (`partner_code`,
`partner_order_no`, sometimes a nested `ext` object); three partners stamp times
with milliseconds and two write JSON with spaces.  A borrower can be served by one
to three partners; loans are short cash loans or 3/6/12-month instalments.
"""
from ..clock import DAY
from ..model import Loan, User, lognorm, pick
from .base import Lender, hours

PARTNERS = [("P%02d" % i, w) for i, w in enumerate((30, 22, 15, 10, 8, 6, 5, 4, 3, 3, 2, 2), 1)]
MS_PARTNERS = ("P03", "P07", "P11")
SPACED_PARTNERS = ("P02", "P09")


class PartnerBlind(Lender):
    name = "partner_blind"
    code = "pb"
    desc = ("partner-platform-only lender: channel always partner, never device_id or "
            "credit_score, partner extra fields, millisecond stamps from some partners")
    anom_rate = 0.04
    ep_bad = 0.5
    normal_bad = 0.03
    p_dup = 0.012
    p_ooo = 0.03
    presence = {"currency": 0.1, "credit_score": 0.0, "purpose": 0.35,
                "device_id": 0.0, "merchant_id": 0.0, "outstanding": 0.25}
    weights = {"loan_stacking": 4, "borrow_to_repay": 3, "limit_jump_drain": 2,
               "overdue_escalation": 3, "credit_cycling": 2}

    def make_user(self, rng, idx, clock):
        sb = rng.random() < 0.08
        u = User(idx, "pb.%d" % (700000 + idx * 3), "borrower", "small_business" if sb else "individual")
        u.limit0 = int(lognorm(rng, 8000, 0.6, 1000, 50000) / 100) * 100
        u.amt = u.limit0 * rng.uniform(0.15, 0.45)
        u.rate = lognorm(rng, 0.05, 0.6, 0.01, 0.2)
        u.products = [("cash_loan", 6), ("credit_line", 3), ("installment", 1)]
        if sb:
            u.products.append(("merchant_loan", 4))
        u.channels = [("partner", 1)]
        u.hours = hours((9, 12, 1), (13, 18, 2), (19, 23, 2))
        u.score = None
        u.late_p, u.late_mean = rng.uniform(0.03, 0.15), 3.0
        u.bad_p = rng.uniform(0, 2 * self.normal_bad)
        first = pick(rng, PARTNERS)
        mine = [first] + [pick(rng, PARTNERS) for _ in range(rng.choice((0, 0, 1, 2)))]
        u.traits = {"money": rng.choice(("int", "tenth")), "partners": mine}
        if rng.random() < 0.15:
            u.join_t = int(rng.uniform(0, clock.end))
            u.fresh = True
        self.show_fields(u, rng)
        return u

    def term_for(self, user, product, rng):
        if product in ("installment", "merchant_loan"):
            return rng.choice((90, 180, 360))
        if rng.random() < 0.04:
            return rng.choice((1, 2, 3))    # one partner's overnight bridge loans
        return rng.choice((7, 14, 14, 30))

    def loan_fields(self, user, t, rng, clock, product=None, channel=None, term=None):
        f = super().loan_fields(user, t, rng, clock, product, "partner", term)
        f["device"] = None
        code = rng.choice(user.traits["partners"])
        f["loan_id"] = "%s-%d-\x00%d" % (code, user.idx, user.next_seq())
        f["x"] = {"partner_code": code, "partner_order_no": "%s%014d" % (code, rng.randrange(10 ** 14))}
        if rng.random() < 0.1:
            f["x"]["ext"] = {"sub_channel": rng.choice(("mini_program", "h5", "sdk")), "ver": "2.3"}
        return f

    def prestream(self, user, rng, clock):
        out = []
        for _ in range(rng.choice((0, 1, 1, 2))):
            term = rng.choice((14, 30, 90, 180))
            out.append(Loan(self.loan_id(user, "cash_loan", rng), -int(rng.uniform(1, term - 1) * DAY),
                            user.amt * rng.uniform(0.5, 1.5), "cash_loan", term))
        return out

    def loan_prefix(self, user, product):
        return "%s-%d-" % (user.traits["partners"][0], user.idx)

    def _code(self, ev):
        if ev.x and "partner_code" in ev.x:
            return ev.x["partner_code"]
        return ev.loan_id.split("-", 1)[0]

    def stamp_ms(self, ev, rng):
        return rng.randrange(1000) if self._code(ev) in MS_PARTNERS else None

    def json_style(self, ev):
        return (", ", ": ") if self._code(ev) in SPACED_PARTNERS else (",", ":")

    def extras(self, ev, rng):
        if ev.kind == "repayment":
            x = {"partner_code": self._code(ev)}
            if rng.random() < 0.05:
                x["coupon_id"] = None
            return x
        return None

    def stack_channels(self, user):
        return ["partner"]

    def stack_products(self, user):
        return ["cash_loan", "credit_line", "installment"]

    def eligible(self, typ, user, t0, clock):
        if typ == "loan_stacking" and len(user.traits["partners"]) < 2 and user.idx % 2:
            return False
        return super().eligible(typ, user, t0, clock)

    def event_id(self, n, ev, rng):
        return "%s:%010d" % (self._code(ev), 10 ** 9 + n)
