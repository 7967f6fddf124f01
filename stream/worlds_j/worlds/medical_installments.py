"""medical_installments: hospital bills converted to instalments, plus pharmacy credit.

Unusual normal behaviour:
* Most users are quiet for weeks, then an illness: a large hospital bill
  (often 30-100 % of the limit, often the user's first loan in the stream) at
  any hour - emergency rooms work at night - followed by several follow-up
  bills within days, all at a few shared partner hospitals.
* While the patient is in hospital a relative pays the bills on their own
  phone: a brand-new device draining the limit, legitimately.
* Relatives often pay off a whole bill early in one lump (from +08:00).
* COLLECTIVE CHANGE IN THE TEST WINDOW: a winter flu wave. Families with
  children fall ill at ten times the usual rate, mostly at night, at the two
  children's hospitals.
"""
from __future__ import annotations

from datetime import date

from ..core import DAY, User, pick
from .base import World


class MedicalInstallments(World):
    name = "medical_installments"
    code = "07"
    description = ("hospital-bill instalments: sudden big night-time bills from relatives' phones at "
                   "shared hospitals; a children's flu wave hits in the test window")
    anchor = date(2026, 12, 7)
    products = [("installment", 0.6), ("credit_line", 0.3), ("cash_loan", 0.1)]
    has_students = True

    def setup(self, tl, rng, n_users, seed):
        super().setup(tl, rng, n_users, seed)
        self.hospitals = self.merchant_ids("hosp", 8)
        self.children = self.hospitals[:2]
        self.pharmacies = self.merchant_ids("pharm", 12)
        self.merchants = self.hospitals + self.pharmacies
        return {"wave": tl.test_day(0.2)}

    def make_user(self, idx, rng, ctx):
        seg = pick(rng, [("individual", 0.8), ("student", 0.1), ("small_business", 0.1)])
        lim = rng.uniform(10e3, 60e3) if seg != "student" else rng.uniform(3e3, 10e3)
        u = User(idx, self.uid(idx), seg, lim, int(rng.uniform(520, 800)),
                 device=self.device_id(idx))
        u.traits["amt"] = rng.uniform(80, 400)
        u.traits["kids"] = seg != "student" and rng.random() < 0.4
        u.p_purpose = 0.6
        return u

    def normal(self, u, L, ctx):
        rng = L.rng
        tl = self.tl
        if rng.random() < 0.3:
            ph = L.phantom(u.limit * rng.uniform(0.1, 0.5), "installment", rng.uniform(20, 200),
                           rng.choice([180, 365]))
            L.pay_installments(ph, early_days=(0, 3), hour=rng.uniform(8, 22))
        for d in range(tl.days):
            if rng.random() < 0.1:  # pharmacy purchase on the credit line
                ln = L.loan(L.at(d, rng.uniform(8, 22)), u.traits["amt"] * rng.uniform(0.3, 1.5),
                            "credit_line", 30, "merchant", merchant=rng.choice(self.pharmacies),
                            purpose="consumption")
                L.pay_bullet(ln, -rng.uniform(0, 3), hour=rng.uniform(8, 22))
            rate = 0.006
            wave = d >= ctx["wave"] and u.traits["kids"]
            if wave:
                rate *= 10
            if rng.random() < rate:
                self._illness(u, L, d, rng, wave)

    def _illness(self, u, L, d, rng, wave):
        night = rng.random() < (0.55 if wave else 0.3)
        t = L.at(d, rng.uniform(21, 29) if night else rng.uniform(8, 20))
        hosp = rng.choice(self.children) if wave else rng.choice(self.hospitals)
        relative = rng.random() < 0.5
        dev = self.device_id(u.idx, "relative", d) if relative else "default"
        base = u.limit * rng.uniform(0.3, 1.0) if not wave else u.limit * rng.uniform(0.05, 0.3)
        bills = [base] + [base * rng.uniform(0.05, 0.3) for _ in range(rng.randint(0, 4))]
        for i, amt in enumerate(bills):
            ln = L.loan(t, amt, "installment", rng.choice([90, 180, 365]), "merchant",
                        device=dev, merchant=hosp, purpose="consumption")
            if rng.random() < 0.25:  # a relative pays it off in one lump
                L.repay(t + int(rng.uniform(3, 20) * DAY), ln, ln.remaining, offset_h=8.0)
            else:
                L.pay_installments(ln, early_days=(0, 3), hour=rng.uniform(8, 22))
            t += int(rng.uniform(0.3, 3) * DAY if i == 0 else rng.uniform(0.5, 3) * DAY)
