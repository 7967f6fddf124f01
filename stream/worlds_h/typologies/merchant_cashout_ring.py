"""merchant_cashout_ring (own typology): a collusive merchant turns customers' credit into cash.

Mechanics: ``max_swipe`` (each customer one checkout of nearly all available
credit, just under a round sum), ``split_swipes`` (two to four round-sum
checkouts each, minutes apart), ``slow_ring`` (one or two half-limit
checkouts per customer over a week; only the first instalment is paid). All
draws go through channel ``merchant`` at one merchant id nobody used before.
"""
from __future__ import annotations

import math
from random import Random
from typing import Sequence

from ..context import Ctx
from ..habits import sample_hour
from ..ledger import UserBook
from ..repay import plan_repayments
from ..timebase import DAY, HOUR, MINUTE, at, day_of
from .base import Typology, anchor, intensity, make_headroom, take


def _just_under(x: float, rng: Random) -> float:
    """4,999 rather than 5,000: staying under a review threshold."""
    r = math.floor(x / 100.0) * 100.0
    return r - rng.choice((0.0, 1.0, 10.0)) if r > 200 else x


class MerchantCashoutRing(Typology):
    name = "merchant_cashout_ring"
    group = (4, 10)
    description = "customers of one new merchant draw near-limit round sums there within days"

    def eligible(self, prof, ctx):  # type: ignore[override]
        return "merchant" in ctx.spec.channels

    def inject(self, books: Sequence[UserBook], ctx: Ctx, rng: Random) -> None:
        merchant = ctx.new_merchant_id()
        mech = rng.choices(("max_swipe", "split_swipes", "slow_ring"), weights=(0.4, 0.3, 0.3))[0]
        level = intensity(rng)
        prods = ctx.spec.products
        product = next((p for p in ("credit_line", "installment", "merchant_loan") if p in prods), prods[0])
        width = {"max_swipe": rng.randint(1, 3), "split_swipes": rng.randint(1, 2),
                 "slow_ring": rng.randint(5, 8)}[mech] * DAY
        t0 = anchor(ctx, rng, need_ms=min(width, 4 * DAY))
        hours = "night" if rng.random() < 0.5 else "shop"
        share = {"subtle": rng.uniform(0.6, 0.8), "medium": rng.uniform(0.8, 0.92),
                 "blatant": rng.uniform(0.92, 0.99)}[level]
        for b in books:
            t = at(day_of(t0 + rng.randrange(width)), sample_hour(rng, hours)) + rng.randrange(HOUR)
            t = max(t0, t)
            make_headroom(b, t, b.limit_at(t) * 0.6)
            avail = b.available_at(t)
            if mech == "max_swipe":
                self._swipe(b, ctx, rng, t, _just_under(avail * share, rng), merchant, product)
            elif mech == "split_swipes":
                k = rng.randint(2, 4)
                each = min(avail * share / k, b.limit_at(t) * rng.uniform(0.2, 0.4))
                for _ in range(k):
                    self._swipe(b, ctx, rng, t, _just_under(each, rng), merchant, product)
                    t += rng.randint(3, 40) * MINUTE
            else:
                for _ in range(rng.choice((1, 2))):
                    loan = self._swipe(b, ctx, rng, t, _just_under(b.available_at(t) * rng.uniform(0.4, 0.6), rng),
                                       merchant, product)
                    if loan is not None:
                        plan_repayments(b, ctx, rng, loan, late_prop=0.0, max_payments=1, pinned=True)
                    t += rng.randint(1, 3) * DAY

    def _swipe(self, book: UserBook, ctx: Ctx, rng: Random, t: int, amount: float, merchant: str, product: str):
        return take(book, ctx, rng, t, amount, self.name, product=product, channel="merchant", merchant=merchant)
