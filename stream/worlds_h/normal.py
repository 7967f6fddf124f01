"""Normal behaviour: when a well-behaved customer borrows, how much, and how they repay.

Why: the bulk of every world. Users follow one of a few arrival modes
(weekly cycle, monthly payday, Poisson, a single loan, or a few lumpy
seasonal draws), shaped by the lender's calendar. Loans are sized from the
user's habit and never exceed available credit; heavy users take what is
left, which is how legitimate near-limit borrowing looks.
"""
from __future__ import annotations

import heapq
import math
from random import Random

from .context import Ctx
from .habits import poisson, round_down, round_to, time_on_day, weighted_days
from .ledger import UserBook
from .loans import build_loan, pick_term
from .profiles import Profile
from .repay import plan_repayments
from .timebase import DAY, date_of_day, day_of_date


def _arrival_days(prof: Profile, ctx: Ctx, rng: Random) -> list[int]:
    span = ctx.span
    spec = ctx.spec
    first, last = prof.start_day, span.total_days
    wk_mean = sum(spec.weekday) / 7.0
    mult = ctx.day_mult
    days: list[int] = []
    mode = prof.mode
    if mode == "poisson":
        lam0 = prof.rate / 30.0
        for d in range(first, last):
            n = poisson(rng, lam0 * mult(d, prof.segment) * spec.weekday[d % 7] / wk_mean)
            days.extend([d] * n)
    elif mode == "weekly":
        p = min(0.95, prof.rate / 4.3)
        for w0 in range(first - first % 7, last, 7):
            d = w0 + prof.fav_weekday + (rng.choice((-1, 1)) if rng.random() < 0.2 else 0)
            if first <= d < last and rng.random() < p * min(1.0, mult(d, prof.segment)):
                days.append(d)
        for d in range(first, last):     # the odd extra draw
            if rng.random() < 0.01 * mult(d, prof.segment):
                days.append(d)
    elif mode == "monthly":
        p = min(0.95, 0.35 + prof.rate / 3.0)
        start = date_of_day(first)
        y, m = start.year, start.month
        while True:
            d = day_of_date(date_of_day(0).replace(year=y, month=m, day=prof.fav_mday)) + rng.randint(-2, 2)
            if d >= last:
                break
            if d >= first and rng.random() < p * min(1.0, mult(d, prof.segment)):
                days.append(d)
            m += 1
            if m > 12:
                m, y = 1, y + 1
        for d in range(first, last):
            if rng.random() < 0.008 * mult(d, prof.segment):
                days.append(d)
    elif mode == "once":
        cand = list(range(first, last))
        days = weighted_days(rng, cand, [mult(d, prof.segment) * spec.weekday[d % 7] for d in cand], 1)
    elif mode == "lumpy":
        k = max(1, int(round(prof.rate * rng.uniform(0.6, 1.4))))
        cand = list(range(first, last))
        w = [mult(d, prof.segment) ** 2 * spec.weekday[d % 7] for d in cand]
        days = weighted_days(rng, cand, w, k)
    else:
        raise ValueError(f"unknown arrival mode {mode!r}")
    hist = [d for d in days if d < span.history_days]
    lo = min(first, max(0, span.history_days - 1))
    for _ in range(prof.min_history_loans - len(hist)):
        days.append(rng.randrange(lo, max(lo + 1, span.history_days)))
    return sorted(days)


def _step(ctx: Ctx, product: str, channel: str) -> float:
    if channel == "merchant" and ctx.spec.merchant_mode == "pool":
        return min(ctx.spec.amount_step.get(product, 1.0), 0.01 if product != "merchant_loan" else 100.0)
    return ctx.spec.amount_step.get(product, 1.0)


def _opening_balance(book: UserBook, ctx: Ctx, rng: Random) -> None:
    """Loans taken before the stream starts: only their repayments appear."""
    prof = book.profile
    if not prof.opening_enabled or prof.start_day > 0 or rng.random() >= ctx.spec.opening_balance:
        return
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        product = prof.pick_product(rng)
        term = pick_term(ctx, rng, product)
        age = rng.randint(1, max(1, min(term - 1, 120)))
        t = time_on_day(rng, -age, prof.hour_style)
        step = ctx.spec.amount_step.get(product, 1.0)
        amount = round_to(prof.draw_frac * book.limit_at(t) * math.exp(rng.gauss(0, 0.3)), step)
        amount = min(amount, book.available_at(t) * 0.95)
        if amount < 5:
            continue
        loan = build_loan(book, ctx, rng, t, amount, product=product, term=term, emit=False)
        plan_repayments(book, ctx, rng, loan)


def simulate_normal(book: UserBook, ctx: Ctx, rng: Random) -> None:
    """Write this user's ordinary loans and repayments into the book."""
    prof = book.profile
    _opening_balance(book, ctx, rng)
    if not prof.normal_enabled:
        return
    days = _arrival_days(prof, ctx, rng)
    times = sorted(time_on_day(rng, d, prof.hour_style) for d in days)
    pending = [(r.t, r.principal) for r in book.recs if r.kind != "loan"]
    heapq.heapify(pending)
    outstanding = sum(r.amount for r in book.recs if r.kind == "loan")
    spread = 0.15 if prof.mode == "weekly" else 0.45
    for t in times:
        if t >= ctx.span.end:
            break
        while pending and pending[0][0] <= t:
            outstanding -= heapq.heappop(pending)[1]
        limit = book.limit_at(t)
        avail = limit - max(0.0, outstanding)
        product = prof.pick_product(rng)
        channel = prof.pick_channel(rng)
        step = _step(ctx, product, channel)
        floor = max(step, 5.0)
        amount = round_to(prof.draw_frac * limit * math.exp(rng.gauss(0, spread)), step)
        if amount > avail:
            if prof.heavy or rng.random() < 0.5:
                amount = round_down(avail * rng.uniform(0.9, 1.0), step)
            else:
                continue
        if amount < floor:
            continue
        loan = build_loan(book, ctx, rng, t, amount, product=product, channel=channel)
        outstanding += loan.amount
        for rep in plan_repayments(book, ctx, rng, loan):
            heapq.heappush(pending, (rep.t, rep.principal))


def ensure_present(book: UserBook, ctx: Ctx, rng: Random) -> None:
    """Every user in the stream has at least one event: add one small ordinary loan if needed."""
    span = ctx.span
    if any(r.emit and span.contains(r.t) for r in book.recs):
        return
    prof = book.profile
    d = rng.randrange(max(0, min(prof.start_day, span.total_days - 1)), span.total_days)
    t = time_on_day(rng, d, prof.hour_style)
    if t >= span.end:
        t = span.end - DAY // 2
    product = prof.pick_product(rng)
    channel = prof.pick_channel(rng)
    step = _step(ctx, product, channel)
    amount = round_down(min(prof.draw_frac * book.limit_at(t), book.available_at(t) * 0.9), step)
    if amount < max(step, 1.0):
        amount = max(step, 1.0)
    loan = build_loan(book, ctx, rng, t, amount, product=product, channel=channel, pinned=True)
    plan_repayments(book, ctx, rng, loan)
