"""student_overborrowing: a student borrowing far beyond their pattern relative to a small limit, again and again.

Mechanics: ``repeat_max`` (every one to four days take most of what is
available, repay a little, take again), ``tiny_spree`` (a stream of small
checkout instalments that fills the limit), ``cash_cycle`` (night-time cash
loans of a third to two thirds of the limit with the longest term). Small
partial repayments keep freeing credit, so the total drawn exceeds the limit.
"""
from __future__ import annotations

from random import Random
from typing import Sequence

from ..context import Ctx
from ..habits import odd_time, time_on_day
from ..ledger import UserBook
from ..loans import build_repayment
from ..timebase import DAY, HOUR, MINUTE, day_of
from .base import (Typology, cash_product, clip, drop_normal_loans_from, intensity, longest_term, make_headroom,
                   take)


class StudentOverborrowing(Typology):
    name = "student_overborrowing"
    description = "student-segment users repeatedly borrowing most of their limit, far above their own norm"

    def eligible(self, prof, ctx):  # type: ignore[override]
        return prof.segment == "student"

    def prepare(self, profs, ctx, rng):  # type: ignore[override]
        super().prepare(profs, ctx, rng)
        p = profs[0]
        p.start_day = 0
        p.min_history_loans = max(p.min_history_loans, 1)

    def inject(self, books: Sequence[UserBook], ctx: Ctx, rng: Random) -> None:
        book = books[0]
        prof = book.profile
        span = ctx.span
        mech = rng.choices(("repeat_max", "tiny_spree", "cash_cycle"), weights=(0.4, 0.3, 0.3))[0]
        level = intensity(rng)
        gap = {"subtle": (3, 4), "medium": (2, 3), "blatant": (1, 2)}[level]
        back = rng.randint(0, max(0, min(7, span.history_days - 2)))
        start_day = span.history_days - back
        drop_normal_loans_from(book, start_day * DAY)
        make_headroom(book, start_day * DAY, book.limit_at(start_day * DAY) * 0.6)
        products = ctx.spec.products
        spree_products = [p for p in ("installment", "credit_line") if p in products] or [prof.main_product]
        day = start_day
        while day < span.total_days:
            t = time_on_day(rng, day, prof.hour_style) if mech != "cash_cycle" else odd_time(rng, day)
            if t >= span.end:
                break
            limit = book.limit_at(t)
            if mech == "tiny_spree":
                for _ in range(rng.randint(1, 3)):
                    amount = min(limit * rng.uniform(0.04, 0.15), book.available_at(t))
                    rec = take(book, ctx, rng, t, amount, self.name, product=rng.choice(spree_products))
                    if rec is not None:
                        self._partial(book, ctx, rng, rec, 0.1, 0.3)
                    t += rng.randint(5, 180) * MINUTE
            else:
                avail = book.available_at(t)
                if mech == "repeat_max":
                    amount, product, term = avail * rng.uniform(0.5, 0.95), prof.main_product, None
                else:
                    product = cash_product(ctx, prof)
                    amount, term = min(avail, limit * rng.uniform(0.3, 0.6)), longest_term(ctx, product)
                if amount >= 0.05 * limit:
                    rec = take(book, ctx, rng, t, amount, self.name, product=product, term=term)
                    if rec is not None:
                        self._partial(book, ctx, rng, rec, 0.2, 0.5)
            day += rng.randint(*gap)

    def _partial(self, book: UserBook, ctx: Ctx, rng: Random, loan, lo: float, hi: float) -> None:
        """A small repayment a few days later: just enough to borrow again."""
        t = clip(ctx, loan.t + rng.randint(1, 3) * DAY + rng.randrange(-6 * HOUR, 6 * HOUR))
        if t <= loan.t or t >= ctx.span.end - 1000:
            return
        pay = loan.amount * rng.uniform(lo, hi)
        build_repayment(book, ctx, loan, t, pay, pay, day_of(loan.t) + loan.term_days, pinned=True)
