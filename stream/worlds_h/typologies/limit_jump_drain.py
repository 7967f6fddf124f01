"""limit_jump_drain: right after a credit-limit increase the user draws most of the new headroom.

Mechanics: ``instant`` (one loan within minutes of the increase), ``split``
(two to five loans within a day), ``spread`` (two or three loans over one to
three days across products, 60-80 % of headroom). The increase itself is only
visible through ``credit_limit`` on the following loans, as in the contract.
"""
from __future__ import annotations

from random import Random
from typing import Sequence

from ..context import Ctx
from ..habits import split, time_on_day
from ..ledger import UserBook
from ..timebase import DAY, HOUR, MINUTE, at, day_of
from .base import EstablishedAccount, anchor, cash_product, intensity, make_headroom, take


class LimitJumpDrain(EstablishedAccount):
    name = "limit_jump_drain"
    description = "most of a freshly raised limit drawn within minutes to a few days"

    def inject(self, books: Sequence[UserBook], ctx: Ctx, rng: Random) -> None:
        book = books[0]
        prof = book.profile
        span = ctx.span
        mech = rng.choices(("instant", "split", "spread"), weights=(0.35, 0.4, 0.25))[0]
        level = intensity(rng)
        t = anchor(ctx, rng, need_ms=3 * DAY if mech == "spread" else DAY)
        t_limit = max(span.test_start + MINUTE, at(day_of(t), rng.choice((2, 10, 14, 16))) + rng.randrange(HOUR))
        factor = {"subtle": rng.uniform(1.3, 1.8), "medium": rng.uniform(1.8, 2.8),
                  "blatant": rng.uniform(2.8, 4.5)}[level]
        book.scale_limits_from(t_limit, factor, 100.0 if prof.limit < 100_000 else 1000.0)
        t = t_limit + rng.randint(3, 90) * MINUTE
        make_headroom(book, t, book.limit_at(t) * 0.5)
        avail = book.available_at(t)
        product = cash_product(ctx, prof) if rng.random() < 0.6 else prof.main_product
        if mech == "instant":
            take(book, ctx, rng, t, avail * rng.uniform(0.8, 1.0), self.name, product=product)
        elif mech == "split":
            width = rng.randint(1, 24) * HOUR
            offs = sorted([0] + [rng.randrange(width) for _ in range(rng.randint(1, 4))])
            for off, part in zip(offs, split(rng, avail * rng.uniform(0.75, 0.98), len(offs))):
                take(book, ctx, rng, t + off, part, self.name, product=product)
        else:
            n = rng.randint(2, 3)
            for i, part in enumerate(split(rng, avail * rng.uniform(0.6, 0.8), n)):
                when = t if i == 0 else max(t, time_on_day(rng, day_of(t) + i, prof.hour_style))
                take(book, ctx, rng, when, part, self.name, product=prof.pick_product(rng))
