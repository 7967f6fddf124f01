"""device_mule_ring (own typology): several young accounts share one to three phones and cash out together.

Mechanics: ``sequential`` (one shared phone, each account one loan minutes
apart), ``rotating`` (two or three shared phones across the ring within
hours), ``spread`` (one phone, loans of nearly the same amount across a day
or two, often at night). Members were opened during the history, took at
most a couple of small loans, have similar limits, and never repay the ring
loans.
"""
from __future__ import annotations

import statistics
from random import Random
from typing import Sequence

from .. import ids
from ..context import Ctx
from ..habits import odd_time, round_to, time_on_day
from ..ledger import UserBook
from ..repay import plan_repayments
from ..timebase import DAY, HOUR, MINUTE, day_of
from .base import Typology, anchor, cash_product, intensity, take


class DeviceMuleRing(Typology):
    name = "device_mule_ring"
    group = (3, 8)
    description = "a ring of new accounts sharing phones, borrowing near-identical sums together"

    def prepare(self, profs, ctx, rng):  # type: ignore[override]
        super().prepare(profs, ctx, rng)
        h = ctx.span.history_days
        t_open = max(0, h // 2) * DAY
        shared = [ids.device_id(ctx.device_style_at(t_open), rng) for _ in range(rng.randint(1, 3))]
        base = statistics.median(p.limit for p in profs) * rng.uniform(0.4, 0.8)
        for i, p in enumerate(profs):
            p.normal_enabled = False
            p.opening_enabled = False
            p.start_day = rng.randint(min(h // 2, max(0, h - 3)), max(0, h - 3))
            p.limit = round_to(base * rng.uniform(0.9, 1.1), 100.0)
            p.devices = [(-(1 << 62), shared[i % len(shared)])]
            p.main_channel = "app" if "app" in ctx.spec.channels else p.main_channel

    def inject(self, books: Sequence[UserBook], ctx: Ctx, rng: Random) -> None:
        span = ctx.span
        shared = list(dict.fromkeys(b.profile.devices[0][1] for b in books))
        for b in books:   # warm-up: a small, well-paid loan or two
            for _ in range(rng.choice((0, 1, 1, 2))):
                d = rng.randint(b.profile.start_day, max(b.profile.start_day, span.history_days - 1))
                loan = take(b, ctx, rng, time_on_day(rng, d, b.profile.hour_style),
                            b.profile.limit * rng.uniform(0.05, 0.2), "normal", label=0)
                if loan is not None:
                    plan_repayments(b, ctx, rng, loan, late_prop=0.0, pinned=True)
        mech = rng.choices(("sequential", "rotating", "spread"), weights=(0.4, 0.3, 0.3))[0]
        level = intensity(rng)
        t0 = anchor(ctx, rng, need_ms=2 * DAY)
        if rng.random() < 0.5:
            t0 = max(span.test_start, odd_time(rng, day_of(t0)))
        product = cash_product(ctx, books[0].profile)
        channel = "app" if "app" in ctx.spec.channels else ctx.spec.channels[0]
        share = {"subtle": rng.uniform(0.6, 0.8), "medium": rng.uniform(0.8, 0.95), "blatant": 1.0}[level]
        common = min(b.available_at(t0) for b in books) * share
        per_member = 2 if level == "blatant" else 1
        order = list(books)
        rng.shuffle(order)
        t = t0
        for i, b in enumerate(order):
            for j in range(per_member):
                if mech == "sequential":
                    t += rng.randint(2, 15) * MINUTE
                    dev = shared[0]
                elif mech == "rotating":
                    t = t0 + rng.randrange(6 * HOUR)
                    dev = shared[(i + j) % len(shared)]
                else:
                    t = t0 + rng.randrange(int(1.5 * DAY))
                    dev = shared[0]
                amount = common * rng.uniform(0.98, 1.02) / per_member
                take(b, ctx, rng, t, min(amount, b.available_at(t)), self.name, product=product,
                     channel=channel, device=dev)
