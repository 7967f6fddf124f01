"""Consumer lender that migrates its app in the test window: every app user gets a new device_id."""

from __future__ import annotations

import math

from ..core import DAY, at
from ..profile import User, device_name, plan
from .base import World


class AppMigration(World):
    name = "app_migration"
    tag = "am"
    desc = ("consumer cash/credit-line lender, 45 % web users without device_id; early in the test window the "
            "app is replaced and every app user appears with a new device_id within ~5 days (some fall back to "
            "web during the cut-over); monthly score drift; some re-borrow right after repaying")
    typologies = ("loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
                  "limit_jump_drain", "business_masquerade", "token_repayment", "score_slide_borrowing")
    products = ("cash_loan", "credit_line")
    channels = ("app", "web", "partner")
    anomalous_share = 0.045
    test_share = 0.45
    currency = True

    def setup(self):
        self.migrate = self.H + min(3, max(0, self.T // 3))

    def make_user(self, idx, rng):
        student = rng.random() < 0.15
        web = rng.random() < 0.45
        limit = rng.uniform(1000, 5000) if student else math.exp(rng.gauss(math.log(9000), 0.7))
        u = User(idx, f"am-u{idx:06d}", rng, segment="student" if student else "individual",
                 purpose="education" if student and rng.random() < 0.5 else "consumption",
                 limit=min(200000, limit) * 100, score=int(min(930, max(380, rng.gauss(650, 60)))),
                 device=None if web else device_name(rng), channel="web" if web else "app")
        u.score_drift = rng.choice((-8, -3, 0, 0, 3, 6))
        if not web:
            if rng.random() < 0.06:
                u.new_device(at(rng.uniform(2, self.migrate), 0), device_name(rng))
            u.new_device(at(self.migrate + min(5.0, rng.expovariate(1 / 1.2)), rng.uniform(0, 24)),
                         device_name(rng, "n"))
            u.fallback = rng.random() < 0.15
        u.rate = math.exp(rng.gauss(math.log(2.0), 0.6)) / 30
        u.burst_day = rng.uniform(0, self.days) if rng.random() < 0.05 else -1
        u.reborrow_p = 0.4 if rng.random() < 0.15 else 0.0
        return u

    def base(self, u, rng, t):
        if u.channel == "app" and getattr(u, "fallback", False) and 0 <= t / DAY - self.migrate < 1.5:
            return {"product": "cash_loan", "term": 30, "channel": "web", "device": None}
        return {"product": "cash_loan", "term": rng.choice((7, 14, 30, 30, 90)), "channel": u.channel}

    def typical(self, u):
        return u.limit * 0.2

    def _loan(self, u, rng, t, cents):
        f = self.base(u, rng, t)
        term = f["term"]
        pl, full = plan(rng, u, t, term, max(1, term // 30))
        prod = "credit_line" if rng.random() < 0.35 else "cash_loan"
        return self.loan(u, rng, t, cents, product=prod, term=term, plan=pl, full=full,
                         channel=f["channel"], device=f.get("device", u.device_at(t)))

    def normal(self, u, rng):
        out = []
        day = rng.expovariate(u.rate)
        while day < self.days:
            t = at(int(day), u.hour(rng))
            cents = min(u.limit * 0.8, u.limit * 0.2 * math.exp(rng.gauss(0, 0.6)))
            it = self._loan(u, rng, t, max(10000, cents))
            out.append(it)
            if it.plan and rng.random() < u.reborrow_p:  # borrows again right after repaying
                pt = int(max(p[1] for p in it.plan)) + int(rng.uniform(0.02, 2) * 3600)
                out.append(self._loan(u, rng, pt, max(10000, cents * rng.uniform(0.8, 1.3))))
            day += rng.expovariate(u.rate)
        if u.burst_day >= 0:
            for _ in range(rng.randint(2, 4)):
                t = at(int(u.burst_day), u.hour(rng))
                out.append(self._loan(u, rng, t, u.limit * rng.uniform(0.05, 0.15)))
        return out
