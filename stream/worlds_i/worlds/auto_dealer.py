"""auto_dealer: a car-finance company and its car-owner credit line.

Unusual normal behaviour: most of the book is car loans opened before the
window, so monthly instalments (thousands of yuan, auto-debited at dawn on a
fixed contract day) point at loans never seen; new car loans are huge
(50k-300k, one to five years), written at dealerships at weekends from the
dealer's own tablet (one device for many customers) and surge before the
Spring Festival; owners draw small sums for charging, tolls and fuel,
spiking on the festival road trips home and back; insurance renewals arrive
from a partner insurer as twelve-month instalments.
"""
from __future__ import annotations

import random

from ..ledger import Ctx
from ..model import Ev, User
from ..timeline import DAY, HOLIDAY, at, day_of_month, weekday
from .base import World, hexid, poisson, round_to, small_hours


class AutoDealer(World):
    name = "auto_dealer"
    description = ("Car-finance company: big weekend dealership instalment loans keyed on the dealer's tablet, "
                   "dawn auto-debits on pre-window car loans, festival road-trip toll and charging draws.")
    anomalous_share = 0.045
    typology_weights = {"loan_stacking": 1, "borrow_to_repay": 1, "account_takeover": 1.2,
                        "student_overborrowing": 0, "limit_jump_drain": 1, "overdue_escalation": 1,
                        "merchant_cashout_ring": 1, "synthetic_identity_farm": 1, "promo_loop_arbitrage": 0.8}
    products = {"credit_line": 0.45, "cash_loan": 0.35, "installment": 0.2}
    channels = {"app": 0.5, "merchant": 0.3, "partner": 0.1, "web": 0.1}
    cash_term = (30, 90)
    rate = 0.06
    promo_steps = (100, 200, 500, 1000)

    def event_id(self, n: int) -> str:
        return f"AD-{n:010d}"

    def loan_id(self, n: int, user: User) -> str:
        return f"ADL{n:09d}"

    def new_device(self, rng: random.Random) -> str:
        return f"{rng.choice(('ios', 'and'))}:{hexid(rng, 14)}"

    def new_merchant(self, rng: random.Random) -> str:
        return f"svc-{rng.randint(1000, 9999)}"

    def device_for(self, user: User, channel: str, rng: random.Random) -> str | None:
        if channel in ("app", "web"):
            return user.devices[-1] if user.devices else None
        if channel == "merchant" and rng.random() < 0.7:
            return f"dlr-tab-{user.attrs.get('dealer', 0):03d}"
        return None

    def merchant_for(self, user: User, product: str, rng: random.Random) -> str | None:
        if product == "installment" or rng.random() < 0.3:
            return f"4S-{user.attrs.get('city', 0):02d}-{user.attrs.get('dealer', 0):03d}"
        return f"chg-{rng.randint(1, 400):04d}"

    def purpose_for(self, user: User, product: str, rng: random.Random) -> str | None:
        return "business" if user.segment == "small_business" else "consumption"

    def term_for(self, product: str, rng: random.Random) -> int:
        if product == "installment":
            return rng.choice((180, 360, 720))
        return super().term_for(product, rng)

    def loan_hour(self, user: User, rng: random.Random) -> float:
        h = small_hours(rng, 0.02)
        if h is not None:
            return h
        return rng.uniform(7, 9.5) if rng.random() < 0.3 else rng.uniform(12, 21)

    def pay_hour(self, user: User, rng: random.Random) -> float:
        return rng.uniform(6, 7.5) if rng.random() < 0.7 else rng.uniform(9, 22)

    def fresh_account(self, ctx: Ctx, user: User, rng: random.Random, join_day: int) -> None:
        super().fresh_account(ctx, user, rng, join_day)
        user.attrs.update(city=rng.randint(0, 30), dealer=rng.randint(0, 150))
        user.limits = [(-1, 0.0)]
        ctx.set_limit(user, join_day * DAY, round_to(rng.uniform(20000, 60000), 1000))

    def presence(self, ev: Ev, rng: random.Random) -> None:
        ev.show_outstanding = rng.random() < 0.8
        ev.show_purpose = rng.random() < 0.7
        ev.show_currency = False

    def population(self, ctx: Ctx) -> list[User]:
        g = self.np_rng(ctx)
        n = ctx.n_users
        sb = g.random(n) < 0.2
        score = g.normal(705, 45, n).clip(580, 880)
        dealers = max(10, n // 20)
        dealer = g.integers(0, dealers, n)
        newbuyer = g.random(n) < 0.22
        # buying days: weekends, pre-festival surge, dealers shut over the break
        w = [(2.5 if weekday(d) >= 5 else 1.0) * (1.8 if 15 <= d < 41 else 0.15 if d in HOLIDAY else 1.0)
             for d in range(ctx.days)]
        cum = []
        s = 0.0
        for x in w:
            s += x
            cum.append(s)
        out = []
        for i in range(n):
            r = ctx.rng("pop", i)
            jd = r.choices(range(ctx.days), cum_weights=cum)[0] if newbuyer[i] else 0
            u = User(idx=i, uid=f"ADC{i:07d}", segment="small_business" if sb[i] else "individual",
                     join_day=jd, score=int(score[i]), devices=[self.new_device(r)] if r.random() < 0.85 else [],
                     attrs={"dealer": int(dealer[i]), "city": int(dealer[i]) % 31, "dom": r.randint(1, 28),
                            "new": bool(newbuyer[i]), "line": r.gammavariate(2.0, 0.85),
                            "habit": r.choices((0, 1, 2), (0.85, 0.1, 0.05))[0], "ev": r.random() < 0.35,
                            "means": r.uniform(4000, 15000)})
            ctx.set_limit(u, -1, round_to(r.uniform(30000, 100000), 1000))
            out.append(u)
        return out

    def _late(self, u: User, r: random.Random) -> int:
        h = u.attrs["habit"]
        return 0 if h == 0 and r.random() < 0.97 else r.randint(1, 5) if h == 1 else 0

    def _due_days(self, u: User, first: int, days: int) -> list[int]:
        dom = u.attrs["dom"]
        return [d for d in range(max(0, first), days) if day_of_month(d) == dom]

    def normal(self, ctx: Ctx, u: User) -> None:
        r = ctx.rng("n", u.idx)
        a, days = u.attrs, ctx.days
        car = None
        if not a["new"]:
            if r.random() < 0.9:
                rem = round_to(r.uniform(30000, 200000), 100)
                car = ctx.book_loan(u, rem, "installment")
                ctx.set_limit(u, -1, ctx.limit_at(u, -1) + rem)
                per = rem / r.randint(12, 48)
                for d in self._due_days(u, 0, days):
                    early = a["habit"] == 2 and r.random() < 0.8
                    late = 0 if early else self._late(u, r)
                    pd = d - r.randint(1, 3) if early else d + late
                    hr = r.uniform(6, 7.5) if late == 0 and not early else r.uniform(9, 22)
                    ctx.repay(u, car, at(max(0, pd), hr), per * 1.005, per, late)
        else:
            d = u.join_day
            amt = min(400000, max(40000, r.lognormvariate(11.6, 0.45)))
            ctx.set_limit(u, -1, 0)
            ctx.set_limit(u, at(d, 9), round_to(amt + r.uniform(20000, 50000), 1000))
            car = ctx.loan(u, at(d, r.uniform(10, 18.5)), round_to(amt, 100), "installment",
                           r.choices((365, 730, 1095, 1825), (1, 3, 4, 2))[0], "merchant", r,
                           merchant=f"4S-{a['city']:02d}-{a['dealer']:03d}", purpose="consumption")
            n = car.term // 30
            ctx.pay_instalments(u, car, n, d + 30, 30, lambda k: self._late(u, r), lambda k: r.uniform(6, 7.5),
                                rate=self.rate)
        # owner line: charging, tolls, fuel; festival road trips
        rate = a["line"] / 7
        for d in range(u.join_day, days):
            m = 2.5 if (36 <= d < 41 or 49 <= d < 53) else 1.0
            for _ in range(poisson(r, rate * m)):
                ch = "merchant" if r.random() < 0.55 else "app"
                amt = r.uniform(30, 160) if a["ev"] else r.uniform(80, 500)
                lo = ctx.loan(u, at(d, self.loan_hour(u, r)), amt, "credit_line", 30, ch, r,
                              merchant=f"{'chg' if a['ev'] else 'gas'}-{r.randint(1, 400):04d}",
                              device=self.device_for(u, "app", r) if ch == "app" or r.random() < 0.5 else None)
                due = next(iter(self._due_days(u, d + 10, d + 45)), d + 30)
                late = self._late(u, r)
                ctx.repay(u, lo, at(due + late, r.uniform(6, 7.5) if not late else r.uniform(9, 22)),
                          lo.amount, lo.amount, late)
        # insurance renewal through the partner insurer, twelve instalments
        if r.random() < days / 365 * 1.2:
            d = r.randint(u.join_day, days - 1)
            lo = ctx.loan(u, at(d, r.uniform(9, 18)), round_to(r.uniform(3000, 12000), 10), "installment", 360,
                          "partner", r)
            ctx.pay_instalments(u, lo, 12, d + 30, 30, lambda k: self._late(u, r), lambda k: r.uniform(6, 7.5),
                                rate=0.0)
        # maintenance at the 4S dealer
        for _ in range(poisson(r, 0.15 * days / 30)):
            d = r.randint(u.join_day, days - 1)
            if d in HOLIDAY:
                continue
            lo = ctx.loan(u, at(d, r.uniform(9, 17)), r.uniform(500, 5000), "credit_line", r.choice((30, 60, 90)),
                          "merchant", r, merchant=f"4S-{a['city']:02d}-{a['dealer']:03d}")
            ctx.pay_bullet(u, lo, d + lo.term, self._late(u, r), r.uniform(6, 7.5), r, early=r.choice((0, 0, 10)),
                           rate=self.rate)
        # car-collateral top-up loan
        if r.random() < 0.02 and car is not None:
            d = r.randint(u.join_day, days - 1)
            lo = ctx.loan(u, at(d, r.uniform(9, 20)), round_to(r.uniform(10000, 80000), 1000), "cash_loan",
                          r.choice((365, 730, 1095)), "app" if u.devices else "web", r)
            ctx.pay_instalments(u, lo, lo.term // 30, d + 30, 30, lambda k: self._late(u, r),
                                lambda k: r.uniform(6, 7.5), rate=self.rate)
