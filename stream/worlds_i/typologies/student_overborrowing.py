"""student_overborrowing: a student borrows several times their monthly means
across two to four products and channels within one to three weeks, often late
at night, then struggles: early loans repaid, later ones paid partly and late,
the last ones not at all."""
from __future__ import annotations

from typing import TYPE_CHECKING

from ..ledger import Ctx
from ..model import User
from ..timeline import DAY, at
from ..worlds.base import pick
from .common import in_window, joined, late_hour, roundish, settle, split

if TYPE_CHECKING:
    from ..plan import Episode

NAME = "student_overborrowing"
GROUP = (1, 1)
FRESH = False
SPAN = 10

_KINDS = ("cash_loan", "credit_line", "installment")


def eligible(ctx: Ctx, u: User, start: int, strict: bool) -> bool:
    return u.segment == "student" and joined(u, start)


def run(ctx: Ctx, ep: "Episode") -> None:
    w, r = ctx.world, ep.rng
    L = dict(label=1, scenario=NAME)
    kinds = [p for p in w.products if p in _KINDS] or list(w.products)
    for u in ep.users:
        means = u.attrs.get("means", r.uniform(1200, 3000))
        total = means * r.uniform(2.5, 6.0)
        lim = ctx.limit_at(u, ep.start)
        if lim > 0:                                # the lender's limit mostly caps it, not their means
            total = min(total, lim * r.uniform(0.8, 1.25))
        k = r.randint(5, 12)
        days = r.randint(5, 21)
        use = r.sample(kinds, min(len(kinds), r.randint(2, 4)))
        night = r.uniform(0.2, 0.8)
        d0 = ep.start // DAY
        times = sorted(at(d0 + r.randint(0, days), late_hour(r) if r.random() < night else w.loan_hour(u, r))
                       for _ in range(k))
        amounts = split(total, k, r)
        for i, (t, a) in enumerate(zip(times, amounts)):
            if not in_window(ctx, t, ep.stop):
                break
            prod = r.choice(use)
            ch = pick(r, w.channels)
            term = r.choice((90, 180, 360)) if prod == "installment" else r.choice((14, 21, 30, 30))
            purpose = "education" if r.random() < 0.2 else "consumption"
            lo = ctx.loan(u, t, roundish(max(a, 100), r), prod, term, ch, r, purpose=purpose, **L)
            stage = i / k
            if stage < 0.34:
                settle(ctx, u, lo, r, late=r.choice((0, 0, 1)), **L)
            elif stage < 0.7:
                step = r.randint(3, 10)
                settle(ctx, u, lo, r, late=lambda n, s=step, j=i: s * (n + 1) + j,
                       fraction=r.uniform(0.2, 0.6), stop_after=2, **L)
            elif r.random() < 0.3:
                settle(ctx, u, lo, r, late=r.randint(10, 30), fraction=r.uniform(0.05, 0.2), stop_after=1, **L)
