"""account_takeover: someone else gets into an existing account (new device, an hour
or channel the owner does not use) and cashes out close to the limit.

Range: one to five loans, sometimes after a small probe loan; gaps from hours down
to a minute; a new device (or, rarely, the owner's own one under remote control);
channel kept or switched; the owner never repays these loans.
"""
from __future__ import annotations

from ..clock import DAY, HOUR
from ..desk import Desk
from ..model import User
from ..world import World
from .base import (Episode, Typology, burst, lerp, new_device, odd_time, other_channel, product_mix, roomy_time,
                   split)


class AccountTakeover(Typology):
    name = "account_takeover"
    span_days = (0.05, 1.0)

    def eligible(self, user: User, world: World) -> bool:
        """Dormant accounts are favourite targets too, where a lender has them."""
        return not user.blank

    def run(self, ep: Episode, world: World, desk: Desk) -> None:
        user, rng, x = ep.user, ep.rng, ep.intensity
        t0 = odd_time(user, roomy_time(world, user, ep.start, ep.stop, rng) // DAY * DAY, rng, x)
        device = user.phone if rng.random() < lerp(0.25, 0.0, x) else new_device(rng)
        channel = other_channel(world, user, rng) if rng.random() < lerp(0.2, 0.85, x) else None
        if channel == "web":
            device = None if rng.random() < 0.5 else device
        n = 1 + int(rng.random() * lerp(1.5, 4.5, x))
        times = burst(rng, t0, n + 1, lerp(3 * HOUR, 90, x) * n)
        if rng.random() < 0.35:
            self.lend(world, desk, ep, user, times[0], product=world.cash_product(user),
                      frac=rng.uniform(0.03, 0.08), channel=channel, device=device)
        total = user.book.headroom(times[1]) * lerp(0.55, 0.98, x)
        cash = world.cash_product(user)
        for t, part in zip(times[1:], split(rng, total, n, 0.4)):
            product = cash if rng.random() < 0.8 else rng.choice(product_mix(world, user))
            spec = world.spec.product(product)
            self.lend(world, desk, ep, user, t, product=product, amount=part, term=max(spec.terms),
                      channel=channel, device=device)
