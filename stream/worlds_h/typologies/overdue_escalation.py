"""overdue_escalation: repayments get later and smaller while the user keeps borrowing.

Mechanics: ``late_ladder`` (full payments, each a few days later than the
last), ``shrinking`` (roughly on time but each payment a smaller share),
``spiral`` (both). The slide usually starts in the history and runs through
the test window. Labelled: the loans taken once the slide has begun, and the
late or partial repayments.
"""
from __future__ import annotations

from random import Random
from typing import Sequence

from ..context import Ctx
from ..habits import time_on_day
from ..ledger import UserBook
from ..loans import build_repayment
from ..timebase import DAY, HOUR, day_of
from .base import (Typology, drop_normal_loans_from, first_due_days, intensity, make_headroom, take,
                   typical_amount)


class OverdueEscalation(Typology):
    name = "overdue_escalation"
    description = "repayments later and more partial each cycle while new loans keep coming"

    def prepare(self, profs, ctx, rng):  # type: ignore[override]
        super().prepare(profs, ctx, rng)
        p = profs[0]
        p.start_day = 0
        p.late_prop = 0.01
        p.min_history_loans = max(p.min_history_loans, 1)

    def inject(self, books: Sequence[UserBook], ctx: Ctx, rng: Random) -> None:
        book = books[0]
        prof = book.profile
        span = ctx.span
        mech = rng.choices(("late_ladder", "shrinking", "spiral"), weights=(0.35, 0.3, 0.35))[0]
        level = intensity(rng)
        back = rng.randint(5, max(5, min(40, span.history_days - 2)))
        s = max(DAY, span.test_start - back * DAY)
        drop_normal_loans_from(book, s - 3 * DAY)
        make_headroom(book, s, book.limit_at(s) * 0.5)
        self._slide_existing(book, ctx, rng, s, mech, level)
        product = prof.main_product
        short = span.end - s < 40 * DAY
        term = min(ctx.spec.terms[product])
        cycle = first_due_days(term)
        step = {"subtle": (1, 2), "medium": (2, 4), "blatant": (4, 7)}[level]
        shrink = {"subtle": 0.08, "medium": 0.15, "blatant": 0.25}[level]
        apr = ctx.spec.apr.get(product, 0.18)
        typical = typical_amount(book, ctx, before=s)
        day, k, late, frac = day_of(s), 0, 0, 1.0
        while day < span.total_days:
            t = time_on_day(rng, day, prof.hour_style)
            if t >= span.end:
                break
            started = k >= 1
            amount = min(typical * rng.uniform(0.6, 1.2), book.available_at(t) * 0.95)
            loan = take(book, ctx, rng, t, amount, self.name if started else "normal", product=product,
                        term=term, label=1 if started else 0)
            if loan is not None:
                if started and mech in ("late_ladder", "spiral"):
                    late += rng.randint(*step)
                elif mech == "shrinking":
                    late = rng.choice((0, 0, 1))
                if started and mech in ("shrinking", "spiral"):
                    frac = max(0.1, 1 - k * shrink * rng.uniform(0.7, 1.3))
                due_day = day_of(loan.t) + cycle
                pay_t = time_on_day(rng, due_day + late, prof.hour_style)
                if pay_t < span.end:
                    bad = late > 0 or frac < 0.999
                    build_repayment(book, ctx, loan, pay_t, loan.amount * (1 + apr * cycle / 365) * frac,
                                    loan.amount * frac, due_day, label=1 if bad else 0,
                                    scenario=self.name if bad else "normal", pinned=True)
                k += 1
            day += rng.randint(4, 12) if not short else rng.randint(3, 7)
        if not any(r.label and span.in_test(r.t) for r in book.recs):
            # still borrowing at the end of the stream, whatever is left
            t = rng.randrange(span.test_start, span.end - 1000)
            rec = take(book, ctx, rng, t, max(typical * 0.5, book.available_at(t) * 0.5), self.name,
                       product=product, term=term)
            if rec is None:
                self._partial_late(book, ctx, rng, apr)

    def _slide_existing(self, book: UserBook, ctx: Ctx, rng: Random, s: int, mech: str, level: str) -> None:
        """Payments already scheduled after ``s`` (older loans' instalments) come later and smaller."""
        span = ctx.span
        slope = {"subtle": 0.15, "medium": 0.3, "blatant": 0.5}[level]        # days late per day elapsed
        shrink = {"subtle": 0.01, "medium": 0.02, "blatant": 0.03}[level]     # share lost per day elapsed
        loans = {r.loan_id: r for r in book.recs if r.is_loan}
        olds = [r for r in book.recs if not r.is_loan and not r.pinned and r.t >= s and r.loan_id in loans]
        book.remove(olds)
        for r in olds:
            elapsed = (r.t - s) / DAY
            late = rng.choice((0, 0, 1)) if mech == "shrinking" else int(elapsed * slope) + rng.randint(0, 1)
            frac = 1.0 if mech == "late_ladder" else max(0.1, 1 - elapsed * shrink)
            t = time_on_day(rng, r.due_day + late, book.profile.hour_style)
            if t >= span.end:
                continue
            bad = late > 0 or frac < 0.999
            build_repayment(book, ctx, loans[r.loan_id], t, r.amount * frac, r.principal * frac, r.due_day,
                            label=1 if bad else 0, scenario=self.name if bad else "normal", pinned=True)

    def _partial_late(self, book: UserBook, ctx: Ctx, rng: Random, apr: float) -> None:
        """No credit left to borrow: a small, late part-payment on the oldest unpaid loan."""
        span = ctx.span
        paid = {r.loan_id for r in book.recs if not r.is_loan}
        unpaid = [r for r in book.recs if r.is_loan and r.emit and r.loan_id not in paid]
        if not unpaid:
            return
        loan = min(unpaid, key=lambda r: r.t)
        due_day = day_of(loan.t) + first_due_days(loan.term_days)
        lo = max(span.test_start, (due_day + 1) * DAY, loan.t + HOUR)
        t = rng.randrange(lo, span.end - 1000) if lo < span.end - 1000 else span.end - rng.randrange(1000, HOUR)
        frac = rng.uniform(0.2, 0.5)
        build_repayment(book, ctx, loan, t, loan.amount * (1 + apr * first_due_days(loan.term_days) / 365) * frac,
                        loan.amount * frac, due_day, label=1, scenario=self.name, pinned=True)
