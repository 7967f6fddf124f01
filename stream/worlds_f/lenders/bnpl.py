"""BNPL lender: checkout purchases at many merchants split into 4 fortnightly instalments."""

from __future__ import annotations

import bisect
import math

from ..core import DAY, at
from ..profile import User, device_name, plan
from .base import World

N_MERCHANTS = 400


class BnplInstalments(World):
    name = "bnpl_instalments"
    tag = "bn"
    desc = ("BNPL lender: purchases at 400 merchants (Zipf popularity, per-merchant ticket size) through the "
            "merchant channel, 4 fortnightly instalments over 56 days (some 30-day credit_line pay-later); "
            "25 % students; pre-Lunar-New-Year shopping peak; big one-off purchases and early payoffs")
    typologies = ("loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
                  "limit_jump_drain", "overdue_escalation", "token_repayment")
    products = ("installment", "credit_line")
    channels = ("merchant", "app", "web")
    anomalous_share = 0.045
    test_share = 0.45

    def setup(self):
        r = self.rng
        self.tickets = [math.exp(r.gauss(math.log(250), 0.9)) for _ in range(N_MERCHANTS)]
        cum, s = [], 0.0
        for i in range(N_MERCHANTS):
            s += 1 / (i + 1) ** 0.9
            cum.append(s)
        self.cum = cum

    def zipf(self, rng) -> int:
        return min(N_MERCHANTS - 1, bisect.bisect(self.cum, rng.random() * self.cum[-1]))

    def make_user(self, idx, rng):
        student = rng.random() < 0.25
        limit = rng.uniform(1000, 3000) if student else math.exp(rng.gauss(math.log(6000), 0.6))
        dev = device_name(rng) if rng.random() < 0.85 else None
        u = User(idx, f"bn-u{idx:06d}", rng, segment="student" if student else "individual",
                 limit=min(50000, limit) * 100, score=int(min(900, max(380, rng.gauss(600 if student else 660, 55)))),
                 device=dev, channel="merchant")
        u.rate = math.exp(rng.gauss(math.log(2.0), 0.6)) / 30
        u.favs = [self.zipf(rng) for _ in range(5)]
        u.reborrow_p = 0.3 if rng.random() < 0.15 else 0.0
        if dev and rng.random() < 0.05:
            u.new_device(at(rng.uniform(3, self.days), 0), device_name(rng))
        return u

    def merchant_of(self, rng, u) -> int:
        return rng.choice(u.favs) if rng.random() < 0.6 else self.zipf(rng)

    def pick_merchant(self, u, rng):
        return f"m-bn-{self.merchant_of(rng, u):04d}"

    def base(self, u, rng, t):
        return {"product": "installment", "term": 56, "channel": "merchant"}

    def typical(self, u):
        return min(u.limit * 0.4, self.tickets[u.favs[0]] * 100)

    def _purchase(self, u, rng, t, cents, m):
        if rng.random() < 0.8:
            pl, full = plan(rng, u, t, 56, 4)
            return self.loan(u, rng, t, cents, product="installment", term=56, merchant=f"m-bn-{m:04d}",
                             plan=pl, full=full)
        pl, full = plan(rng, u, t, 30, 1)
        return self.loan(u, rng, t, cents, product="credit_line", term=30, merchant=f"m-bn-{m:04d}", plan=pl,
                         full=full)

    def normal(self, u, rng):
        out = []
        day = rng.expovariate(u.rate)
        while day < self.days:
            d = int(day)
            t = at(d, u.hour(rng))
            m = self.merchant_of(rng, u)
            if rng.random() < 0.02:
                cents = u.limit * rng.uniform(0.6, 0.9)
            else:
                cents = min(u.limit * 0.5, self.tickets[m] * math.exp(rng.gauss(0, 0.5)) * 100)
            it = self._purchase(u, rng, t, max(1000, cents), m)
            out.append(it)
            if it.plan and rng.random() < u.reborrow_p:  # shops again right after a payment
                pt = int(it.plan[0][1]) + int(rng.uniform(0.05, 3) * 3600)
                out.append(self._purchase(u, rng, pt, max(1000, cents * rng.uniform(0.5, 1.5)), self.merchant_of(rng, u)))
            peak = 1.8 if 28 <= d <= 42 else 1.0
            day += rng.expovariate(u.rate * peak)
        return out
