"""Gig-economy lender: daily micro-advances before a shift, repaid from the nightly payout."""

from __future__ import annotations

import math

from ..core import DAY, at
from ..profile import User, device_name
from .base import World


class GigDaily(World):
    name = "gig_daily"
    tag = "gd"
    desc = ("gig-economy lender: riders and drivers (20 % students) take 10-400 CNY advances before a shift "
            "through the platform (partner) or app, repaid from the nightly payout; Fri-Sun peaks; no credit_score")
    typologies = ("loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
                  "overdue_escalation", "business_masquerade")
    strong = False
    products = ("cash_loan", "credit_line")
    channels = ("partner", "app", "web")
    currency = True
    anomalous_share = 0.04
    test_share = 0.5

    def make_user(self, idx, rng):
        student = rng.random() < 0.2
        u = User(idx, f"gd-u{idx:06d}", rng, segment="student" if student else "individual",
                 limit=rng.choice((500, 800, 1000, 1500, 2000, 3000)) * 100, device=device_name(rng),
                 channel="partner" if rng.random() < 0.7 else "app")
        u.work_p = rng.uniform(0.1, 0.3) if student else rng.uniform(0.35, 0.85)
        u.weekend_p = rng.uniform(0.6, 0.9) if student else min(0.95, u.work_p * 1.3)
        u.adv_p = rng.uniform(0.3, 0.9)
        u.mean_amt = rng.uniform(40, 200) if student else rng.uniform(60, 260)
        u.payout = rng.uniform(22.5, 23.8)
        u.shift = rng.uniform(17, 19) if u.night else rng.uniform(6.5, 11)
        u.burst_p = 0.15 if rng.random() < 0.1 else 0.02
        if rng.random() < 0.06:
            u.new_device(at(rng.uniform(3, self.days), 0), device_name(rng))
        return u

    def base(self, u, rng, t):
        return {"product": "cash_loan", "term": 1, "channel": u.channel}

    def typical(self, u):
        return u.mean_amt * 100

    def raise_policy(self, u, limit, good):
        if good in (12, 30) and u.raise_ok:
            return min(int(limit * u.raise_step), u.limit * 2) // 10000 * 10000
        return None

    def normal(self, u, rng):
        out = []
        for d in range(self.days):
            p = u.weekend_p if d % 7 in (4, 5, 6) else u.work_p
            if rng.random() >= p or rng.random() >= u.adv_p:
                continue
            n = 1 + (rng.random() < u.burst_p) + (rng.random() < u.burst_p)
            for j in range(n):
                t = at(d, u.shift - rng.uniform(0, 1.2) + j * rng.uniform(0.5, 4))
                cents = min(u.limit * 0.6, math.exp(rng.gauss(math.log(u.mean_amt), 0.45)) * 100)
                due = t + DAY
                if rng.random() < u.bad_p * 0.5:
                    pl, full = [], False
                elif rng.random() < u.late_p:  # no shift next days: paid from a later payout
                    pl, full = [(due, at(d + rng.randint(2, 4), u.payout), 1.0)], True
                else:
                    pl, full = [(due, at(d, u.payout + rng.uniform(0, 0.15)), 1.0)], True
                out.append(self.loan(u, rng, t, max(1000, cents // 100 * 100), term=1, plan=pl, full=full))
        return out
