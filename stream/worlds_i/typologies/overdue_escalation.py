"""overdue_escalation: repayments get later and later (linear or accelerating,
sometimes only partial) while the borrower keeps taking new loans every few
days, with constant or growing amounts."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..contract import clip_score
from ..ledger import Ctx
from ..model import User
from ..timeline import DAY, at
from ..worlds.base import pick
from .common import cash_products, in_window, joined, typical_amount, usual_channel

if TYPE_CHECKING:
    from ..plan import Episode

NAME = "overdue_escalation"
GROUP = (1, 1)
FRESH = False
SPAN = 14


def eligible(ctx: Ctx, u: User, start: int, strict: bool) -> bool:
    return joined(u, start) and (not strict or len(ctx.loans_before(u, start)) >= 1)


def run(ctx: Ctx, ep: "Episode") -> None:
    w, r = ctx.world, ep.rng
    L = dict(label=1, scenario=NAME)
    prods = cash_products(ctx)
    for u in ep.users:
        back = r.randint(0, 12) if ep.phase == "test" else 0   # slow escalations straddle the split
        d = max(u.join_day, 0, ep.start // DAY - back)
        gap = r.uniform(2, 7)
        amount = max(typical_amount(u, 1200) * r.uniform(0.6, 1.3),
                     ctx.limit_at(u, at(d, 12)) * r.uniform(0.04, 0.12))
        growth = r.choice((1.0, 1.0, 1.08, 1.15))
        a, b = r.uniform(1.0, 4.0), r.uniform(0.0, 1.2)
        prod, own = pick(r, prods), usual_channel(u)
        i = 0
        while True:
            t = at(d, w.loan_hour(u, r))
            if not in_window(ctx, t, ep.stop) or i > 14:
                break
            term = r.choice((7, 14, 14, 21, 30))
            score = clip_score(u.score - i * r.uniform(2, 9) + r.gauss(0, 5))   # the bureau notices
            lo = ctx.loan(u, t, amount, prod if r.random() < 0.7 else pick(r, prods), term, own, r,
                          score=score, **L)
            late = int(a * i + 0.5 * b * i * i + r.randint(0, 2))
            due = d + term
            hour = w.pay_hour(u, r)
            if r.random() < 0.3:
                f = r.uniform(0.3, 0.7)
                ctx.pay_bullet(u, lo, due, late, hour, r, fraction=f, rate=w.rate, **L)
                rest = due + late + r.randint(3, 10)
                ctx.repay(u, lo, at(rest, hour), lo.amount * (1 - f), lo.amount * (1 - f), rest - due, **L)
            else:
                ctx.pay_bullet(u, lo, due, late, hour, r, rate=w.rate, **L)
            amount *= growth
            d += max(1, round(gap * r.uniform(0.6, 1.4)))
            i += 1
