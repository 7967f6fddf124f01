"""skill_school: tuition and vocational-training instalments.

Unusual normal behaviour: loans arrive in enrolment-day cohorts -- dozens of
students of one school signing on the school's own tablet within a few days
(one merchant, one device, many users, big round sums); most borrowers are
students who live on the credit line late into the night in tiny amounts,
pay instalments in the evening and habitually a few days late, go quiet over
the winter vacation, clear balances early with Spring Festival red-envelope
money and then spend on laptops and phones at the start of term.
"""
from __future__ import annotations

import random

from ..ledger import Ctx
from ..model import Ev, User
from ..timeline import DAY, at, day_of_month
from .base import World, hexid, poisson, round_to

PROGRAMS = {  # tuition range, terms
    "it_bootcamp": ((15000, 30000), (360, 540, 720)),
    "driving": ((4000, 8000), (180, 360)),
    "beauty_cooking": ((8000, 20000), (360,)),
    "exam_prep": ((5000, 15000), (360, 720)),
}


class SkillSchool(World):
    name = "skill_school"
    description = ("Tuition/vocational-training instalments: enrolment-day cohorts on each school's tablet, "
                   "night-owl student credit-line draws, winter-vacation lull and red-envelope early payoffs.")
    anomalous_share = 0.033
    typology_weights = {"loan_stacking": 1, "borrow_to_repay": 1, "account_takeover": 0.8,
                        "student_overborrowing": 1.4, "limit_jump_drain": 1, "overdue_escalation": 1,
                        "merchant_cashout_ring": 1, "synthetic_identity_farm": 1, "promo_loop_arbitrage": 1}
    products = {"credit_line": 0.5, "installment": 0.25, "cash_loan": 0.25}
    channels = {"app": 0.6, "merchant": 0.3, "web": 0.1}
    cash_term = (14, 30)
    rate = 0.1
    promo_steps = (50, 100, 200, 300)

    def event_id(self, n: int) -> str:
        return f"ev_{n:08d}_ss"

    def loan_id(self, n: int, user: User) -> str:
        return f"ss-ln-{n:07d}"

    def new_device(self, rng: random.Random) -> str:
        return "a" + hexid(rng, 15)

    def new_merchant(self, rng: random.Random) -> str:
        return f"elec-{rng.randint(1, 999):03d}"

    def device_for(self, user: User, channel: str, rng: random.Random) -> str | None:
        if channel == "merchant" and rng.random() < 0.5:
            return None
        return user.devices[-1] if user.devices else None

    def merchant_for(self, user: User, product: str, rng: random.Random) -> str | None:
        if product == "installment" and rng.random() < 0.5:
            return f"sch-{user.attrs.get('school', 0):03d}"
        return f"{rng.choice(('elec', 'food', 'book'))}-{rng.randint(1, 200):03d}"

    def purpose_for(self, user: User, product: str, rng: random.Random) -> str | None:
        return "consumption"

    def loan_hour(self, user: User, rng: random.Random) -> float:
        if user.segment == "student":
            return rng.choice((rng.uniform(11, 13.5), rng.uniform(18, 24), rng.uniform(0, 1.5)))
        return rng.uniform(11, 13) if rng.random() < 0.3 else rng.uniform(18, 23)

    def pay_hour(self, user: User, rng: random.Random) -> float:
        return rng.uniform(19, 23.5)

    def fresh_account(self, ctx: Ctx, user: User, rng: random.Random, join_day: int) -> None:
        super().fresh_account(ctx, user, rng, join_day)
        user.segment = "student" if rng.random() < 0.7 else "individual"
        user.attrs.update(school=rng.randint(0, 100))
        user.limits = [(-1, 0.0)]
        ctx.set_limit(user, join_day * DAY, rng.choice((2000, 3000, 5000)))

    def presence(self, ev: Ev, rng: random.Random) -> None:
        ev.show_score = rng.random() < 0.5
        ev.show_outstanding = rng.random() < 0.5
        ev.show_purpose = rng.random() < 0.85

    def population(self, ctx: Ctx) -> list[User]:
        g = self.np_rng(ctx)
        n = ctx.n_users
        student = g.random(n) < 0.58
        n_schools = max(8, n // 25)
        school = g.integers(0, n_schools, n)
        enrol = g.random(n) < 0.3
        progs = list(PROGRAMS)
        srng = ctx.rng("schools")
        intake = [srng.choice((srng.randint(6, 16), srng.randint(48, 58), srng.randint(48, 58)))
                  for _ in range(n_schools)]
        prog = [srng.choice(progs) for _ in range(n_schools)]
        out = []
        for i in range(n):
            r = ctx.rng("pop", i)
            s = int(school[i])
            st = bool(student[i])
            jd = max(0, min(ctx.days - 1, intake[s] + r.randint(-3, 3))) if enrol[i] else 0
            u = User(idx=i, uid=f"stu.{s:03d}.{i:05d}" if st else f"adl.{s:03d}.{i:05d}",
                     segment="student" if st else "individual", join_day=jd,
                     score=int(r.gauss(600, 40) if st else r.gauss(670, 45)), devices=[self.new_device(r)],
                     attrs={"school": s, "program": prog[s], "enrol": bool(enrol[i]), "dom": r.randint(1, 28),
                            "line": r.uniform(1.3, 4.0) if st else r.uniform(0.5, 1.8),
                            "habit": r.choices((0, 1, 2), (0.55, 0.35, 0.1))[0],
                            "means": r.uniform(1000, 2500) if st else r.uniform(3000, 7000)})
            ctx.set_limit(u, -1, 0 if enrol[i] else r.choice((2000, 3000, 5000, 6000)))
            out.append(u)
        return out

    def _late(self, u: User, r: random.Random) -> int:
        h = u.attrs["habit"]
        return 0 if h == 0 else r.choice((0, 1, 2, 3, 5)) if h == 1 else r.randint(3, 12)

    def normal(self, ctx: Ctx, u: User) -> None:
        r = ctx.rng("n", u.idx)
        a, days = u.attrs, ctx.days
        st = u.segment == "student"
        (lo_t, hi_t), terms = PROGRAMS[a["program"]]
        if a["enrol"]:
            d = u.join_day
            fee = round_to(r.uniform(lo_t, hi_t), 100)
            ctx.set_limit(u, at(d, 8), fee + r.choice((2000, 3000, 5000)))
            lo = ctx.loan(u, at(d, r.uniform(9, 17)), fee, "installment", r.choice(terms), "merchant", r,
                          merchant=f"sch-{a['school']:03d}", device=f"sch-{a['school']:03d}-pad",
                          purpose="education")
            ctx.pay_instalments(u, lo, lo.term // 30, d + 30, 30, lambda k: self._late(u, r),
                                lambda k: self.pay_hour(u, r), rate=self.rate)
        else:
            fee = round_to(r.uniform(lo_t, hi_t), 100)
            bk = ctx.book_loan(u, fee * r.uniform(0.3, 0.9), "installment")
            ctx.set_limit(u, -1, ctx.limit_at(u, -1) + fee)
            per = fee / (r.choice(terms) // 30)
            red = st and r.random() < 0.25
            for d in range(days):
                if day_of_month(d) != a["dom"]:
                    continue
                late = self._late(u, r)
                ctx.repay(u, bk, at(d + late, self.pay_hour(u, r)), per * 1.008, per, late)
            if red and days > 48:            # red-envelope money pays down the tuition early
                amt = min(bk.amount * 0.5, round_to(r.uniform(1000, 4000), 100))
                ctx.repay(u, bk, at(r.randint(43, 48), r.uniform(10, 22)), amt, amt, 0)
        # the living line
        for d in range(u.join_day, days):
            m = 0.55 if st and 12 <= d < 48 else 1.0
            for _ in range(poisson(r, a["line"] / 7 * m)):
                lo = ctx.loan(u, at(d, self.loan_hour(u, r)), min(800, r.lognormvariate(3.9, 0.8)), "credit_line",
                              30, "app", r)
                if r.random() < 0.3:
                    pd = d + r.randint(0, 5)
                    ctx.repay(u, lo, at(pd, self.pay_hour(u, r)), lo.amount, lo.amount, 0)
                else:
                    due = d + 20 + (10 - day_of_month(d + 20)) % 30     # the first statement 10th >= 20 days on
                    late = self._late(u, r)
                    ctx.repay(u, lo, at(due + late, self.pay_hour(u, r)), lo.amount * 1.005, lo.amount, late)
        # start-of-term gear
        if days > 48 and r.random() < (0.15 if st else 0.06):
            d = r.randint(48, days - 1)
            lo = ctx.loan(u, at(d, r.uniform(10, 21)), round_to(r.uniform(3000, 8000), 1), "installment",
                          r.choice((180, 360)), "merchant", r, merchant=f"elec-{r.randint(1, 200):03d}")
            ctx.pay_instalments(u, lo, lo.term // 30, d + 30, 30, lambda k: self._late(u, r),
                                lambda k: self.pay_hour(u, r), rate=self.rate)
        if r.random() < 0.1:
            d = r.randint(u.join_day, days - 1)
            lo = ctx.loan(u, at(d, self.loan_hour(u, r)), round_to(r.uniform(500, 2000), 100), "cash_loan", 30,
                          "app", r)
            ctx.pay_bullet(u, lo, d + 30, self._late(u, r), self.pay_hour(u, r), r, rate=self.rate)
