"""limit_jump_drain: right after a credit-limit increase the user drains most of
the new room.

Range: raises of 1.3x to 3.5x; the drain from four days down to minutes after the
raise, in one to four loans, 60-98 % of the room; usually never repaid.
"""
from __future__ import annotations

from ..clock import DAY
from ..desk import Desk
from ..world import World
from .base import Episode, Typology, burst, lerp, other_channel, split, usual_time


class LimitJumpDrain(Typology):
    name = "limit_jump_drain"
    span_days = (0.1, 4.0)

    def run(self, ep: Episode, world: World, desk: Desk) -> None:
        user, rng, x = ep.user, ep.rng, ep.intensity
        t_raise = ep.start - int(lerp(4 * DAY, 900, x) * rng.uniform(0.4, 1.2))
        book = user.book
        factor = rng.uniform(lerp(1.3, 2.0, x), lerp(1.7, 3.5, x))
        book.raise_limit(t_raise, -(-int(book.limit_at(t_raise) * factor) // 50_000) * 50_000)
        t0 = usual_time(user, ep.start, rng)
        n = 1 + int(rng.random() * lerp(1.5, 3.8, x))
        times = burst(rng, t0, n, lerp(DAY, 180, x))
        channel = other_channel(world, user, rng) if rng.random() < lerp(0.1, 0.5, x) else None
        products = [p for p, _ in user.products]
        repay = rng.random() < lerp(0.6, 0.1, x)
        total = book.headroom(t0) * lerp(0.6, 0.98, x)
        for t, part in zip(times, split(rng, total, n, 0.5)):
            self.lend(world, desk, ep, user, t, product=rng.choice(products), amount=part,
                      channel=channel, repay=repay)
