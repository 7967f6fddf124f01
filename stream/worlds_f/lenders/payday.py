"""Salary-advance lender: draw a fixed number of days before payday, auto-repaid on payday."""

from __future__ import annotations

import math

from ..core import DAY, at, calendar
from ..profile import User, device_name, pay_time, plan
from .base import World


class PaydayAdvance(World):
    name = "payday_advance"
    tag = "pa"
    desc = ("salary-advance lender: users draw a near-fixed share of salary a fixed 1-7 days before a monthly, "
            "semi-monthly or weekly payday and are auto-debited at ~06:00 on payday; highly regular")
    typologies = ("loan_stacking", "borrow_to_repay", "account_takeover", "limit_jump_drain",
                  "overdue_escalation", "token_repayment", "score_slide_borrowing")
    products = ("cash_loan", "credit_line")
    channels = ("app", "web", "partner")
    test_share = 0.33

    def make_user(self, idx, rng):
        salary = min(60000, math.exp(rng.gauss(8.6, 0.35)))
        dev = device_name(rng) if rng.random() < 0.9 else None
        u = User(idx, f"pa-u{idx:06d}", rng, limit=salary * 50, score=int(min(900, max(420, rng.gauss(640, 60)))),
                 device=dev, channel="app" if dev else "web")
        r = rng.random()
        if r < 0.6:
            dom = rng.choice((1, 5, 10, 15, 20, 25, 28))
            u.paydays = [d for d in range(-35, self.days + 40) if calendar(d).day == dom]
            u.lead = rng.randint(2, 7)
        elif r < 0.85:
            u.paydays = [d for d in range(-35, self.days + 40) if calendar(d).day in (1, 16)]
            u.lead = rng.randint(2, 5)
        else:
            u.paydays = [d for d in range(-35, self.days + 40) if d % 7 == 4]
            u.lead = rng.randint(1, 3)
        u.share = rng.uniform(0.5, 0.9)
        u.draw_p = rng.uniform(0.75, 0.98)
        u.auto_hour = rng.uniform(5.9, 6.4)
        u.topup_p = 0.35 if rng.random() < 0.1 else 0.03
        if dev and rng.random() < 0.05:
            u.new_device(at(rng.uniform(5, self.days), 0), device_name(rng))
        return u

    def next_payday(self, u, t):
        d = t // DAY
        return next((p for p in u.paydays if p > d), d + 30)

    def base(self, u, rng, t):
        return {"product": "cash_loan", "term": self.next_payday(u, t) - t // DAY, "channel": u.channel}

    def typical(self, u):
        return u.limit * u.share

    def _repay(self, u, rng, t, payday):
        term = payday - t // DAY
        if rng.random() < u.bad_p:
            return plan(rng, u, t, term, 1, bad_p=1.0)
        due = at(payday, 0)
        if rng.random() < u.early_p * 0.3:
            return [(due, t + (due - t) * rng.uniform(0.3, 0.9), 1.0)], True
        pay = at(payday, u.auto_hour + rng.uniform(0, 0.4))
        if rng.random() < u.late_p:  # auto-debit failed, paid by hand later
            pay = pay_time(rng, u, due, 1.0)
        elif rng.random() < 0.03:  # payroll delayed
            pay += rng.randint(1, 3) * DAY
        return [(due, pay, 1.0)], True

    def normal(self, u, rng):
        out = []
        prev = u.paydays[0]
        for p in u.paydays[1:]:
            if p - 40 > self.days:
                break
            if rng.random() < u.draw_p:
                d = p - u.lead + (rng.choice((-1, 1)) if rng.random() < 0.1 else 0)
                if prev < d < p and d >= 0:
                    t = at(d, u.hour(rng))
                    big = rng.random() < 0.02  # emergency: nearly the whole limit
                    cents = u.limit * (rng.uniform(0.9, 1.0) if big else u.share * rng.uniform(0.97, 1.03))
                    pl, full = self._repay(u, rng, t, p)
                    out.append(self.loan(u, rng, t, cents, term=p - d, plan=pl, full=full))
                    if rng.random() < u.topup_p and d - prev > 2:
                        t2 = at(rng.randint(prev + 1, d - 1), u.hour(rng))
                        pl, full = self._repay(u, rng, t2, p)
                        out.append(self.loan(u, rng, t2, u.limit * rng.uniform(0.1, 0.25), term=p - t2 // DAY,
                                             plan=pl, full=full))
            prev = p
        return out
