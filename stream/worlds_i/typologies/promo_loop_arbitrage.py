"""promo_loop_arbitrage (薅羊毛): one to three accounts -- often one person on
one phone -- farm "new loan" promotions (interest-free days, cash-back
coupons) by borrowing just at or above the coupon threshold and repaying the
exact principal within minutes to three days, five to fourteen times, sometimes
at the same scripted hour, rotating products to collect every coupon."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..ledger import DEFAULT, Ctx
from ..model import User
from ..timeline import DAY, HOUR, at
from ..worlds.base import pick
from .common import in_window, joined, next_at_hour, usual_channel

if TYPE_CHECKING:
    from ..plan import Episode

NAME = "promo_loop_arbitrage"
GROUP = (1, 3)
FRESH = False
SPAN = 8


def eligible(ctx: Ctx, u: User, start: int, strict: bool) -> bool:
    return joined(u, start) and (not strict or ctx.limit_at(u, start) >= 500)


def run(ctx: Ctx, ep: "Episode") -> None:
    w, r = ctx.world, ep.rng
    L = dict(label=1, scenario=NAME)
    phone = w.new_device(r) if len(ep.users) > 1 and r.random() < 0.7 else None
    threshold = r.choice(w.promo_steps)
    exact = r.random() < 0.5
    loops = r.randint(5, 14)
    span = r.randint(4, 14) * DAY
    scripted = r.uniform(7, 23.5) if r.random() < 0.4 else None
    rotate = r.random() < 0.5
    first_prod = pick(r, w.products)
    d0 = ep.start // DAY
    for u in ep.users:
        ch = usual_channel(u)
        if ch == "merchant" and r.random() < 0.5:
            ch = "app"
        t = at(d0, scripted if scripted is not None else w.loan_hour(u, r))
        for i in range(loops):
            if not in_window(ctx, t, ep.stop):
                break
            amt = threshold if exact else threshold + (r.randint(1, 20) if r.random() < 0.5 else r.uniform(0.01, 9.99))
            prod = pick(r, w.products) if rotate and i else first_prod
            dev = phone if phone and ch in ("app", "web") else DEFAULT
            lo = ctx.loan(u, t, amt, prod, r.choice((7, 14, 30)), ch, r, device=dev, **L)
            hold = r.randint(600, 3 * DAY) if r.random() < 0.7 else r.randint(120, 2 * HOUR)
            ctx.repay(u, lo, lo.t + hold, lo.amount, lo.amount, 0, **L)
            t = lo.t + hold + r.randint(300, max(600, span // loops))
            if scripted is not None:
                t = next_at_hour(t, scripted) + r.randint(0, 240)
