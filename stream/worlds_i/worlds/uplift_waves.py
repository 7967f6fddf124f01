"""uplift_waves: a mass-market consumer credit platform running limit campaigns.

Unusual normal behaviour: the platform raised limits for a third of its users
in January and, right after the split, ran a much bigger campaign (x1.5-x3
for another third), after which many of those users spend more and a few
take a large legitimate cash loan -- sharp limit jumps followed by drawing are
normal here.  Loans from the lending-marketplace partner arrive in hourly
batches (every one stamped at the top of an hour, with milliseconds); large
checkout bills are converted to instalments (a new loan that pays off an old
one); dormant users are woken up by the campaign, many on new phones; the
New-Year goods fair inflates January checkout, and late payments rise across
the book after the festival.  Users on a festival trip abroad send app events
stamped with the local offset of where they are (+09:00, +07:00, -08:00, ...).
"""
from __future__ import annotations

import random

from ..ledger import Ctx
from ..model import Ev, User
from ..timeline import DAY, HOLIDAY, HOUR, NIANHUO_FAIR, at
from .base import World, hexid, poisson, round_to, small_hours

SEGS = ("individual", "student", "small_business")


class UpliftWaves(World):
    name = "uplift_waves"
    description = ("Mass-market consumer credit with two platform-wide limit-raise campaigns, hourly partner "
                   "batches, bill-to-instalment conversions and dormant users woken by the campaign.")
    anomalous_share = 0.035
    products = {"credit_line": 0.45, "cash_loan": 0.35, "installment": 0.15, "merchant_loan": 0.05}
    channels = {"app": 0.55, "web": 0.1, "partner": 0.2, "merchant": 0.15}
    cash_term = (7, 60)
    rate = 0.18
    promo_steps = (100, 200, 500, 1000)

    def event_id(self, n: int) -> str:
        return f"uw.{n:09d}"

    def loan_id(self, n: int, user: User) -> str:
        return f"UW{n:09d}"

    def new_device(self, rng: random.Random) -> str:
        return hexid(rng, 8) + "-" + hexid(rng, 4) + "-" + hexid(rng, 12)

    def new_merchant(self, rng: random.Random) -> str:
        return f"MER_{rng.randint(10000, 99999)}"

    def device_for(self, user: User, channel: str, rng: random.Random) -> str | None:
        if channel == "partner":
            return None
        return user.devices[-1] if user.devices else None

    def merchant_for(self, user: User, product: str, rng: random.Random) -> str | None:
        return f"MER_{rng.randint(10000, 10000 + 3000):05d}"

    def purpose_for(self, user: User, product: str, rng: random.Random) -> str | None:
        if product == "merchant_loan" or (user.segment == "small_business" and rng.random() < 0.5):
            return "business"
        return "education" if user.segment == "student" and rng.random() < 0.1 else "consumption"

    def loan_hour(self, user: User, rng: random.Random) -> float:
        h = small_hours(rng, 0.04)
        if h is not None:
            return h
        x = rng.random()
        return rng.uniform(12, 13.5) if x < 0.2 else rng.uniform(19, 23.8) if x < 0.75 else rng.uniform(8, 19)

    def pay_hour(self, user: User, rng: random.Random) -> float:
        return rng.uniform(8, 23)

    def fresh_account(self, ctx: Ctx, user: User, rng: random.Random, join_day: int) -> None:
        super().fresh_account(ctx, user, rng, join_day)
        user.limits = [(-1, 0.0)]
        ctx.set_limit(user, join_day * DAY, rng.choice((2000, 3000, 5000, 8000)))

    def stamp(self, ev: Ev, rng: random.Random) -> None:
        if ev.kind == "loan" and ev.channel == "partner":
            ev.t -= ev.t % HOUR                     # the partner's hourly batch
            ev.with_ms = True
            ev.ms = rng.randint(0, 999)
            return
        trip = ev.user.attrs.get("trip")
        if trip and trip[0] <= ev.t // DAY < trip[1]:
            ev.offset_min = trip[2]                 # the phone writes local time abroad

    def presence(self, ev: Ev, rng: random.Random) -> None:
        ev.show_score = ev.channel != "partner" and rng.random() < 0.9
        ev.show_outstanding = rng.random() < 0.6
        ev.show_currency = rng.random() < 0.3

    def population(self, ctx: Ctx) -> list[User]:
        g = self.np_rng(ctx)
        n = ctx.n_users
        seg = g.choice(3, n, p=[0.80, 0.08, 0.12])
        dormant = g.random(n) < 0.15
        newcomer = g.random(n) < 0.08
        join = g.integers(0, max(1, ctx.days - 1), n)
        h, days = ctx.history_days, ctx.days
        out = []
        for i in range(n):
            r = ctx.rng("pop", i)
            s = SEGS[seg[i]]
            back = r.randint(h, days - 1) if dormant[i] and h < days else 0
            seen = dormant[i] and r.random() < 0.5      # a little activity early on, then silence
            jd = (0 if seen else back) if back else int(join[i]) if newcomer[i] else 0
            u = User(idx=i, uid=f"u{i:06d}", segment=s, join_day=jd, score=int(r.gauss(660, 60)),
                     devices=[self.new_device(r)],
                     attrs={"line": r.gammavariate(2.0, 1.0), "cash": r.uniform(0.05, 0.4),
                            "early": r.random() < 0.2, "habit": r.choices((0, 1, 2), (0.75, 0.2, 0.05))[0],
                            "dormant": bool(back), "quiet": range(r.randint(2, 12), back) if seen else range(0),
                            "means": r.uniform(1000, 2500) if s == "student" else r.uniform(4000, 12000)})
            base = {"individual": (3000, 30000), "student": (1000, 5000), "small_business": (10000, 80000)}[s]
            ctx.set_limit(u, -1, round_to(r.uniform(*base), 500))
            if r.random() < 0.05:                         # a festival trip abroad
                d0 = r.randint(38, 46)
                u.attrs["trip"] = (d0, d0 + r.randint(4, 9), r.choice((540, 540, 420, 420, 480, 60, 0, -480)))
            if back and r.random() < 0.4:
                u.attrs["new_phone"] = (back, self.new_device(r))   # changed phones while away
            out.append(u)
        return out

    def _late(self, u: User, r: random.Random, due: int, h: int) -> int:
        hb = u.attrs["habit"]
        crunch = 2.0 if h <= due < h + 14 else 1.0
        p = (0.03, 0.2, 0.6)[hb] * crunch
        return 0 if r.random() >= p else r.randint(1, 4 if hb < 2 else 20)

    def _repay(self, ctx: Ctx, u: User, lo: Ev, r: random.Random) -> None:
        d = lo.t // DAY
        if lo.product == "installment":
            ctx.pay_instalments(u, lo, max(1, lo.term // 30), d + 30, 30,
                                lambda k: self._late(u, r, d + 30 * (k + 1), ctx.history_days),
                                lambda k: self.pay_hour(u, r), rate=self.rate)
            return
        due = d + lo.term
        if u.attrs["early"] and r.random() < 0.6:
            ctx.pay_bullet(u, lo, due, 0, self.pay_hour(u, r), r, early=r.randint(1, max(1, lo.term - 1)),
                           rate=self.rate)
        else:
            ctx.pay_bullet(u, lo, due, self._late(u, r, due, ctx.history_days), self.pay_hour(u, r), r,
                           rate=self.rate)

    def normal(self, ctx: Ctx, u: User) -> None:
        r = ctx.rng("n", u.idx)
        a, days, h = u.attrs, ctx.days, ctx.history_days
        boost_from = days
        if u.join_day < 20 and r.random() < 0.3 and days > 20:
            ctx.set_limit(u, at(20, 10), ctx.limit_at(u, 0) * r.uniform(1.3, 1.6))
        w2 = min(h + 3, days - 1)
        if r.random() < (0.6 if a["dormant"] else 0.35):
            new = round_to(ctx.limit_at(u, at(w2, 9)) * r.uniform(1.5, 3.0), 500)
            ctx.set_limit(u, at(w2, 10), new)
            boost_from = w2
            if r.random() < 0.08 and w2 + 1 < days:
                d = r.randint(w2, min(days - 1, w2 + 5))
                lo = ctx.loan(u, at(d, self.loan_hour(u, r)), round_to(new * r.uniform(0.3, 0.6), 100), "cash_loan",
                              r.choice((90, 180, 360)), "app", r)
                self._repay(ctx, u, lo, r)
        quiet = a["quiet"]
        for d in range(u.join_day, days):
            if d in quiet:
                continue
            if "new_phone" in a and d == a["new_phone"][0]:
                u.devices.append(a["new_phone"][1])
            m = (1.5 if d in NIANHUO_FAIR else 0.6 if d in HOLIDAY else 1.0) * (1.3 if d >= boost_from else 1.0)
            for _ in range(poisson(r, a["line"] / 7 * m)):
                ch = "merchant" if r.random() < 0.3 else "app"
                amt = min(20000, r.lognormvariate(5.3, 1.0))
                lo = ctx.loan(u, at(d, self.loan_hour(u, r)), amt, "credit_line", 30, ch, r)
                if amt > 1500 and r.random() < 0.3:       # bill converted into instalments
                    td = d + r.randint(1, 20)
                    if td < days:
                        t = at(td, self.loan_hour(u, r))
                        lo.protected = True
                        inst = ctx.loan(u, t, lo.amount, "installment", r.choice((90, 180, 360)), "app", r,
                                        protected=True)
                        ctx.repay(u, lo, t + 1, lo.amount, lo.amount, 0)
                        self._repay(ctx, u, inst, r)
                        continue
                self._repay(ctx, u, lo, r)
            cm = 2.0 if 30 <= d < 41 else 1.0
            for _ in range(poisson(r, a["cash"] / 7 * cm)):
                ch = "partner" if r.random() < 0.3 else ("web" if r.random() < 0.15 else "app")
                lo = ctx.loan(u, at(d, self.loan_hour(u, r)), round_to(r.uniform(500, 8000), 100), "cash_loan",
                              r.choice((14, 30, 30, 60, 90)), ch, r)
                self._repay(ctx, u, lo, r)
            if u.segment == "small_business" and r.random() < 0.02:
                lo = ctx.loan(u, at(d, r.uniform(9, 18)), round_to(r.uniform(5000, 50000), 1000), "merchant_loan",
                              r.choice((90, 180)), "web", r)
                self._repay(ctx, u, lo, r)
