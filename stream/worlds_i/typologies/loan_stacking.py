"""loan_stacking: many loans in a short time, across products and channels,
at or beyond the credit limit -- taken within minutes, hours or a day or two,
before the lender's systems see the combined exposure."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..ledger import DEFAULT, Ctx
from ..model import User
from ..timeline import DAY, HOUR, at
from ..worlds.base import pick
from .common import (hour_like, in_window, joined, settle, split, spread, typical_amount,
                     usual_channel)

if TYPE_CHECKING:
    from ..plan import Episode

NAME = "loan_stacking"
GROUP = (1, 1)
FRESH = False
SPAN = 3


def eligible(ctx: Ctx, u: User, start: int, strict: bool) -> bool:
    return joined(u, start) and (not strict or len(ctx.loans_before(u, start)) >= 1)


def run(ctx: Ctx, ep: "Episode") -> None:
    w, r = ctx.world, ep.rng
    L = dict(label=1, scenario=NAME)
    for u in ep.users:
        t0 = at(ep.start // DAY + r.randint(0, 1), hour_like(ctx, u, r, 0.3))
        mode = r.choices(("minutes", "hours", "days"), (0.45, 0.35, 0.2))[0]
        span = {"minutes": r.randint(300, 5400), "hours": r.randint(2, 12) * HOUR,
                "days": r.randint(20, 60) * HOUR}[mode]
        k = r.randint(4, 12)
        lim, avail = ctx.limit_at(u, t0), ctx.available_at(u, t0)
        base = max(lim, typical_amount(u, 1500) * 3)
        total = max(avail, 0.5 * base) * r.uniform(0.8, 1.5)      # at, near or over the limit
        amounts = split(total, k, r, 100 if r.random() < 0.4 else 0)
        mix_p, mix_c = r.random() < 0.6, r.random() < 0.5
        own, prod0 = usual_channel(u), pick(r, w.products)
        extra_dev = w.new_device(r) if r.random() < 0.25 else None
        fate = r.choices(("none", "some", "late"), (0.45, 0.35, 0.2))[0]
        for t, a in zip(spread(t0, k, span, r), amounts):
            if not in_window(ctx, t, ep.stop):
                break
            prod = pick(r, w.products) if mix_p else prod0
            ch = pick(r, w.channels) if mix_c else own
            dev = extra_dev if extra_dev and ch in ("app", "web") and r.random() < 0.5 else DEFAULT
            lo = ctx.loan(u, t, a, prod, w.term_for(prod, r), ch, r, device=dev, **L)
            if fate == "some" and r.random() < 0.5:
                settle(ctx, u, lo, r, late=r.choice((0, 0, 1)), **L)
            elif fate == "late" and r.random() < 0.6:
                settle(ctx, u, lo, r, late=r.randint(5, 25), fraction=r.uniform(0.3, 1.0),
                       stop_after=1, **L)
