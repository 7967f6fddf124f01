"""construction_subcontractors: operating loans for building subcontractors.

Unusual normal behaviour:
* Every month, on the user's wage day, a draw of 40-90 % of the limit to pay
  the work crew: near-limit loans are ordinary.
* Repayments are chronically late (the developer pays late): 10-60 days late,
  in several partial payments; balances from before the stream are repaid
  100+ days late.
* Material purchases at a handful of shared building-supply merchants.
* COLLECTIVE CHANGE IN THE TEST WINDOW: quarter-end settlement. Developers pay
  their arrears and more than half of the subcontractors repay every open loan
  in full within two days - a wave of very late, very large repayments.
"""
from __future__ import annotations

from datetime import date

from ..core import User, pick
from .base import World


class ConstructionSubcontractors(World):
    name = "construction_subcontractors"
    code = "06"
    description = ("building subcontractors: monthly near-limit wage draws, chronically late partial "
                   "repayments; quarter-end settlement wave of repayments in the test window")
    anchor = date(2026, 6, 22)
    products = [("merchant_loan", 0.6), ("cash_loan", 0.4)]

    def setup(self, tl, rng, n_users, seed):
        super().setup(tl, rng, n_users, seed)
        self.merchants = self.merchant_ids("supply", 10)
        return {"settle": tl.test_day(0.45)}

    def term_for(self, product, rng):
        return rng.choice([30, 60, 90])

    def make_user(self, idx, rng, ctx):
        seg = "small_business" if rng.random() < 0.88 else "individual"
        lim = rng.uniform(100e3, 1e6) if seg == "small_business" else rng.uniform(20e3, 100e3)
        u = User(idx, self.uid(idx), seg, lim, int(rng.uniform(520, 740)),
                 device=self.device_id(idx), channel=pick(rng, [("app", 0.6), ("web", 0.4)]))
        u.traits["amt"] = lim * rng.uniform(0.2, 0.4)
        u.traits["wage_day"] = rng.choice([5, 8, 10, 10, 10, 12, 15])
        u.traits["developer"] = rng.random() < 0.55
        u.traits["lateness"] = rng.uniform(10, 60)
        u.score_drift = rng.uniform(-0.3, 0.1)
        return u

    def _late_pay(self, u, L, ln, rng, base=0.0):
        late = base + u.traits["lateness"] * rng.uniform(0.5, 1.5)
        L.pay_bullet(ln, late, parts=rng.choice([1, 2, 3, 4]), gap_days=(3, 15),
                     hour=rng.uniform(9, 17))

    def normal(self, u, L, ctx):
        rng = L.rng
        tl = self.tl
        for _ in range(rng.choice([0, 1, 1, 2]) if rng.random() < 0.8 else 0):
            ph = L.phantom(u.limit * rng.uniform(0.1, 0.35), pick(rng, self.products),
                           rng.uniform(60, 150), rng.choice([30, 60, 90]))
            self._late_pay(u, L, ph, rng, base=rng.uniform(20, 60))
        for d in range(tl.days):
            if tl.date_of(d).day == u.traits["wage_day"] and rng.random() < 0.9:
                t = L.at(d, rng.uniform(8, 11))
                prod = "merchant_loan" if rng.random() < 0.6 else "cash_loan"
                ln = L.loan(t, u.limit * rng.uniform(0.4, 0.9), prod, rng.choice([30, 60, 90]),
                            u.channel, purpose="business")
                self._late_pay(u, L, ln, rng)
            if rng.random() < 0.07:
                t = L.at(d, rng.uniform(7, 17))
                ln = L.loan(t, u.traits["amt"] * rng.uniform(0.1, 0.5), "merchant_loan", 60,
                            "merchant", merchant=self.merchant_for(rng), purpose="business")
                self._late_pay(u, L, ln, rng)
        if u.traits["developer"]:
            d = ctx["settle"] + rng.choice([0, 0, 1, 1, 2])
            t = L.at(d, rng.uniform(9, 17))
            for i, (ln, _) in enumerate(sorted(L.open_loans(t), key=lambda c: (c[0].t, c[0].id))):
                L.cancel_repayments(ln, t)
                L.repay(t + 30 * i, ln, ln.remaining)
