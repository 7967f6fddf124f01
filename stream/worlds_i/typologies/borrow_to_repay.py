"""borrow_to_repay: a borrower takes a new loan to pay an older one falling
due -- one refinance or a chain of them; the new loan may be larger, on the
same or another product, taken a few days before, on, or just after the due
date; the last one is repaid early, on time, late or not at all."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..ledger import Ctx
from ..model import User
from ..timeline import DAY, HOUR, at
from ..worlds.base import pick
from .common import cash_products, in_window, joined, roundish, settle, typical_amount, usual_channel

if TYPE_CHECKING:
    from ..plan import Episode

NAME = "borrow_to_repay"
GROUP = (1, 1)
FRESH = False
SPAN = 8


def eligible(ctx: Ctx, u: User, start: int, strict: bool) -> bool:
    return joined(u, start) and (not strict or len(ctx.loans_before(u, start)) >= 1)


def _term(r) -> int:
    return r.choice((7, 14, 14, 21, 30, 30, 45))


def run(ctx: Ctx, ep: "Episode") -> None:
    w, r = ctx.world, ep.rng
    L = dict(label=1, scenario=NAME)
    prods = cash_products(ctx)
    for u in ep.users:
        seed_term = _term(r)
        refi_day = ep.start // DAY + r.randint(0, 3)
        seed_day = max(0, u.join_day, refi_day - seed_term)
        prod = pick(r, prods)
        own = usual_channel(u)
        t_seed = at(seed_day, w.loan_hour(u, r))
        amount = max(typical_amount(u, 1500) * r.uniform(0.8, 1.6), ctx.limit_at(u, t_seed) * r.uniform(0.08, 0.3))
        seed = ctx.loan(u, t_seed, roundish(amount, r), prod, seed_term, own, r,
                        protected=True)           # an ordinary loan when taken
        prev, prev_due = seed, seed_day + seed_term
        chain = r.choice((1, 1, 2, 2, 3, 4, 5))
        grow = r.uniform(1.0, 1.35)
        done = 0
        for i in range(chain):
            d = prev_due + r.choice((-3, -2, -1, -1, 0, 0, 0, 1, 2, 4))
            t_new = at(d, w.loan_hour(u, r))
            if not in_window(ctx, t_new, ep.stop if i == 0 else ctx.end) or t_new <= prev.t:
                break
            owed = prev.amount * (1 + w.rate * max(1, d - prev.t // DAY) / 365)
            p2 = prod if r.random() < 0.5 else pick(r, prods)
            ch = own if r.random() < 0.7 else pick(r, w.channels)
            term = _term(r)
            new = ctx.loan(u, t_new, owed * grow * r.uniform(0.95, 1.1), p2, term, ch, r, **L)
            t_rep = t_new + r.randint(120, 6 * HOUR)
            ctx.repay(u, prev, t_rep, owed, prev.amount, max(0, t_rep // DAY - prev_due), **L)
            prev, prev_due, done = new, d + term, done + 1
        if done:
            fate = r.choices(("early", "ontime", "late", "none"), (0.15, 0.3, 0.3, 0.25))[0]
            if fate == "early":
                settle(ctx, u, prev, r, early=r.randint(1, 5), **L)
            elif fate == "ontime":
                settle(ctx, u, prev, r, **L)
            elif fate == "late":
                settle(ctx, u, prev, r, late=r.randint(3, 30), **L)
        else:
            settle(ctx, u, seed, r, late=0)
