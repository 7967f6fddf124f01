"""merchant_cashout_ring (own typology): credit "cash-out" through a colluding
merchant.  Customers fake purchases at a merchant who hands back cash minus a cut,
turning a consumption credit line into untraceable cash.

Range: one customer (often the merchant's own owner) up to a ring of six; a fresh
merchant id or an established-looking one; purchases in round amounts (1,000s) or
disguised ones (4,980, 9,999); the ring clustered within minutes or spread over
days; checkout on the merchant's shared till device or on the customers' phones;
some keep paying the instalments, others vanish.
"""
from __future__ import annotations

import random

from ..clock import DAY, HOUR
from ..desk import Desk
from ..world import World
from .base import Episode, Typology, lerp, odd_time, split, usual_time


class MerchantCashoutRing(Typology):
    name = "merchant_cashout_ring"
    span_days = (0.1, 4.0)
    weight = 0.8

    def group(self, rng: random.Random, x: float) -> int:
        return 1 + int(rng.random() * lerp(1.5, 5.0, x))

    def run(self, ep: Episode, world: World, desk: Desk) -> None:
        rng, x = ep.rng, ep.intensity
        if rng.random() < lerp(0.4, 0.95, x):
            merchant = f"{world.spec.code}x{rng.getrandbits(24):06x}"
        else:
            merchant = rng.choice(world.merchants[len(world.merchants) // 2:])
        till = f"pos-{merchant}" if rng.random() < lerp(0.2, 0.7, x) else None
        window = max(600.0, min(ep.stop - ep.start, lerp(3 * DAY, 1800, x)))
        odd_hours = rng.random() < x * 0.7
        round_to = 100_000 if rng.random() < lerp(0.3, 0.8, x) else None
        for user in ep.users:
            start = ep.start + int(rng.random() * window)
            t = odd_time(user, start, rng, x) if odd_hours else usual_time(user, start, rng)
            buys = 1 + int(rng.random() * lerp(1.5, 3.5, x))
            total = user.book.headroom(t) * lerp(0.45, 0.95, x)
            repay = rng.random() > lerp(0.2, 0.7, x)
            for part in split(rng, total, buys, 0.3):
                product = rng.choice(world.checkout_products())
                self.lend(world, desk, ep, user, t, product=product, amount=self.price(part, round_to, rng),
                          channel="merchant", merchant=merchant, device=till or user.phone, repay=repay)
                t += rng.randrange(30, int(lerp(6 * HOUR, 300, x)) + 31)

    @staticmethod
    def price(cents: float, round_to: int | None, rng: random.Random) -> float:
        """Round sums (whole thousands) or sums disguised as shop prices."""
        if round_to:
            return max(round_to, cents // round_to * round_to)
        return max(1_000.0, cents // 100_000 * 100_000 - rng.choice((100, 2_000, 200)))
