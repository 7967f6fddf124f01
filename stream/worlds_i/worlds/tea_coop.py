"""tea_coop: a rural credit cooperative in tea country.

Unusual normal behaviour: village agents key loans in on periodic market days
from one shared tablet per village (many users, one device); households pay
village shops by QR on the credit line in tiny amounts; autumn operating loans
are settled before the Spring Festival ("clear debts before the new year"),
often in several partial payments and habitually a few days late; after the
festival comes the spring-inputs season (fertiliser, tea-garden labour) with
new operating loans and a round of spring-credit limit raises.
"""
from __future__ import annotations

import random

from ..ledger import Ctx
from ..model import Ev, User
from ..timeline import DAY, HOLIDAY, at
from .base import World, hexid, poisson, round_to, small_hours

SEGS = ("individual", "small_business", "student")


class TeaCoop(World):
    name = "tea_coop"
    description = ("Rural tea-country credit cooperative: market-day batches keyed by village agents on a "
                   "shared tablet, tiny QR shop draws, pre-festival debt settlement and a spring-inputs surge.")
    anomalous_share = 0.035
    typology_weights = {"loan_stacking": 1, "borrow_to_repay": 1, "account_takeover": 1,
                        "student_overborrowing": 0.6, "limit_jump_drain": 1, "overdue_escalation": 1.2,
                        "merchant_cashout_ring": 1, "synthetic_identity_farm": 0.8, "promo_loop_arbitrage": 0.7}
    products = {"credit_line": 0.5, "cash_loan": 0.3, "merchant_loan": 0.15, "installment": 0.05}
    channels = {"merchant": 0.45, "partner": 0.3, "app": 0.25}
    cash_term = (15, 90)
    rate = 0.075
    promo_steps = (100, 200, 300, 500)

    # -- house style -----------------------------------------------------
    def event_id(self, n: int) -> str:
        return f"TCX{n:09d}"

    def loan_id(self, n: int, user: User) -> str:
        return f"TCL.{user.attrs.get('village', 0):03d}.{n:07d}"

    def new_device(self, rng: random.Random) -> str:
        return "hh-" + hexid(rng, 8)

    def new_merchant(self, rng: random.Random) -> str:
        return f"shop-{rng.randint(900, 999):03d}-{rng.randint(1, 9)}"

    def device_for(self, user: User, channel: str, rng: random.Random) -> str | None:
        if channel == "partner":
            return f"agent-tab-{user.attrs.get('village', 0):03d}"
        return user.devices[-1] if user.devices else None

    def merchant_for(self, user: User, product: str, rng: random.Random) -> str | None:
        v = user.attrs.get("village", 0)
        if product in ("installment", "merchant_loan"):
            return f"agri-{v // 8:02d}-{rng.randint(1, 3)}"
        return f"shop-{v:03d}-{rng.randint(1, 3)}"

    def purpose_for(self, user: User, product: str, rng: random.Random) -> str | None:
        if product in ("merchant_loan", "installment") or (user.segment == "small_business" and rng.random() < 0.6):
            return "business"
        return "consumption"

    def loan_hour(self, user: User, rng: random.Random) -> float:
        h = small_hours(rng, 0.01)
        if h is not None:
            return h
        return rng.uniform(6, 9) if rng.random() < 0.4 else rng.uniform(18.5, 22)

    def pay_hour(self, user: User, rng: random.Random) -> float:
        return rng.uniform(9, 12) if rng.random() < 0.5 else rng.uniform(19, 22)

    def fresh_account(self, ctx: Ctx, user: User, rng: random.Random, join_day: int) -> None:
        super().fresh_account(ctx, user, rng, join_day)
        user.segment = "small_business" if rng.random() < 0.6 else "individual"
        user.attrs.setdefault("village", rng.randint(0, 40))
        user.limits = [(-1, 0.0)]
        ctx.set_limit(user, join_day * DAY, round_to(rng.uniform(5000, 20000), 1000))

    def presence(self, ev: Ev, rng: random.Random) -> None:
        ev.show_currency = True
        ev.show_outstanding = True
        ev.show_score = rng.random() < 0.6
        ev.show_merchant = rng.random() < 0.9

    # -- population --------------------------------------------------------
    def population(self, ctx: Ctx) -> list[User]:
        g = self.np_rng(ctx)
        n = ctx.n_users
        seg = g.choice(3, n, p=[0.30, 0.67, 0.03])
        villages = max(4, n // 80)
        vil = g.integers(0, villages, n)
        score = g.normal(640, 55, n).clip(420, 820)
        has_app = g.random(n) < 0.35
        habit = g.choice(3, n, p=[0.5, 0.35, 0.15])
        shop = g.gamma(2.0, 0.8, n)
        newcomer = g.random(n) < 0.07
        join = g.integers(0, max(1, ctx.days - 2), n)
        out = []
        for i in range(n):
            s = SEGS[seg[i]]
            r = ctx.rng("pop", i)
            lim = {"small_business": r.uniform(20000, 120000), "individual": r.uniform(5000, 40000),
                   "student": r.uniform(3000, 8000)}[s]
            u = User(idx=i, uid=f"coop:{vil[i]:03d}:{i:05d}", segment=s,
                     join_day=int(join[i]) if newcomer[i] else 0, score=int(score[i]),
                     devices=["hh-" + hexid(r, 8)] if has_app[i] else [],
                     attrs={"village": int(vil[i]), "market": int(vil[i] % 5), "habit": int(habit[i]),
                            "shop": float(shop[i]), "means": r.uniform(800, 2000)})
            ctx.set_limit(u, -1, round_to(lim, 1000))
            out.append(u)
        return out

    # -- ordinary life -------------------------------------------------------
    def _market_days(self, u: User, lo: int, hi: int) -> list[int]:
        m = u.attrs["market"]
        return [d for d in range(max(lo, u.join_day), hi) if (d + m) % 5 == 0]

    def _late(self, u: User, r: random.Random, due: int) -> int:
        h = u.attrs["habit"]
        late = (0 if r.random() < 0.9 else r.randint(1, 2)) if h == 0 else \
            r.randint(0, 5) if h == 1 else r.randint(2, 15)
        if due in HOLIDAY:
            late += r.randint(2, 9)
        return late

    def _agent_time(self, d: int, r: random.Random) -> int:
        return at(d, r.choice((10.0, 11.5, 15.0))) + r.randint(0, 900)

    def normal(self, ctx: Ctx, u: User) -> None:
        r = ctx.rng("n", u.idx)
        days = ctx.days
        app = bool(u.devices)
        sb = u.segment == "small_business"
        # autumn operating loans settled before the new year
        if sb and r.random() < 0.7:
            bk = ctx.book_loan(u, round_to(r.uniform(5000, 60000), 1000), "merchant_loan")
            if r.random() < 0.55:
                due = r.randint(14, 40)
                parts = r.choice((1, 1, 2, 3))
                t = at(due + self._late(u, r, due), self.pay_hour(u, r))
                for k in range(parts):
                    tt = t + k * r.randint(2, 6) * DAY
                    ctx.repay(u, bk, tt, bk.amount / parts * 1.06, bk.amount / parts, max(0, tt // DAY - due))
        elif not sb and r.random() < 0.3:
            bk = ctx.book_loan(u, round_to(r.uniform(2000, 8000), 100), "cash_loan")
            dom, n_left = r.randint(1, 28), r.randint(2, 6)
            per = bk.amount / n_left
            for k in range(3):
                due = dom - 5 + 30 * k + r.randint(-1, 1)
                if 0 <= due < days and k < n_left:
                    late = self._late(u, r, due)
                    ctx.repay(u, bk, at(due + late, self.pay_hour(u, r)), per * 1.01, per, late)
        # QR draws at village shops
        rate = u.attrs["shop"] / 7
        for d in range(max(0, u.join_day), days):
            mult = 1.6 if 25 <= d < 41 else 1.3 if d in HOLIDAY else 1.0
            for _ in range(poisson(r, rate * mult)):
                t = at(d, r.uniform(7, 21.5) if r.random() < 0.995 else r.uniform(0, 5))
                lo = ctx.loan(u, t, min(2000, r.lognormvariate(4.8, 0.7)), "credit_line", 15, "merchant", r,
                              purpose="consumption")
                md = self._market_days(u, d + 15, d + 21)
                due = md[0] if md else d + 15
                late = self._late(u, r, due)
                ctx.repay(u, lo, at(due + late, self.pay_hour(u, r)), lo.amount, lo.amount, late)
        # pre-festival cash
        if r.random() < 0.35:
            md = self._market_days(u, 15, min(40, days))
            if md:
                d = r.choice(md)
                ch = "app" if app and r.random() < 0.4 else "partner"
                t = self._agent_time(d, r) if ch == "partner" else at(d, self.loan_hour(u, r))
                ctx.loan(u, t, round_to(r.uniform(2000, 10000), 500), "cash_loan", r.choice((60, 90, 120)), ch, r,
                         purpose="consumption")
        # spring-credit limit raise and inputs season
        if sb and r.random() < 0.15 and days > 50:
            ctx.set_limit(u, at(r.randint(49, days - 1), 9), ctx.limit_at(u, 0) * r.uniform(1.5, 2.0))
        if sb:
            n_in = (r.randint(1, 3) if r.random() < 0.75 else 0)
            for _ in range(n_in):
                d = r.randint(50, max(50, days - 1)) if r.random() < 0.8 else r.randint(0, 20)
                if d < days and d >= u.join_day:
                    ctx.loan(u, at(d, r.uniform(8, 17)), r.uniform(500, 8000), "credit_line",
                             r.choice((60, 90)), "merchant", r, merchant=self.merchant_for(u, "installment", r))
            if r.random() < 0.35:
                md = self._market_days(u, 50 if r.random() < 0.8 else 0, days if days > 50 else 20)
                if md:
                    d = r.choice(md)
                    ch = "app" if app and r.random() < 0.3 else "partner"
                    t = self._agent_time(d, r) if ch == "partner" else at(d, self.loan_hour(u, r))
                    ctx.loan(u, t, round_to(r.uniform(10000, 80000), 1000), "merchant_loan",
                             r.randint(150, 240), ch, r)
        if r.random() < 0.05 and u.join_day < days - 1:
            d = r.randint(u.join_day, days - 1)
            lo = ctx.loan(u, at(d, r.uniform(9, 16)), r.uniform(8000, 40000), "installment", 360, "merchant", r,
                          merchant=self.merchant_for(u, "installment", r))
            ctx.pay_instalments(u, lo, 12, d + 30, 30, lambda k: self._late(u, r, d + 30 * (k + 1)),
                                lambda k: self.pay_hour(u, r), rate=self.rate)
        # tuition for the spring term
        if (u.segment == "student" or (u.segment == "individual" and r.random() < 0.10)) and days > 47:
            d = r.randint(47, min(56, days - 1))
            ch = "app" if app else "partner"
            t = at(d, self.loan_hour(u, r)) if ch == "app" else self._agent_time(d, r)
            ctx.loan(u, t, round_to(r.uniform(3000, 8000), 100), "cash_loan", 180, ch, r, purpose="education")
