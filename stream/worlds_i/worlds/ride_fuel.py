"""ride_fuel: a ride-hailing platform's daily working-capital line for drivers.

Unusual normal behaviour: almost every working day a driver draws a small sum
for charging or fuel at the start of a shift -- at dawn, or in the evening and
again after midnight for night-shift drivers -- and the platform's settlement
run takes it back from the day's earnings at about 03:30 (stamped by a UTC
server, so those repayments carry a +00:00 offset).  Limits creep up by
automatic steps every few weeks; many drivers go home for the Spring Festival
while those who stay work harder; new drivers are onboarded all the time.
"""
from __future__ import annotations

import random

from ..ledger import Ctx
from ..model import Ev, User
from ..timeline import DAY, HOUR, HOLIDAY, at, hour_of
from .base import World, hexid, round_to

SEGS = ("individual", "small_business", "student")


class RideFuel(World):
    name = "ride_fuel"
    description = ("Ride-hailing drivers' daily fuel/charging line: dawn and after-midnight draws, "
                   "03:30 UTC-stamped settlement, stepwise limit creep, drivers leaving for the festival.")
    anomalous_share = 0.05
    typology_weights = {"loan_stacking": 1.2, "borrow_to_repay": 1, "account_takeover": 1.2,
                        "student_overborrowing": 0.6, "limit_jump_drain": 1, "overdue_escalation": 1,
                        "merchant_cashout_ring": 1.2, "synthetic_identity_farm": 1, "promo_loop_arbitrage": 1}
    products = {"credit_line": 0.6, "cash_loan": 0.4}
    channels = {"app": 0.5, "merchant": 0.5}
    cash_term = (1, 14)
    rate = 0.18
    promo_steps = (50, 88, 100, 200)

    def event_id(self, n: int) -> str:
        return f"rf-{n:08x}"

    def loan_id(self, n: int, user: User) -> str:
        return f"RFD{n:08d}"

    def new_device(self, rng: random.Random) -> str:
        return "drv-android-" + hexid(rng, 12)

    def new_merchant(self, rng: random.Random) -> str:
        return f"{rng.choice(('chg', 'gas'))}-{rng.randint(1, 699):04d}"

    def device_for(self, user: User, channel: str, rng: random.Random) -> str | None:
        return user.devices[-1] if user.devices else None

    def merchant_for(self, user: User, product: str, rng: random.Random) -> str | None:
        st = user.attrs.get("stations", [1])
        return f"{'chg' if user.attrs.get('ev', True) else 'gas'}-{rng.choice(st):04d}"

    def purpose_for(self, user: User, product: str, rng: random.Random) -> str | None:
        return "business"

    def loan_hour(self, user: User, rng: random.Random) -> float:
        sh = user.attrs.get("shift", "day")
        if sh == "day":
            return rng.uniform(5.5, 8.5) if rng.random() < 0.7 else rng.uniform(11, 14)
        if sh == "night":
            return rng.uniform(16, 19) if rng.random() < 0.6 else rng.uniform(23, 26) % 24
        return rng.uniform(6, 23)

    def pay_hour(self, user: User, rng: random.Random) -> float:
        return rng.uniform(3.2, 3.9) if rng.random() < 0.8 else rng.uniform(10, 14)

    def fresh_account(self, ctx: Ctx, user: User, rng: random.Random, join_day: int) -> None:
        super().fresh_account(ctx, user, rng, join_day)
        user.segment = "individual"
        user.attrs.update(shift="any", ev=True, stations=[rng.randint(1, 699)])
        user.limits = [(-1, 0.0)]
        ctx.set_limit(user, join_day * DAY, rng.choice((1000, 1500, 2000)))

    def stamp(self, ev: Ev, rng: random.Random) -> None:
        if ev.kind == "repayment" and 2.5 <= hour_of(ev.t) < 5:
            ev.offset_min = 0            # the settlement server writes UTC
            ev.with_ms = True
            ev.ms = rng.randint(0, 999)

    def presence(self, ev: Ev, rng: random.Random) -> None:
        ev.show_outstanding = False
        ev.show_score = rng.random() < 0.2
        ev.show_purpose = rng.random() < 0.5
        ev.show_currency = False

    def population(self, ctx: Ctx) -> list[User]:
        g = self.np_rng(ctx)
        n = ctx.n_users
        seg = g.choice(3, n, p=[0.58, 0.39, 0.03])
        shift = g.choice(3, n, p=[0.55, 0.30, 0.15])
        ev = g.random(n) < 0.6
        newbie = g.random(n) < 0.25
        join = g.integers(0, max(1, ctx.days - 1), n)
        score = g.normal(620, 45, n).clip(480, 760)
        out = []
        for i in range(n):
            r = ctx.rng("pop", i)
            u = User(idx=i, uid=f"driver_{i + 100000}", segment=SEGS[seg[i]],
                     join_day=int(join[i]) if newbie[i] else 0, score=int(score[i]),
                     devices=["drv-android-" + hexid(r, 12)],
                     attrs={"shift": ("day", "night", "any")[shift[i]], "ev": bool(ev[i]),
                            "stations": [r.randint(1, 699) for _ in range(r.randint(1, 4))],
                            "workdays": r.randint(5, 7), "draw": r.uniform(0.35, 0.85),
                            "second": r.uniform(0.05, 0.4), "home": r.random() < 0.55,
                            "means": r.uniform(1500, 3000)})
            ctx.set_limit(u, -1, r.choice((2000, 2500, 3000, 4000, 5000)) if not newbie[i] else 1000)
            out.append(u)
        return out

    def _draw(self, ctx: Ctx, u: User, t: int, r: random.Random) -> None:
        at_station = r.random() < 0.6
        amt = r.uniform(40, 160) if u.attrs["ev"] else r.uniform(150, 400)
        term = 1 if r.random() < 0.7 else 3
        lo = ctx.loan(u, t, amt, "credit_line", term, "merchant" if at_station else "app", r)
        due = t // DAY + term
        settle = t + 2 * HOUR
        sd = settle // DAY + (1 if hour_of(settle) > 3.2 else 0)
        if r.random() < 0.93:
            ctx.repay(u, lo, at(sd, r.uniform(3.2, 3.9)), lo.amount * 1.0005 * term, lo.amount,
                      max(0, sd - due))
        else:                                     # a poor day: settled by hand later
            pd = sd + r.randint(1, 3)
            ctx.repay(u, lo, at(pd, r.uniform(10, 14)), lo.amount * 1.002 * term, lo.amount, max(0, pd - due))

    def normal(self, ctx: Ctx, u: User) -> None:
        r = ctx.rng("n", u.idx)
        a = u.attrs
        days = ctx.days
        off = set(r.sample(range(7), 7 - a["workdays"]))
        leave = (range(r.randint(36, 40), r.randint(47, 53)) if a["home"] else range(0))
        if r.random() < 0.15:                    # car rental instalments from before the window
            bk = ctx.book_loan(u, round_to(r.uniform(20000, 60000), 100), "installment")
            ctx.set_limit(u, -1, ctx.limit_at(u, -1) + bk.amount)
            dom = r.randint(1, 28)
            per = bk.amount / r.randint(12, 24)
            for k in range(3):
                due = dom - 5 + 30 * k
                if 0 <= due < days:
                    late = 0 if r.random() < 0.85 else r.randint(1, 4)
                    ctx.repay(u, bk, at(due + late, r.uniform(9, 21)), per * 1.01, per, late)
        lim = ctx.limit_at(u, 0)
        cap = lim + 15000
        next_step = u.join_day + r.randint(14, 28)
        for d in range(max(0, u.join_day), days):
            if d == next_step:
                lim = min(cap, lim + r.choice((500, 1000)))
                ctx.set_limit(u, at(d, 2), lim)
                next_step = d + r.randint(14, 28)
            if d % 7 in off or d in leave:
                continue
            p = a["draw"] * (1.25 if d in HOLIDAY else 1.0)
            if r.random() < p:
                self._draw(ctx, u, at(d, self.loan_hour(u, r)), r)
                if r.random() < a["second"]:
                    self._draw(ctx, u, at(d, self.loan_hour(u, r)) + r.randint(1, 3) * HOUR, r)
        if r.random() < 0.08 and u.join_day < days - 1:
            d = r.randint(u.join_day, days - 1)
            lo = ctx.loan(u, at(d, r.uniform(10, 20)), round_to(r.uniform(2000, 10000), 500), "cash_loan",
                          90, "app", r)
            ctx.pay_instalments(u, lo, 3, d + 30, 30, lambda k: 0 if r.random() < 0.8 else r.randint(1, 3),
                                lambda k: r.uniform(3.2, 3.9), rate=self.rate)
