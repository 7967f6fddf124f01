"""account_takeover: an attacker on a new device drains an established account's available credit.

Mechanics: ``probe_drain`` (a tiny probe loan at night, then one to three
loans taking most of what is left), ``direct_drain`` (one large loan at an odd
hour, app or web), ``slow_drain`` (normal hours and channel, new phone, two to
four cash draws over a day or two). Attackers prefer cash products and the
longest term; they never repay.
"""
from __future__ import annotations

from random import Random
from typing import Sequence

from .. import ids
from ..context import Ctx
from ..habits import odd_time, split, time_on_day
from ..ledger import UserBook
from ..timebase import DAY, HOUR, MINUTE, day_of
from .base import EstablishedAccount, best_anchor, cash_product, intensity, longest_term, make_headroom, take


class AccountTakeover(EstablishedAccount):
    name = "account_takeover"
    description = "new device, odd hour or channel, quick drain of available credit after an optional probe"

    def inject(self, books: Sequence[UserBook], ctx: Ctx, rng: Random) -> None:
        book = books[0]
        prof = book.profile
        span = ctx.span
        mech = rng.choices(("probe_drain", "direct_drain", "slow_drain"), weights=(0.4, 0.3, 0.3))[0]
        level = intensity(rng)
        t0 = best_anchor(book, ctx, rng, need_ms=2 * DAY if mech == "slow_drain" else 6 * HOUR)
        day = day_of(t0)
        device = ids.device_id(ctx.device_style_at(t0), rng)
        product = cash_product(ctx, prof)
        term = longest_term(ctx, product)
        channels = ctx.spec.channels
        app = "app" if "app" in channels else channels[0]
        if mech == "slow_drain":
            channel = prof.main_channel if prof.main_channel in ("app", "partner") else app
            t = max(span.test_start, time_on_day(rng, day, prof.hour_style))
        else:
            channel = "web" if mech == "direct_drain" and "web" in channels and rng.random() < 0.4 else app
            t = max(span.test_start, odd_time(rng, day))
        make_headroom(book, t, book.limit_at(t) * 0.5)
        avail = book.available_at(t)
        drain = {"subtle": rng.uniform(0.6, 0.8), "medium": rng.uniform(0.8, 0.95),
                 "blatant": rng.uniform(0.95, 1.0)}[level]

        def loan(at_t: int, amount: float) -> None:
            take(book, ctx, rng, at_t, amount, self.name, product=product, channel=channel, term=term,
                 device=device)

        if mech == "probe_drain":
            probe = max(50.0, avail * rng.uniform(0.01, 0.04))
            loan(t, probe)
            t += rng.randint(5, 90) * MINUTE
            for part in split(rng, max(0.0, avail - probe) * drain, rng.randint(1, 3)):
                loan(t, part)
                t += rng.randint(1, 10) * MINUTE
        elif mech == "direct_drain":
            loan(t, avail * drain)
        else:
            n = rng.randint(2, 4)
            for i, part in enumerate(split(rng, avail * drain, n)):
                loan(max(t, time_on_day(rng, day + i // 2, prof.hour_style)) + i * MINUTE, part)
