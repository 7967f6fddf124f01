"""loan_stacking: several loans in a short time, across products or channels, that
together take the user up to (or just under) the limit.

Range: two to seven loans; within minutes (blatant) or spread over a day (subtle);
one product or several; one channel or hopping; sometimes repaid, often not.
"""
from __future__ import annotations

from ..clock import HOUR
from ..desk import Desk
from ..population import channels_of
from ..world import World
from .base import Episode, Typology, burst, lerp, product_mix, roomy_time, split


class LoanStacking(Typology):
    name = "loan_stacking"
    span_days = (0.05, 1.0)

    def run(self, ep: Episode, world: World, desk: Desk) -> None:
        user, rng, x = ep.user, ep.rng, ep.intensity
        t0 = roomy_time(world, user, ep.start, ep.stop, rng, need=lerp(0.25, 0.5, x))
        n = 2 + int(rng.random() * lerp(1.5, 5.5, x))
        window = lerp(20 * HOUR, 600, x) * rng.uniform(0.5, 1.5)
        times = burst(rng, t0, n, window)
        if rng.random() < lerp(0.5, 0.85, x):
            products = product_mix(world, user)
            rng.shuffle(products)
        else:
            products = [world.cash_product(user)]
        channels = channels_of(world.spec) if rng.random() < 0.5 else [None]
        total = user.book.headroom(t0) * lerp(0.45, 0.98, x)
        repay = rng.random() > lerp(0.3, 0.85, x)
        for i, (t, part) in enumerate(zip(times, split(rng, total, n, 0.5))):
            self.lend(world, desk, ep, user, t, product=products[i % len(products)], amount=part,
                      channel=rng.choice(channels), repay=repay)
