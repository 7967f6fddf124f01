"""silver_pension: a city bank's pension-backed credit for retirees.

Unusual normal behaviour: extremely regular -- morning purchases at
neighbourhood pharmacies and markets on the credit line, a small bridge loan
a few days before the city's pension day, everything auto-debited on pension
day at about 08:00 and never late; bigger loans are pledges against wealth
products taken at a branch counter on weekday office hours.  The Spring
Festival is the one disturbance: new-year shopping, red envelopes for the
grandchildren, and visiting children who borrow from a parent's app on their
own phones (a new device that is not fraud).
"""
from __future__ import annotations

import random

from ..ledger import Ctx
from ..model import Ev, User
from ..timeline import DAY, HOLIDAY, at, day_of_month, is_workday, weekday
from .base import World, hexid, poisson, round_to, small_hours

PENSION_DAYS = (5, 10, 15, 20, 25)


class SilverPension(World):
    name = "silver_pension"
    description = ("Pension-backed lender for retirees: clockwork morning pharmacy/market draws repaid on the "
                   "city's pension day, branch-counter wealth pledges, children's phones at the festival.")
    anomalous_share = 0.03
    typology_weights = {"loan_stacking": 1, "borrow_to_repay": 1, "account_takeover": 1.6,
                        "student_overborrowing": 0, "limit_jump_drain": 1, "overdue_escalation": 0.8,
                        "merchant_cashout_ring": 1, "synthetic_identity_farm": 0.8, "promo_loop_arbitrage": 0.8}
    products = {"credit_line": 0.5, "cash_loan": 0.35, "wealth_pledge": 0.15}
    channels = {"merchant": 0.45, "partner": 0.3, "app": 0.2, "web": 0.05}
    cash_term = (7, 30)
    rate = 0.045
    promo_steps = (50, 100, 200)

    def event_id(self, n: int) -> str:
        return f"sp:{n:08d}"

    def loan_id(self, n: int, user: User) -> str:
        return f"SPLN-{n:07d}"

    def new_device(self, rng: random.Random) -> str:
        return "ph_" + hexid(rng, 12).upper()

    def new_merchant(self, rng: random.Random) -> str:
        return f"MCH{rng.randint(100000, 999999)}"

    def device_for(self, user: User, channel: str, rng: random.Random) -> str | None:
        if channel in ("app", "web"):
            return user.devices[-1] if user.devices else None
        return None

    def merchant_for(self, user: User, product: str, rng: random.Random) -> str | None:
        d = user.attrs.get("district", 0)
        return f"{rng.choice(('PHA', 'MKT', 'MKT'))}{d:03d}{rng.randint(1, 4)}"

    def purpose_for(self, user: User, product: str, rng: random.Random) -> str | None:
        return "consumption"

    def term_for(self, product: str, rng: random.Random) -> int:
        if product == "wealth_pledge":
            return rng.choice((90, 180, 365))
        return super().term_for(product, rng)

    def loan_hour(self, user: User, rng: random.Random) -> float:
        h = small_hours(rng, 0.007)
        if h is not None:
            return h + 1.0                        # early risers rather than night owls
        return rng.uniform(7.5, 11.5) if rng.random() < 0.75 else rng.uniform(14.5, 17)

    def pay_hour(self, user: User, rng: random.Random) -> float:
        return rng.uniform(8.0, 8.5)

    def fresh_account(self, ctx: Ctx, user: User, rng: random.Random, join_day: int) -> None:
        super().fresh_account(ctx, user, rng, join_day)
        user.attrs.update(district=rng.randint(0, 60), pension=rng.choice(PENSION_DAYS))
        user.limits = [(-1, 0.0)]
        ctx.set_limit(user, join_day * DAY, rng.choice((5000, 8000, 10000)))

    def presence(self, ev: Ev, rng: random.Random) -> None:
        ev.show_currency = True
        ev.show_outstanding = True
        ev.show_score = rng.random() < 0.9
        ev.show_purpose = rng.random() < 0.5

    def population(self, ctx: Ctx) -> list[User]:
        g = self.np_rng(ctx)
        n = ctx.n_users
        score = g.normal(745, 35, n).clip(640, 880)
        district = g.integers(0, max(5, n // 50), n)
        out = []
        for i in range(n):
            r = ctx.rng("pop", i)
            wealth = round_to(r.lognormvariate(11.3, 0.8), 1000) if r.random() < 0.25 else 0
            u = User(idx=i, uid=f"SP{district[i]:03d}{i:06d}", segment="individual", join_day=0,
                     score=int(score[i]), devices=[self.new_device(r)] if r.random() < 0.5 else [],
                     attrs={"district": int(district[i]), "pension": PENSION_DAYS[int(district[i]) % 5],
                            "wealth": wealth, "shop": r.uniform(0.8, 2.6), "bridge": r.random() < 0.4,
                            "early": r.random() < 0.2})
            ctx.set_limit(u, -1, round_to(r.uniform(5000, 30000), 1000) + round_to(wealth * 0.7, 1000))
            out.append(u)
        return out

    def _pension_days(self, u: User, days: int) -> list[int]:
        p = u.attrs["pension"]
        return [d for d in range(days) if day_of_month(d) == p]

    def _next_pension(self, pdays: list[int], d: int) -> int | None:
        for p in pdays:
            if p > d + 2:
                return p
        return None

    def normal(self, ctx: Ctx, u: User) -> None:
        r = ctx.rng("n", u.idx)
        a, days = u.attrs, ctx.days
        pdays = self._pension_days(u, days + 40)
        kid_phone = self.new_device(r) if r.random() < 0.12 else None
        for d in range(days):
            m = 2.0 if 30 <= d < 41 else 0.6 if d in HOLIDAY else 0.8 if weekday(d) >= 5 else 1.0
            for _ in range(poisson(r, a["shop"] / 7 * m)):
                ch = "merchant"
                dev = None
                if u.devices and r.random() < 0.2:
                    ch, dev = "app", u.devices[-1]
                if kid_phone and 38 <= d < 50 and r.random() < 0.5:
                    ch, dev = "app", kid_phone
                lo = ctx.loan(u, at(d, self.loan_hour(u, r)), min(1500, r.lognormvariate(5.0, 0.6)),
                              "credit_line", 30, ch, r, device=dev)
                self._on_pension_day(ctx, u, lo, pdays, d, r)
        if a["bridge"]:
            for p in pdays:
                d = p - r.randint(2, 6)
                if 0 <= d < days and r.random() < 0.85:
                    ch = "partner" if r.random() < 0.6 or not u.devices else "app"
                    hr = r.uniform(9, 16) if ch == "partner" else self.loan_hour(u, r)
                    if ch == "partner" and not is_workday(d):
                        continue
                    lo = ctx.loan(u, at(d, hr), round_to(r.uniform(500, 3000), 100), "cash_loan", p - d, ch, r)
                    ctx.repay(u, lo, at(p, self.pay_hour(u, r)), lo.amount * 1.002, lo.amount, 0)
        if a["wealth"] and r.random() < 0.3:
            d = r.randint(22, 40) if r.random() < 0.6 else r.randint(0, days - 1)
            if is_workday(d) and d < days:
                ctx.loan(u, at(d, r.uniform(9, 16)), round_to(a["wealth"] * r.uniform(0.2, 0.65), 1000),
                         "wealth_pledge", r.choice((90, 180, 365)), "partner", r)

    def _on_pension_day(self, ctx: Ctx, u: User, lo: Ev, pdays: list[int], d: int, r: random.Random) -> None:
        p = self._next_pension(pdays, d)
        if p is None:
            return
        if u.attrs["early"] and p - d > 5 and r.random() < 0.5:
            pd = d + r.randint(1, 4)
            ctx.repay(u, lo, at(pd, r.uniform(9, 11)), lo.amount, lo.amount, 0)
        else:
            ctx.repay(u, lo, at(p, self.pay_hour(u, r)), lo.amount, lo.amount, 0)
