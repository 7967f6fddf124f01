"""overseas_students: credit for Chinese students studying abroad, repaid by parents.

Unusual normal behaviour:
* Timestamps carry foreign UTC offsets (-07:00 ... +10:00); daytime abroad is
  the middle of the night in Beijing.
* Parents repay from China (+08:00 timestamps) in one batch on their monthly
  "allowance day": every open loan paid within a minute, usually early.
* During the history many students are home for the summer (+08:00 events).
* COLLECTIVE CHANGE IN THE TEST WINDOW: they fly back (offset changes, a third
  get a new local phone = new device) and the semester starts: a large
  education instalment (tuition / rent deposit, 60-95 % of the limit) plus a
  burst of small set-up purchases in a single day.
"""
from __future__ import annotations

from datetime import date

from ..core import DAY, User, pick, poisson
from .base import World

ZONES = [(-7.0, 0.2), (-4.0, 0.2), (1.0, 0.15), (2.0, 0.1), (9.0, 0.1), (10.0, 0.15), (8.0, 0.1)]


class OverseasStudents(World):
    name = "overseas_students"
    code = "03"
    description = ("students abroad: foreign time zones, parents batch-repay from China; in the "
                   "test window they fly back and the semester starts (big tuition instalments)")
    anchor = date(2026, 8, 24)
    products = [("credit_line", 0.6), ("cash_loan", 0.25), ("installment", 0.15)]
    has_students = True

    def setup(self, tl, rng, n_users, seed):
        super().setup(tl, rng, n_users, seed)
        return {}

    def make_user(self, idx, rng, ctx):
        seg = "student" if rng.random() < 0.88 else "individual"
        u = User(idx, self.uid(idx), seg, rng.uniform(5e3, 40e3), int(rng.uniform(560, 780)),
                 offset_h=pick(rng, ZONES), device=self.device_id(idx), channel="app")
        u.traits["abroad_off"] = u.offset_h
        u.traits["amt"] = rng.uniform(60, 400)
        u.traits["allowance"] = rng.randint(1, 28)
        tl = self.tl
        u.traits["home"] = u.offset_h != 8.0 and rng.random() < 0.5
        u.traits["fly_back"] = tl.history_days + rng.uniform(0.0, 0.45) * tl.test_days
        u.traits["term_start"] = tl.history_days + rng.uniform(0.25, 0.75) * tl.test_days
        u.traits["new_phone"] = self.device_id(idx, "abroad") if rng.random() < 0.33 else None
        u.p_currency = 0.6
        return u

    def _off(self, u, d):
        return 8.0 if (u.traits["home"] and d < u.traits["fly_back"]) else u.traits["abroad_off"]

    def _dev(self, u, d):
        if u.traits["new_phone"] and d >= u.traits["fly_back"]:
            return u.traits["new_phone"]
        return u.device

    def normal(self, u, L, ctx):
        rng = L.rng
        tl = self.tl
        loans = []
        for d in range(tl.days):
            off = self._off(u, d)
            for _ in range(poisson(rng, 0.22)):
                t = L.at(d, rng.uniform(9, 24), offset_h=off)
                loans.append(L.loan(t, u.traits["amt"] * rng.uniform(0.2, 2.0), "credit_line", 30,
                                    "app" if rng.random() < 0.85 else "web", device=self._dev(u, d),
                                    purpose="consumption", offset_h=off))
            if rng.random() < 0.03:
                t = L.at(d, rng.uniform(9, 22), offset_h=off)
                loans.append(L.loan(t, rng.uniform(2e3, 8e3), "cash_loan", rng.choice([30, 60, 90]),
                                    "app", device=self._dev(u, d),
                                    purpose=rng.choice(["consumption", "education"]), offset_h=off))
            if int(u.traits["term_start"]) == d:
                off = self._off(u, d)
                t = L.at(d, rng.uniform(9, 17), offset_h=off)
                big = L.loan(t, u.limit * rng.uniform(0.6, 0.95), "installment", rng.choice([180, 365]),
                             rng.choice(["partner", "web"]), device=self._dev(u, d),
                             purpose="education", offset_h=off)
                L.pay_installments(big, early_days=(3, 10), hour=20.5)
                for _ in range(rng.randint(3, 8)):  # setting up the flat
                    t2 = t + int(rng.uniform(1, 9) * 3600)
                    loans.append(L.loan(t2, rng.uniform(100, 1500), "credit_line", 30, "app",
                                        device=self._dev(u, d), purpose="consumption", offset_h=off))
        self._parents_repay(u, L, loans, rng)

    def _parents_repay(self, u, L, loans, rng):
        """Monthly allowance day: parents pay every loan due within 40 days, early, at once."""
        tl = self.tl
        days = [d for d in range(-5, tl.days + 40) if tl.date_of(d).day == u.traits["allowance"]]
        batches = {}
        for ln in loans:
            cands = [d for d in days if L.at(d, 20, offset_h=8.0) > ln.t + DAY
                     and L.at(d, 20, offset_h=8.0) >= ln.due - 40 * DAY]
            if cands:
                batches.setdefault(cands[0], []).append(ln)
        for d in sorted(batches):
            t = L.at(d, rng.uniform(19, 22.5), offset_h=8.0)
            for i, ln in enumerate(batches[d]):
                L.repay(t + 15 * i, ln, ln.remaining, offset_h=8.0)
