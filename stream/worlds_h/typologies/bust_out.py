"""bust_out (own typology): a synthetic identity behaves perfectly, earns limit raises, then maxes out and vanishes.

Mechanics: ``blitz`` (three to six loans across products and channels within
hours), ``staggered`` (four to eight loans over two or three days),
``single_max`` (one loan for all the headroom at the longest term). The
account is new (opened during the history), never late, repays early, and
stops paying everything at the bust. Only the bust loans are labelled.
"""
from __future__ import annotations

from random import Random
from typing import Sequence

from ..context import Ctx
from ..habits import split, time_on_day
from ..ledger import UserBook
from ..loans import build_repayment
from ..timebase import DAY, HOUR, MINUTE, day_of
from .base import (Typology, anchor, cash_product, cut_repayments_after, first_due_days, fitting_product, intensity,
                   longest_term, shortest_term, take)


class BustOut(Typology):
    name = "bust_out"
    description = "new account, weeks of perfect behaviour and limit raises, then a max-out and silence"

    def prepare(self, profs, ctx, rng):  # type: ignore[override]
        super().prepare(profs, ctx, rng)
        p = profs[0]
        p.normal_enabled = False
        p.opening_enabled = False
        p.start_day = rng.randint(0, max(0, ctx.span.history_days // 3))
        p.late_prop = 0.0
        p.early_prop = 0.7
        p.score = rng.randint(600, 690)     # thin but clean file
        p.devices = p.devices[:1]
        p.limit = max(500.0, round(p.limit * rng.uniform(0.4, 0.8), -2))

    @staticmethod
    def _repay_early(book: UserBook, ctx: Ctx, rng: Random, loan) -> None:
        """The model customer: every grooming loan cleared in full, early, at once."""
        due = first_due_days(loan.term_days)
        t = loan.t + int(due * rng.uniform(0.3, 0.9) * DAY)
        if t < ctx.span.end:
            apr = ctx.spec.apr.get(loan.product, 0.18)
            build_repayment(book, ctx, loan, t, loan.amount * (1 + apr * due / 365 / 2), loan.amount,
                            day_of(loan.t) + due, pinned=True)

    def inject(self, books: Sequence[UserBook], ctx: Ctx, rng: Random) -> None:
        book = books[0]
        prof = book.profile
        span = ctx.span
        mech = rng.choices(("blitz", "staggered", "single_max"), weights=(0.4, 0.35, 0.25))[0]
        level = intensity(rng)
        tb = anchor(ctx, rng, need_ms=3 * DAY if mech == "staggered" else 8 * HOUR)
        g_end = tb - rng.randint(4, 9) * DAY
        step = 100.0 if prof.limit < 100_000 else 1000.0
        day, n, raises = prof.start_day, 0, 0
        while True:
            t = time_on_day(rng, day, prof.hour_style)
            if t >= g_end and n > 0:
                break
            product = prof.pick_product(rng)
            t = min(t, tb - DAY)
            amount = min(book.limit_at(t) * rng.uniform(0.1, 0.25), book.available_at(t) * 0.5)
            loan = take(book, ctx, rng, t, amount, "normal", product=product, channel=prof.main_channel,
                        term=shortest_term(ctx, product), label=0)
            if loan is not None:
                n += 1
                self._repay_early(book, ctx, rng, loan)
                if n in (2, 4) and raises < 2 and t + 3 * DAY < g_end:
                    book.scale_limits_from(t + rng.randint(1, 2) * DAY, rng.uniform(1.4, 2.2), step)
                    raises += 1
            day += rng.randint(3, 8)
            if n > 12 or day >= span.total_days:
                break
        loan_ids = {r.loan_id for r in book.recs if r.is_loan}
        cut_repayments_after(book, loan_ids, tb)
        avail = book.available_at(tb)
        share = {"subtle": rng.uniform(0.85, 0.95), "medium": rng.uniform(0.93, 1.0), "blatant": 1.0}[level]
        products, channels = ctx.spec.products, ctx.spec.channels
        if mech == "single_max":
            product = cash_product(ctx, prof)
            take(book, ctx, rng, tb, avail * share, self.name, product=product, term=longest_term(ctx, product))
            return
        k = rng.randint(3, 6) if mech == "blitz" else rng.randint(4, 8)
        width = rng.randint(1, 6) * HOUR if mech == "blitz" else rng.randint(2, 3) * DAY
        offs = sorted([0] + [rng.randrange(width) for _ in range(k - 1)])
        for i, (off, part) in enumerate(zip(offs, split(rng, avail * share, k, 0.5))):
            channel = channels[(i + 1) % len(channels)]
            product = fitting_product(ctx, products[i % len(products)], channel, part)
            take(book, ctx, rng, tb + off + i * MINUTE, part, self.name, product=product, channel=channel)
