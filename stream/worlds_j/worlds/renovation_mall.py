"""renovation_mall: bill instalments at a big home-improvement mall.

Unusual normal behaviour:
* Thousands of customers share the same dozen mall merchants (legitimate).
* A renovation "shopping day" converts 1-5 large bills (tiles, cabinets,
  appliances...) at different merchants into instalments within an hour or
  two - many big loans in a short time is the ordinary habit.
* Limits are per product: ``credit_limit`` is the limit of the loan's product,
  so a user's total outstanding routinely exceeds the limit shown.
* Long terms (6-36 months); monthly instalments are auto-debited in a
  night-time batch (02:00-04:00), a day or two early.
* Most users are mid-project when the stream starts: repayments into
  instalment loans the stream never showed.
No collective change in the test window.
"""
from __future__ import annotations

from datetime import date

from ..core import DAY, User, round_limit
from .base import World


class RenovationMall(World):
    name = "renovation_mall"
    code = "04"
    description = ("home-renovation instalments at a dozen shared mall merchants: bursts of large "
                   "bills, per-product limits, night auto-debit, many pre-stream loans")
    anchor = date(2026, 4, 20)
    products = [("installment", 0.7), ("credit_line", 0.2), ("cash_loan", 0.1)]

    def setup(self, tl, rng, n_users, seed):
        super().setup(tl, rng, n_users, seed)
        self.merchants = self.merchant_ids("mall", 14)
        return {}

    def term_for(self, product, rng):
        if product == "installment":
            return rng.choice([180, 365, 365, 730, 1095])
        return super().term_for(product, rng)

    def make_user(self, idx, rng, ctx):
        seg = "small_business" if rng.random() < 0.15 else "individual"
        inst = rng.uniform(30e3, 200e3) * (1.5 if seg == "small_business" else 1.0)
        u = User(idx, self.uid(idx), seg, inst, int(rng.uniform(600, 820)),
                 device=self.device_id(idx), channel="app")
        u.product_limits = {"installment": round_limit(inst),
                            "credit_line": round_limit(rng.uniform(5e3, 20e3)),
                            "cash_loan": round_limit(rng.uniform(5e3, 30e3)),
                            "merchant_loan": round_limit(rng.uniform(50e3, 150e3))}
        u.traits["amt"] = inst * rng.uniform(0.06, 0.15)
        u.traits["autopay"] = rng.random() < 0.8
        u.p_score = 0.9
        return u

    def _repay(self, u, L, ln, rng):
        if u.traits["autopay"]:
            L.pay_installments(ln, early_days=(0.5, 2), hour=rng.uniform(2, 4))
        else:
            L.pay_installments(ln, late_days=(-6, 3), hour=rng.uniform(9, 22))

    def normal(self, u, L, ctx):
        rng = L.rng
        tl = self.tl
        contractor = u.segment == "small_business"
        for _ in range(rng.choice([0, 1, 1, 2, 3]) if rng.random() < 0.6 else 0):
            ph = L.phantom(u.traits["amt"] * rng.uniform(0.5, 2.0), "installment",
                           rng.uniform(10, 300), rng.choice([365, 730, 1095]))
            ph.due = ph.t + 30 * DAY
            L.pay_installments(ph, early_days=(0.5, 2), hour=rng.uniform(2, 4))
        # renovation projects overlapping the stream
        if rng.random() < (0.45 if not contractor else 0.8):
            p_start = rng.uniform(-30, tl.days)
            p_len = rng.uniform(20, 80)
            d = p_start
            while d < min(tl.days, p_start + p_len):
                if d >= 0:
                    self._shopping_day(u, L, int(d), rng, contractor)
                d += rng.uniform(3, 12)
        for d in range(tl.days):
            if rng.random() < 0.05:
                ln = L.loan(L.at(d, rng.uniform(10, 22)), rng.uniform(50, 1500), "credit_line", 30,
                            "app", purpose="consumption")
                L.pay_bullet(ln, -rng.uniform(0, 3), hour=rng.uniform(2, 4))
            if contractor and rng.random() < 0.04:
                ln = L.loan(L.at(d, rng.uniform(8, 18)), u.traits["amt"] * rng.uniform(0.5, 2),
                            "merchant_loan", rng.choice([60, 90]), "merchant",
                            merchant=self.merchant_for(rng), purpose="business")
                L.pay_bullet(ln, rng.uniform(-10, 5), hour=rng.uniform(9, 17))

    def _shopping_day(self, u, L, d, rng, contractor):
        weekend = self.tl.date_of(d).weekday() >= 5
        if not weekend and rng.random() < 0.5:
            d += 5 - self.tl.date_of(d).weekday()  # move to Saturday
        t = L.at(d, rng.uniform(10, 18.5))
        shops = list(self.merchants)
        rng.shuffle(shops)
        for i in range(rng.randint(1, 5)):
            t += int(rng.uniform(5, 45) * 60)
            amt = rng.uniform(2e3, 40e3) * (1.5 if contractor else 1.0)
            amt = min(amt, u.product_limits["installment"] * rng.uniform(0.3, 0.9))
            ln = L.loan(t, amt, "installment", self.term_for("installment", rng), "merchant",
                        merchant=shops[i], purpose="business" if contractor else "consumption")
            self._repay(u, L, ln, rng)
