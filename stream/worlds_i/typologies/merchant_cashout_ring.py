"""merchant_cashout_ring (套现): three to six borrowers "buy" at one
colluding merchant -- a brand-new shop or a real one gone bad -- drawing most
of their available line in round or just-under amounts, sometimes on the
merchant's own terminal, clustered within hours or spread over days; the
cash comes back to them off-platform.  Rings that keep cycling repay on time
and draw again; others stop paying after the last cycle."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..ledger import Ctx
from ..model import User
from ..timeline import DAY, HOUR, at
from .common import hour_like, in_window, joined, roundish, settle

if TYPE_CHECKING:
    from ..plan import Episode

NAME = "merchant_cashout_ring"
GROUP = (3, 6)
FRESH = False
SPAN = 6


def eligible(ctx: Ctx, u: User, start: int, strict: bool) -> bool:
    if not joined(u, start):
        return False
    return not strict or (len(ctx.loans_before(u, start)) >= 1 and ctx.limit_at(u, start) > 0)


def run(ctx: Ctx, ep: "Episode") -> None:
    w, r = ctx.world, ep.rng
    L = dict(label=1, scenario=NAME)
    users = ep.users
    merchant = w.new_merchant(r) if r.random() < 0.7 else w.merchant_for(users[0], "credit_line", r)
    terminal = w.new_device(r) if r.random() < 0.5 else None
    prod = "installment" if ("installment" in w.products and r.random() < 0.3) or "credit_line" not in w.products \
        else "credit_line"
    fixed = r.choice((None, None, 2999, 4999, 9800, 19999))
    cluster = r.random() < 0.55
    cycles = r.randint(1, 3)
    cycle_term = r.choice((7, 14, 30))
    default_end = r.random() < 0.4
    day = ep.start // DAY + r.randint(0, 1)
    hour = hour_like(ctx, users[0], r, 0.4)
    for c in range(cycles):
        for u in users:
            t = at(day, hour) + (r.randint(0, 4 * HOUR) if cluster else r.randint(0, 5 * DAY))
            if not in_window(ctx, t, ep.stop):
                continue
            lim, avail = ctx.limit_at(u, t), ctx.available_at(u, t)
            if avail < 300:
                avail = max(lim, 1000) * r.uniform(0.5, 0.9)
            amt = min(fixed, avail) if fixed else roundish(avail * r.uniform(0.85, 1.0), r)
            term = cycle_term if prod == "credit_line" else w.term_for(prod, r)
            dev = terminal or (u.devices[-1] if u.devices and r.random() < 0.5 else None)
            lo = ctx.loan(u, t, amt, prod, term, "merchant", r, merchant=merchant, device=dev,
                          purpose="consumption", **L)
            if c == cycles - 1 and default_end:
                continue
            settle(ctx, u, lo, r, late=r.choice((0, 0, 0, 1, 2)), early=r.choice((0, 0, 1)), **L)
        day += cycle_term + r.randint(1, 3)
