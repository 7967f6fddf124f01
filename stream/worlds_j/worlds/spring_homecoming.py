"""spring_homecoming: consumer credit for migrant factory workers.

Unusual normal behaviour:
* Repayments cluster on the factory payday (the same day of month for a whole
  factory), usually days early.
* Many users carry balances from before the stream (repayments into unseen loans).
* COLLECTIVE CHANGE IN THE TEST WINDOW: the Spring Festival rush. Most users
  borrow 1.5-4x their usual amount within a few days (tickets through the
  ticketing partner channel, gifts, red envelopes), often late at night on the
  train, and often from a family phone back home that several relatives share.
  Repayments stop over the holiday week and come back in one wave when the
  workers return (late whenever the due date fell in the holiday).
"""
from __future__ import annotations

from datetime import date

from ..core import DAY, User, pick, poisson
from .base import World


class SpringHomecoming(World):
    name = "spring_homecoming"
    code = "02"
    description = ("migrant factory workers paying on payday; Spring Festival rush in the test "
                   "window: big travel/gift loans, shared family phones, holiday-late repayments")
    anchor = date(2027, 1, 30)  # Spring Festival 2027-02-06
    products = [("credit_line", 0.6), ("cash_loan", 0.3), ("installment", 0.1)]
    has_students = True

    def setup(self, tl, rng, n_users, seed):
        super().setup(tl, rng, n_users, seed)
        festival = (date(2027, 2, 6) - tl.start_date).days
        return {"rush": (tl.test_day(0.1), tl.test_day(0.55)),
                "holiday": (festival - 1, festival + 6)}

    def make_user(self, idx, rng, ctx):
        seg = pick(rng, [("individual", 0.85), ("student", 0.1), ("small_business", 0.05)])
        lim = {"individual": (3e3, 20e3), "student": (1e3, 5e3), "small_business": (20e3, 80e3)}[seg]
        u = User(idx, self.uid(idx), seg, rng.uniform(*lim), int(rng.uniform(500, 760)),
                 device=self.device_id(idx), channel="app")
        u.traits["amt"] = u.limit * rng.uniform(0.05, 0.15)
        u.traits["payday"] = rng.choice([5, 10, 10, 10, 15, 25])
        u.traits["family_device"] = self.device_id("fam", idx // 3)  # ~3 users per village family
        u.p_purpose = 0.8
        return u

    def _payday_before(self, L, t, day_of_month):
        d = L.day_index(t)
        for back in range(0, 35):
            dd = d - back
            if self.tl.date_of(dd).day == day_of_month:
                return dd
        return d

    def normal(self, u, L, ctx):
        rng = L.rng
        tl = self.tl
        rush = ctx["rush"]
        hol = ctx["holiday"]
        amt = u.traits["amt"]
        if rng.random() < 0.4:
            ph = L.phantom(u.limit * rng.uniform(0.1, 0.4), "cash_loan", rng.uniform(10, 80), 90)
            L.pay_installments(ph, early_days=(0, 3), hour=rng.uniform(18, 22))
        for d in range(tl.days):
            for _ in range(poisson(rng, 0.12)):
                prod = pick(rng, [("credit_line", 0.8), ("cash_loan", 0.15), ("installment", 0.05)])
                a = amt * rng.uniform(0.3, 1.5) * (3 if prod == "cash_loan" else 1)
                term = {"credit_line": 30, "cash_loan": rng.choice([30, 60]),
                        "installment": rng.choice([90, 180])}[prod]
                t = L.at(d, rng.uniform(11, 23.5))
                ln = L.loan(t, a, prod, term, "app" if rng.random() < 0.9 else "web",
                            purpose=self.purpose_for(u, prod, rng))
                if prod == "installment":
                    L.pay_installments(ln, early_days=(0, 4))
                else:  # paid on the payday before the due date
                    pd = self._payday_before(L, ln.due, u.traits["payday"])
                    L.repay(max(L.at(pd, rng.uniform(19, 23)), ln.t + DAY), ln, ln.remaining)
            if rush[0] <= d <= rush[1] and rng.random() < 0.75 / (rush[1] - rush[0] + 1):
                self._rush(u, L, d, rng)
        # holiday: repayments falling in the festival week are paid after it
        for ev in L.events:
            if ev["_kind"] == "repayment" and L.at(hol[0], 0) <= ev["_t"] < L.at(hol[1], 0):
                L.move_repayment(ev, L.at(hol[1] + rng.uniform(0, 3), rng.uniform(9, 22)))

    def _rush(self, u, L, d, rng):
        home = rng.random() < 0.4
        for _ in range(rng.randint(1, 3)):
            prod = pick(rng, [("cash_loan", 0.5), ("credit_line", 0.5)])
            ch = "partner" if rng.random() < 0.4 else "app"
            hour = rng.uniform(20, 25.5) if rng.random() < 0.4 else rng.uniform(8, 20)
            a = min(u.traits["amt"] * rng.uniform(1.5, 4.0) * (2 if prod == "cash_loan" else 1),
                    u.limit * 0.9)
            ln = L.loan(L.at(d, hour), a, prod, rng.choice([30, 60]), ch,
                        device=u.traits["family_device"] if home else "default",
                        purpose="consumption")
            L.pay_bullet(ln, rng.uniform(-5, 4), hour=rng.uniform(19, 23))
