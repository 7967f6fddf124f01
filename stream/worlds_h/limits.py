"""Ordinary credit-limit decisions: upgrades, cuts, revaluation, batch reviews.

Why: ``credit_limit`` is not constant in real lenders. A pledge lender marks
collateral to market weekly; a card-like lender runs a limit review; most
lenders upgrade a few good customers. Normal limit movement is what makes a
malicious "limit jump then drain" hard to tell from an upgrade.
"""
from __future__ import annotations

from random import Random

from .context import Ctx
from .ledger import UserBook
from .timebase import DAY, HOUR, at


def schedule_limits(book: UserBook, ctx: Ctx, rng: Random) -> None:
    spec = ctx.spec
    span = ctx.span
    step = 100.0 if book.profile.limit < 100_000 else 1000.0
    if spec.limit_drift and rng.random() < spec.limit_drift:
        t = rng.randrange(DAY, span.end)
        factor = rng.uniform(1.15, 1.6) if rng.random() < 0.8 else rng.uniform(0.6, 0.9)
        book.scale_limits_from(t, factor, step)
    if spec.mark_to_market:
        for week in range(1, span.total_days // 7 + 1):
            if rng.random() < 0.6:
                t = at(week * 7, 7) + rng.randrange(HOUR)   # Monday morning revaluation batch
                if t < span.end:
                    book.scale_limits_from(t, max(0.8, 1 + rng.gauss(0, spec.mark_to_market)), step)
    rv = spec.limit_review
    if rv:
        t = span.test_start + int(rv.test_fraction * span.test_days) * DAY + 2 * HOUR + rng.randrange(HOUR)
        r = rng.random()
        if r < rv.raise_share:
            book.scale_limits_from(t, rng.uniform(*rv.raise_range), step)
        elif r < rv.raise_share + rv.lower_share:
            book.scale_limits_from(t, rng.uniform(*rv.lower_range), step)
