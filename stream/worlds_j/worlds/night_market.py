"""night_market: working-capital micro-loans for night-market stall keepers.

Unusual normal behaviour:
* Activity is at night: restock draws 17:00-23:00 and wholesale-market draws
  01:00-04:00 at a few shared wholesale merchants.
* Several tiny 1-3 day loans a night, repaid the next afternoon from the
  takings: many loans in a short time is the ordinary habit.
* Couples run a stall together and share one phone (legitimately shared devices).
* Sparse optional fields: credit_score, purpose, device_id and outstanding are
  often missing.
* COLLECTIVE CHANGE IN THE TEST WINDOW: a typhoon closes the markets for three
  days: no draws, every repayment due then is paid late afterwards, followed
  by a big restock burst (2-3x the usual amounts).
"""
from __future__ import annotations

from datetime import date

from ..core import User, pick
from .base import World


class NightMarket(World):
    name = "night_market"
    code = "05"
    description = ("night-market stalls: many tiny overnight loans at night, couples sharing phones, "
                   "sparse fields; a typhoon closes the markets in the test window")
    anchor = date(2026, 7, 13)
    products = [("merchant_loan", 0.8), ("credit_line", 0.15), ("cash_loan", 0.05)]
    has_students = True

    def setup(self, tl, rng, n_users, seed):
        super().setup(tl, rng, n_users, seed)
        self.merchants = self.merchant_ids("wholesale", 8)
        first = tl.test_day(0.35)
        return {"typhoon": (first, first + 3)}

    def term_for(self, product, rng):
        if product == "merchant_loan":
            return rng.choice([1, 2, 3, 7])
        return super().term_for(product, rng)

    def usual_hour(self, u, rng):
        return rng.uniform(17, 23) if rng.random() < 0.7 else rng.uniform(25, 28)

    def make_user(self, idx, rng, ctx):
        seg = pick(rng, [("small_business", 0.82), ("individual", 0.12), ("student", 0.06)])
        lim = rng.uniform(5e3, 30e3) if seg != "student" else rng.uniform(2e3, 6e3)
        couple = idx // 2
        shared = rng.random() < 0.5
        dev = self.device_id("stall", couple) if shared else self.device_id(idx)
        u = User(idx, self.uid(idx), seg, lim, int(rng.uniform(450, 720)), device=dev)
        u.traits["amt"] = lim * rng.uniform(0.04, 0.12)
        u.traits["nights"] = rng.uniform(0.07, 0.2)
        u.p_score, u.p_purpose, u.p_device, u.p_outstanding = 0.3, 0.2, 0.6, 0.5
        return u

    def normal(self, u, L, ctx):
        rng = L.rng
        tl = self.tl
        ty0, ty1 = ctx["typhoon"]
        amt = u.traits["amt"]
        for d in range(tl.days):
            if ty0 <= d < ty1:
                continue
            restock = d == ty1 and rng.random() < 0.8
            if not restock and rng.random() > u.traits["nights"]:
                continue
            n = rng.choice([1, 1, 2, 2, 3]) + (rng.randint(1, 2) if restock else 0)
            for _ in range(n):
                scale = rng.uniform(2, 3) if restock else rng.uniform(0.4, 1.5)
                if rng.random() < 0.3:  # wholesale market before dawn
                    t = L.at(d, rng.uniform(25, 28))
                    ch, m = "merchant", self.merchant_for(rng)
                else:
                    t = L.at(d, rng.uniform(17, 23))
                    ch, m = "app", None
                prod = "merchant_loan" if rng.random() < 0.9 else "credit_line"
                term = rng.choice([1, 1, 2, 3]) if prod == "merchant_loan" else 30
                ln = L.loan(t, amt * scale, prod, term, ch, merchant=m,
                            purpose="business" if u.segment != "student" or rng.random() < 0.5
                            else "education")
                late = 0 if rng.random() < 0.92 else rng.choice([1, 1, 2])
                L.pay_bullet(ln, -ln.term + 1 + late if prod == "merchant_loan" else -rng.uniform(0, 4),
                             hour=rng.uniform(11, 16))
        # repayments that fall in the typhoon are made when markets reopen
        lo, hi = L.at(ty0, 0), L.at(ty1, 0)
        for ev in L.events:
            if ev["_kind"] == "repayment" and lo <= ev["_t"] < hi:
                L.move_repayment(ev, L.at(ty1 + rng.choice([0, 0, 1]), rng.uniform(11, 16)))
