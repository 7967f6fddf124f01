"""identity_farm (own typology): a batch of synthetic or bought identities opened by
one operator, who borrows on all of them once and disappears.

The members have no past in the stream, share a few devices (or hide them behind
the web channel), get the same new-customer limit, carry scores in a narrow band,
and borrow near-identical amounts close together.  Range: three to twelve accounts;
one shared device up to almost one each; amounts within 1-20 % of each other;
first loans within minutes or over two days; some drain a second product.
"""
from __future__ import annotations

import random

from ..clock import HOUR
from ..desk import Desk
from ..model import User
from ..world import World
from .base import Episode, Typology, lerp, new_device, product_mix, usual_time


class IdentityFarm(Typology):
    name = "identity_farm"
    min_group = 3
    weight = 0.5
    span_days = (0.05, 2.0)

    def group(self, rng: random.Random, x: float) -> int:
        return 3 + int(rng.random() * lerp(2.0, 8.0, x))

    def eligible(self, user: User, world: World) -> bool:
        return not user.blank

    def prepare(self, ep: Episode, world: World) -> None:
        """Turn the members into brand-new accounts opened by the same operator."""
        rng, x = ep.rng, ep.intensity
        segments = [s.name for s in world.spec.segments]
        segment = "student" if "student" in segments and rng.random() < 0.4 else segments[0]
        limit = max(1_000, round(world.spec.segment(segment).limit * rng.uniform(0.25, 0.6) / 500) * 500)
        centre, band = rng.randint(560, 690), int(lerp(40, 4, x))
        pool = [new_device(rng) for _ in range(max(1, round(len(ep.users) * lerp(0.7, 0.1, x))))]
        hours = ep.users[0].hours
        for user in ep.users:
            user.blank = True
            world.set_segment(user, segment)
            user.book.reset_limit(limit * 100)
            user.score = centre + rng.randint(-band, band)
            user.phone = rng.choice(pool)
            user.hours = hours
            user.spare_device = None

    def run(self, ep: Episode, world: World, desk: Desk) -> None:
        rng, x = ep.rng, ep.intensity
        window = max(600.0, min(ep.stop - ep.start, lerp(2 * 86_400, 1_200, x)))
        web = rng.random() < lerp(0.4, 0.0, x)
        product = world.cash_product(ep.user)
        spec = world.spec.product(product)
        term = rng.choice(spec.terms)
        base = lerp(0.55, 0.95, x)
        wobble = lerp(0.2, 0.01, x)
        second = lerp(0.15, 0.8, x)
        for user in ep.users:
            t = usual_time(user, ep.start + int(rng.random() * window), rng)
            limit = user.book.limit_at(t)
            amount = limit * base * (1 + rng.uniform(-wobble, wobble))
            channel = "web" if web else "app"
            device = None if web and rng.random() < 0.6 else user.phone
            self.lend(world, desk, ep, user, t, product=product, amount=amount, term=term,
                      channel=channel, device=device)
            if rng.random() < second:
                others = [p for p in product_mix(world, user) if p != product] or [product]
                self.lend(world, desk, ep, user, t + rng.randrange(120, 6 * HOUR), product=rng.choice(others),
                          frac=0.9, channel=channel, device=device)
