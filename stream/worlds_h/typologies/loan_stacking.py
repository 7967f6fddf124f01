"""loan_stacking: many loans in minutes to a day or two, together several times the user's usual take.

Mechanics: ``burst`` (same product and channel, minutes apart), ``cross_product``
(one loan per product/channel over hours), ``drip`` (ordinary-looking loans
over a day or two whose sum is what stands out). Some users also stacked
once before, in the history.
"""
from __future__ import annotations

from random import Random
from typing import Sequence

from ..context import Ctx
from ..habits import split
from ..ledger import UserBook
from ..loans import build_repayment
from ..repay import plan_repayments
from ..timebase import DAY, HOUR, MINUTE, day_of
from .base import Typology, best_anchor, fitting_product, intensity, make_headroom, take, typical_amount

MECHS = ("burst", "cross_product", "drip")


class LoanStacking(Typology):
    name = "loan_stacking"
    description = "many loans within minutes to two days, together several times the usual amount"

    def inject(self, books: Sequence[UserBook], ctx: Ctx, rng: Random) -> None:
        book = books[0]
        if ctx.span.history_days >= 14 and rng.random() < 0.3:
            t = rng.randrange(7 * DAY, ctx.span.test_start - 3 * DAY)
            self._episode(book, ctx, rng, t, "subtle", rng.choice(MECHS), settle=True)
        mech = rng.choices(MECHS, weights=(0.4, 0.35, 0.25))[0]
        t0 = best_anchor(book, ctx, rng, need_ms=2 * DAY)
        self._episode(book, ctx, rng, t0, intensity(rng), mech)

    def _episode(self, book: UserBook, ctx: Ctx, rng: Random, t0: int, level: str, mech: str,
                 settle: bool = False) -> None:
        """One spree; ``settle``: the user cleared it within weeks (an earlier, survived episode)."""
        prof = book.profile
        typical = typical_amount(book, ctx, before=t0)
        k = {"subtle": rng.randint(3, 4), "medium": rng.randint(4, 6), "blatant": rng.randint(6, 10)}[level]
        factor = {"subtle": rng.uniform(1.6, 2.4), "medium": rng.uniform(2.5, 4.0),
                  "blatant": rng.uniform(4.0, 7.0)}[level]
        if mech == "burst":
            width = rng.randint(2, 40) * MINUTE
        elif mech == "cross_product":
            width = rng.randint(2, 30) * HOUR
        else:
            width = rng.randint(18, 44) * HOUR
        make_headroom(book, t0, min(book.limit_at(t0) * 0.6, typical * factor * 0.9))
        avail = book.available_at(t0)
        total = min(typical * factor, avail * rng.uniform(0.85, 1.0))
        if total < typical * 1.3:
            total = avail * rng.uniform(0.85, 0.98)
        offsets = sorted([0] + [rng.randrange(width) for _ in range(k - 1)])
        products = ctx.spec.products
        channels = ctx.spec.channels
        p0, c0 = rng.randrange(len(products)), rng.randrange(len(channels))
        for i, (off, amount) in enumerate(zip(offsets, split(rng, total, k, 0.6))):
            if mech == "burst":
                product, channel = prof.main_product, prof.main_channel
            elif mech == "cross_product":
                product, channel = products[(p0 + i) % len(products)], channels[(c0 + i) % len(channels)]
            else:
                product, channel = prof.pick_product(rng), prof.pick_channel(rng)
            product = fitting_product(ctx, product, channel, amount)
            rec = take(book, ctx, rng, t0 + off, amount, self.name, product=product, channel=channel)
            if rec is None:
                continue
            if settle:
                t_pay = rec.t + rng.randint(5, 20) * DAY + rng.randrange(DAY)
                if t_pay < ctx.span.test_start:
                    build_repayment(book, ctx, rec, t_pay, rec.amount * 1.01, rec.amount,
                                    day_of(rec.t) + rec.term_days, pinned=True)
            elif rng.random() < 0.3:
                plan_repayments(book, ctx, rng, rec, late_prop=0.6, pinned=True)
