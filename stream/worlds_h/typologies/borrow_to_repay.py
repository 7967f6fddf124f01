"""borrow_to_repay: a new (often larger) loan whose money repays an older loan within hours to two days.

Mechanics: ``single`` (one refinancing around the due date), ``chain`` (two to
four rounds, each loan larger, each repaying the previous), ``cross_product``
(a cash loan pays off an instalment or credit-line loan). The new loans and
the repayments they fund are labelled.
"""
from __future__ import annotations

from random import Random
from typing import Sequence

from ..context import Ctx
from ..ledger import UserBook
from ..loans import build_repayment
from ..timebase import DAY, HOUR, MINUTE, at, day_of
from .base import (Typology, anchor, cash_product, clip, drop_normal_loans_from, intensity, make_headroom,
                   first_due_days, shortest_term, step_for, take)
from ..loans import pick_term


class BorrowToRepay(Typology):
    name = "borrow_to_repay"
    description = "new loans taken to repay older ones, hours to two days later, often growing"

    def prepare(self, profs, ctx, rng):  # type: ignore[override]
        super().prepare(profs, ctx, rng)
        profs[0].start_day = 0

    def inject(self, books: Sequence[UserBook], ctx: Ctx, rng: Random) -> None:
        book = books[0]
        prof = book.profile
        span = ctx.span
        mech = rng.choices(("single", "chain", "cross_product"), weights=(0.4, 0.35, 0.25))[0]
        level = intensity(rng)
        new_product = cash_product(ctx, prof)
        if step_for(ctx, new_product, prof.main_channel) * 4 > prof.limit:
            new_product = prof.main_product          # cash steps too coarse for this small limit
        others = [p for p in ctx.spec.products if p != new_product]
        seed_product = rng.choice(others) if mech == "cross_product" and others else (
            new_product if rng.random() < 0.5 else prof.main_product)
        rounds = 1 if mech != "chain" else {"subtle": 2, "medium": 3, "blatant": 4}[level]
        growth = {"subtle": (1.0, 1.2), "medium": (1.15, 1.5), "blatant": (1.4, 2.0)}[level]
        seed_term = shortest_term(ctx, seed_product)
        new_term = shortest_term(ctx, new_product) if mech == "chain" else pick_term(ctx, rng, new_product)
        t_last = anchor(ctx, rng, need_ms=2 * DAY, latest_frac=0.85)
        t_first = t_last - (rounds - 1) * first_due_days(new_term) * DAY
        t_seed = max(HOUR, t_first - first_due_days(seed_term) * DAY + rng.randrange(0, DAY))
        drop_normal_loans_from(book, t_seed)
        seed_frac = rng.uniform(0.08, 0.15) if mech == "chain" else rng.uniform(0.12, 0.25)
        step = step_for(ctx, new_product, prof.main_channel)
        seed_amt = max(book.limit_at(t_seed) * seed_frac, 2 * step)
        make_headroom(book, t_seed, min(book.limit_at(t_seed), seed_amt * (1.05 + growth[1])))
        seed = take(book, ctx, rng, t_seed, seed_amt, "normal",
                    product=seed_product, term=seed_term, label=0)
        if seed is None:
            return
        prev = seed
        channel = prof.main_channel if rng.random() < 0.6 else rng.choice(ctx.spec.channels)
        for i in range(rounds):
            cycle = first_due_days(prev.term_days)
            due_day = day_of(prev.t) + cycle
            t_new = at(due_day) - rng.randrange(0, int(1.5 * DAY)) + rng.randrange(8 * HOUR, 22 * HOUR)
            t_new = max(prev.t + 2 * HOUR, t_new)
            last = i == rounds - 1
            if t_new >= span.end - 3 * HOUR:     # the chain runs out of stream: refinance now
                t_new, last = span.end - rng.randrange(3 * HOUR, 10 * HOUR), True
                if t_new <= prev.t + HOUR:
                    break
            if last and t_new < span.test_start:
                t_new = span.test_start + rng.randrange(2 * HOUR, 20 * HOUR)
            apr = ctx.spec.apr.get(prev.product, 0.18)
            due_amt = prev.amount * (1 + apr * cycle / 365)
            want = due_amt * rng.uniform(*growth)
            new = take(book, ctx, rng, t_new, min(want, book.available_at(t_new) * 0.98), self.name,
                       product=new_product, channel=channel, term=new_term)
            if new is None:
                break
            hours = 48 if level == "subtle" else 36
            rep_t = clip(ctx, new.t + rng.randrange(20 * MINUTE, hours * HOUR))
            pay = min(due_amt, new.amount)
            build_repayment(book, ctx, prev, rep_t, pay, min(prev.amount, pay), due_day,
                            label=1, scenario=self.name, pinned=True)
            prev = new
            if last:
                break
