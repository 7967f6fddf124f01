"""Cross-border e-commerce seller lender: inventory loans that swing with a shopping festival."""

from __future__ import annotations

import math

from ..core import DAY, at, calendar
from ..profile import User, device_name, plan
from .base import World


class CrossBorderSeller(World):
    name = "crossborder_seller"
    tag = "cb"
    desc = ("cross-border e-commerce seller lender: small_business merchant_loans of 5k-2M CNY, 30-180 day terms; "
            "stock-up borrowing x3 in the 3 weeks before a shopping festival inside the test window, early "
            "repayment from festival sales, a Lunar New Year lull; platform pre-festival limit raises")
    typologies = ("loan_stacking", "borrow_to_repay", "account_takeover", "limit_jump_drain",
                  "overdue_escalation", "token_repayment", "score_slide_borrowing")
    products = ("merchant_loan", "cash_loan", "credit_line")
    channels = ("partner", "web", "app")
    anomalous_share = 0.05
    test_share = 0.45

    def setup(self):
        self.fest = self.H + max(1, self.T // 2 - 1)
        lny = (calendar(0).replace(month=2, day=17) - calendar(0)).days
        self.lull = (lny - 3, lny + 6)

    def make_user(self, idx, rng):
        r = rng.random()
        ch = "partner" if r < 0.6 else ("web" if r < 0.9 else "app")
        limit = min(5_000_000, max(20_000, math.exp(rng.gauss(math.log(300_000), 1.0))))
        u = User(idx, f"cb-u{idx:06d}", rng, segment="small_business", purpose="business", limit=limit * 100,
                 score=int(min(920, max(450, rng.gauss(680, 50)))), device=device_name(rng) if ch == "app" else None,
                 channel=ch)
        u.gap = rng.uniform(8, 25)
        u.share = rng.uniform(0.1, 0.35)
        u.monthly = rng.random() < 0.5
        u.sells_fest = rng.random() < 0.75
        if u.sells_fest and rng.random() < 0.4:  # platform raises limits ahead of the festival
            u.limit_events.append((at(self.fest - rng.uniform(10, 16), 3), rng.uniform(1.3, 1.8)))
        return u

    def base(self, u, rng, t):
        return {"product": "merchant_loan", "term": rng.choice((30, 60, 90)), "channel": u.channel}

    def typical(self, u):
        return u.limit * u.share

    def normal(self, u, rng):
        out = []
        day = rng.uniform(0, u.gap)
        f = self.fest
        while day < self.days:
            d = int(day)
            gap = u.gap
            mult = 1.0
            if self.lull[0] <= d <= self.lull[1] and rng.random() < 0.8:
                day = self.lull[1] + rng.uniform(0, 3)
                continue
            if u.sells_fest and f - 21 <= d < f:
                gap, mult = u.gap / 3, rng.uniform(1.3, 2.0)
            elif u.sells_fest and f <= d <= f + 10:
                gap = u.gap * 2
            t = at(d, u.hour(rng))
            cents = u.limit * u.share * mult * math.exp(rng.gauss(0, 0.3))
            term = rng.choice((30, 60, 90, 120, 180))
            n = term // 30 if u.monthly else 1
            pl, full = plan(rng, u, t, term, n)
            if full and u.sells_fest and d < f and rng.random() < 0.5:  # festival sales pay it off early
                early = at(f + rng.uniform(3, 9), u.pay_hour)
                if early < t + term * DAY:
                    pl = [x for x in pl if x[1] < early] + [(t + term * DAY, early, 1.0)]
            prod = "merchant_loan" if rng.random() < 0.8 else rng.choice(("cash_loan", "credit_line"))
            out.append(self.loan(u, rng, t, cents, product=prod, term=term, plan=pl, full=full))
            day += gap * rng.uniform(0.5, 1.5)
        return out
