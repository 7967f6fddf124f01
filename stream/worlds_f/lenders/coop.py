"""Rural cooperative: group loans taken the same day at the same agent, repaid at group meetings."""

from __future__ import annotations

from random import Random

from ..core import DAY, HOUR, at
from ..profile import User, device_name
from .base import World


class Group:
    def __init__(self, rng, g: int, days: int):
        self.agent = f"ag-{g // 3:05d}"  # an agent serves about three groups
        self.device = f"pos-{rng.getrandbits(40):010x}"  # the agent's tablet, shared by the group
        self.days = [rng.uniform(2, days - 3)]
        if rng.random() < 0.45:
            self.days.append(rng.uniform(2, days - 3))
        self.term = rng.choice((90, 120, 180))
        self.amount = rng.uniform(3000, 20000)
        self.hour = rng.uniform(8.5, 15)
        self.product = rng.choice(("merchant_loan", "installment", "cash_loan"))
        self.monthly = rng.random() < 0.6


class RuralCoop(World):
    name = "coop_group"
    tag = "rc"
    desc = ("rural cooperative: groups of 4-8 members borrow the same day at the same agent (channel merchant, "
            "merchant_id = agent, the agent's shared tablet as device_id) with the same 90-180 day term and "
            "repay together at monthly meetings; some members also borrow small sums by app; 40 % have no "
            "credit_score; repayments carry no outstanding")
    typologies = ("loan_stacking", "borrow_to_repay", "limit_jump_drain", "overdue_escalation",
                  "business_masquerade", "score_slide_borrowing")
    strong = False
    products = ("cash_loan", "merchant_loan", "installment")
    channels = ("merchant", "app", "partner")
    outstanding = False
    anomalous_share = 0.045
    test_share = 0.18

    def setup(self):
        self.member_group = []
        g = 0
        while len(self.member_group) < self.users:
            self.member_group.extend([g] * self.rng.randint(4, 8))
            g += 1
        self.groups = [Group(Random(f"F|{self.name}|{self.seed}|g{i}"), i, self.days) for i in range(g)]

    def make_user(self, idx, rng):
        g = self.groups[self.member_group[idx]]
        phone = rng.random() < 0.5
        u = User(idx, f"rc-u{idx:06d}", rng, segment="small_business" if rng.random() < 0.15 else "individual",
                 purpose="business", limit=g.amount * rng.uniform(1.3, 2.2) * 100,
                 score=int(min(880, max(400, rng.gauss(610, 55)))) if rng.random() < 0.6 else None,
                 device=device_name(rng) if phone else None, channel="app" if phone else "partner")
        u.group = g
        u.app_loans = rng.randint(1, 3) if phone and rng.random() < 0.35 else 0
        return u

    def base(self, u, rng, t):
        return {"product": "cash_loan", "term": 30, "channel": u.channel, "purpose": "consumption"}

    def typical(self, u):
        return u.group.amount * 100

    def pick_merchant(self, u, rng):
        return u.group.agent

    def normal(self, u, rng):
        g = u.group
        out = []
        for day in g.days:
            if rng.random() > 0.92:
                continue
            t = at(int(day), g.hour + rng.uniform(0, 1.5))
            n = g.term // 30 if g.monthly else 1
            pl = []
            for k in range(n):
                due = t + (k + 1) * g.term // n * DAY
                meet = due - due % DAY + int((g.hour + rng.uniform(0, 2)) * HOUR)
                if rng.random() < u.late_p:
                    meet += int((1 + rng.expovariate(1 / u.late_mean)) * DAY)
                pl.append((due, meet, 1 / n))
            full = True
            if rng.random() < u.bad_p:
                pl, full = pl[: rng.randint(0, n - 1)], False
            cents = g.amount * rng.uniform(0.85, 1.15) * 100 // 50000 * 50000
            out.append(self.loan(u, rng, t, cents, product=g.product, term=g.term, channel="merchant",
                                 merchant=g.agent, device=g.device, purpose="business", plan=pl, full=full))
        for _ in range(u.app_loans):
            t = at(rng.uniform(0, self.days), u.hour(rng))
            due = t + 30 * DAY
            pay = due - due % DAY + int(u.pay_hour * HOUR)
            if rng.random() < u.late_p:
                pay += int((1 + rng.expovariate(1 / u.late_mean)) * DAY)
            out.append(self.loan(u, rng, t, rng.uniform(300, 3000) * 100, plan=[(due, pay, 1.0)]))
        return out
