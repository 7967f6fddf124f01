"""limit_jump_drain: the credit limit is raised sharply (x2 to x12, or to a
round figure), sometimes after a burst of tiny early-repaid loans meant to
game the limit review, and the new headroom is drawn down within minutes to
three days, then mostly not repaid."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..ledger import Ctx
from ..model import User
from ..timeline import DAY, HOUR, at
from ..worlds.base import pick, round_to
from .common import cash_products, established, in_window, joined, roundish, settle, split, spread, usual_channel

if TYPE_CHECKING:
    from ..plan import Episode

NAME = "limit_jump_drain"
GROUP = (1, 1)
FRESH = False
SPAN = 4
ONCE = True          # a second sharp jump on the same account would compound absurdly


def eligible(ctx: Ctx, u: User, start: int, strict: bool) -> bool:
    if strict:
        return established(ctx, u, start, 1, 7) and ctx.limit_at(u, start) > 0
    return joined(u, start)


def run(ctx: Ctx, ep: "Episode") -> None:
    w, r = ctx.world, ep.rng
    L = dict(label=1, scenario=NAME)
    prods = cash_products(ctx)
    for u in ep.users:
        t_jump = at(ep.start // DAY + r.randint(0, 1), r.uniform(0, 24))
        own = usual_channel(u)
        if r.random() < 0.35:                       # credit-building burst to trigger the review
            for _ in range(r.randint(2, 5)):
                t = t_jump - r.randint(1, 10) * DAY + r.randint(0, DAY)
                if t <= max(0, u.join_day * DAY):
                    continue
                lo = ctx.loan(u, t, r.choice((50, 100, 100, 200, 300)), pick(r, prods), 30, own, r, **L)
                ctx.repay(u, lo, t + r.randint(HOUR, 3 * DAY), lo.amount, lo.amount, 0, **L)
        old = max(ctx.limit_at(u, t_jump), 1000.0)
        x = r.random()
        if x < 0.6:
            new = old * r.uniform(2, 5)
        elif x < 0.9:
            new = old * r.uniform(5, 12)
        else:
            new = max(old * 2, r.choice((50000, 100000, 200000)))
        new = round_to(min(new, max(old * 2, 300000)), 1000)
        ctx.set_limit(u, t_jump, new)
        delay = r.choice((r.randint(300, 7200), r.randint(2, 24) * HOUR, r.randint(1, 3) * DAY))
        head = max(new - ctx.balance_at(u, t_jump), new * 0.5) * r.uniform(0.7, 1.0)
        k = r.randint(1, 5)
        fate = r.choices(("none", "first", "late"), (0.65, 0.2, 0.15))[0]
        for t, a in zip(spread(t_jump + delay, k, r.randint(600, DAY), r), split(head, k, r)):
            if not in_window(ctx, t, ep.stop):
                break
            prod = pick(r, w.products) if r.random() < 0.4 else pick(r, prods)
            ch = own if r.random() < 0.7 else pick(r, w.channels)
            lo = ctx.loan(u, t, roundish(a, r), prod, w.term_for(prod, r), ch, r, **L)
            if fate == "first":
                settle(ctx, u, lo, r, stop_after=1, fraction=r.uniform(0.1, 0.4), **L)
            elif fate == "late":
                settle(ctx, u, lo, r, late=r.randint(10, 40), **L)
