"""Typologies about *how debt is serviced*: refinancing by borrowing, rising lateness, circular payoffs.

These are visible only by linking events: a repayment to the loan taken just
before it, or lateness to its trend.  Each run draws its own timing and sizes.
"""

from __future__ import annotations

import math

from ..clock import DAY, HOUR, MINUTE, time_on_day
from ..loans import MIN_AMOUNT, ROUND_STEP, Loan, Payment, RepayHabit, cents
from .base import EpisodeContext

SHORT = ("cash_loan", "credit_line")


def _round_up(product: str, amount: float) -> float:
    step = ROUND_STEP[product]
    return math.ceil(amount / step) * step if step >= 1 else cents(amount)


def _debt_due_near(ctx: EpisodeContext) -> tuple[Loan, int]:
    """An open loan with a payment due around ``t0`` (or an ordinary one created to be due then)."""
    rng, t0 = ctx.rng, ctx.t0
    candidates = []
    for loan in ctx.open_loans(t0):
        for due in loan.due_times():
            if t0 - 4 * DAY <= due <= t0 + 6 * DAY:
                candidates.append((loan, due))
                break
    if candidates:
        return rng.choice(candidates)
    product = rng.choice(ctx.offered(*SHORT) or list(ctx.book.profile.offered))
    term = ctx.book.pick_term(rng, product, short=True)
    due = (ctx.day0 + rng.randint(-3, 4)) * DAY
    opened = max(ctx.book.profile.join_t, time_on_day(rng, due // DAY - term, ctx.book.profile.cum_hours))
    loan = ctx.ordinary_loan(opened, product, term=term)
    loan.drop_payments_after(loan.t)  # it is still unpaid when the episode starts
    return loan, loan.due_times()[0]


def borrow_to_repay(ctx: EpisodeContext) -> None:
    """A new loan taken to pay off an older one, sometimes spiralling.

    Range: the new loan 0.8-2x the old balance; same product or another; taken
    days before the old due date, on it, or after it (old repaid early, on time
    or late); the payoff follows within minutes, hours or 1-2 days; 1 cycle or a
    spiral of 2-4 when terms are short enough to come due in the window.
    Labelled: each refinancing loan and each payoff it funds.
    """
    rng, book = ctx.rng, ctx.book
    old, due = _debt_due_near(ctx)
    cycles = 1 if rng.random() < 0.55 else rng.randint(2, 4)
    t_new = ctx.t0
    last: Loan | None = None
    old.drop_payments_after(min(t_new, due) - 1)  # the old debt is still unpaid when the new loan comes
    for c in range(cycles):
        if c > 0:
            timing = rng.choices(("early", "on_time", "late"), weights=(0.3, 0.4, 0.3))[0]
            shift = {"early": -rng.randint(1, 4), "on_time": 0, "late": rng.randint(1, 6)}[timing]
            t_new = max(old.t + HOUR, time_on_day(rng, due // DAY + shift, book.profile.cum_hours))
        if t_new >= ctx.window.end:
            break
        old.drop_payments_after(t_new)
        balance = old.remaining(t_new)
        if balance <= 0:
            break
        same = rng.random() < 0.45
        choices = [p for p in book.profile.offered if p != old.product and p != "wealth_pledge"] or [old.product]
        product = old.product if same else rng.choice(choices)
        spiral = c < cycles - 1
        if spiral and product not in SHORT:
            product = rng.choice(ctx.offered(*SHORT) or [product])
        amount = _round_up(product, balance * rng.uniform(0.8, 2.0))
        channel = book.pick_channel(rng, product)
        new = ctx.loan(t_new, amount, product, book.pick_term(rng, product, short=spiral), channel,
                       device_id=book.pick_device(rng, t_new, channel), purpose=book.pick_purpose(rng, product),
                       allow_early=False)
        lag = ctx.lag(((0.5, MINUTE, HOUR), (0.25, HOUR, 12 * HOUR), (0.25, DAY, 2 * DAY)))
        old.payoff(t_new + lag, 1, ctx.scenario)
        old, due, last = new, new.due_times()[0], new
    if last is not None and rng.random() < 0.3:
        last.payments = []  # the spiral ends in default


def overdue_escalation(ctx: EpisodeContext) -> None:
    """Repayments getting later and later while the user keeps borrowing.

    Range: lateness starts at 1-3 days and grows by 0.3-1 day per day since
    onset (with noise and partial payments); 2-5 new loans every 1-6 days
    (the first on the shortest term sold, so they fall due during the slide),
    capped by headroom or not; the bureau score sags; payments may stop once
    they are 3-6 weeks late.  Labelled: loans opened while it runs and the
    late repayments due after onset.
    """
    rng, book, t0 = ctx.rng, ctx.book, ctx.t0
    base, slope = rng.uniform(1, 3), rng.uniform(0.3, 1.0)
    give_up = rng.uniform(20, 45) if rng.random() < 0.5 else 10_000.0

    def lateness(_rng: object, due: int) -> int:
        since = max(0.0, (due - t0) / DAY)
        return max(1, round(base + slope * since + rng.uniform(-1, 1)))

    habit = ctx.habit(lateness_fn=lateness, p_early=0.0, p_partial=0.15, p_default=0.0, autodebit=False)
    for loan in ctx.open_loans(t0):
        _reschedule(ctx, loan, habit, give_up)
    book.habit = habit
    book.label_span = (t0, ctx.window.end, ctx.scenario)
    book.late_label = (t0, ctx.scenario)
    book.score_changes.append((t0 + rng.randint(7, 20) * DAY, -rng.randint(15, 60)))

    t = t0 + int(rng.uniform(0, 1) * DAY)
    capped = rng.random() < 0.5
    pool = ctx.offered(*SHORT) or list(book.profile.offered)
    for k in range(rng.randint(2, 5)):
        if t >= ctx.window.end:
            break
        product = rng.choice(pool)
        amount = book.typical_amount(product, t) * rng.uniform(0.6, 1.5)
        if capped:
            amount = min(amount, max(book.available(t, product), 0) * rng.uniform(0.6, 1.0))
        amount = max(amount, MIN_AMOUNT[product] * 1.5)
        channel = book.pick_channel(rng, product)
        # the first loans are the shortest on offer, so they fall due while the slide runs
        term = _shortest_term(book.spec.term_options(product)) if k < 2 else book.pick_term(rng, product, short=True)
        loan = ctx.loan(t, amount, product, term, channel,
                        device_id=book.pick_device(rng, t, channel), purpose=book.pick_purpose(rng, product),
                        habit=habit, allow_early=False)
        _cap_lateness(loan, give_up)
        t = time_on_day(rng, t // DAY + rng.randint(1, 6), book.profile.cum_hours)


def _shortest_term(options: tuple[tuple[int, float], ...]) -> int:
    return min(term for term, _ in options)


def _reschedule(ctx: EpisodeContext, loan: Loan, habit: RepayHabit, give_up: float) -> None:
    """Replace the loan's not-yet-made payments with escalating late ones."""
    rng, t0 = ctx.rng, ctx.t0
    kept = [p for p in loan.payments if p.t < t0]
    covered = {p.due for p in kept}
    left = round(loan.amount - sum(p.principal for p in kept), 2)
    dues = [d for d in loan.due_times() if d not in covered] or [loan.due_times()[-1]]
    if left <= 0:
        return
    loan.payments = kept
    last_t = max([loan.t, t0] + [p.t for p in kept])
    share = round(left / len(dues), 2)
    for k, due in enumerate(dues):
        assert habit.lateness_fn is not None
        late = habit.lateness_fn(rng, due)
        late = max(late, (last_t // DAY) - due // DAY + 1) if due < t0 else late
        if late > give_up:
            break
        t = max(time_on_day(rng, due // DAY + late, habit.pay_hours), last_t + HOUR)
        late = max(late, t // DAY - due // DAY)
        part = left if k == len(dues) - 1 else share
        left = round(left - part, 2)
        loan.payments.append(Payment(t, cents(part * (1 + 0.0005 * late + 0.01)), part, late, due))
        last_t = t


def _cap_lateness(loan: Loan, give_up: float) -> None:
    """Stop the schedule once lateness passes the point where the borrower gives up."""
    loan.payments = [p for p in loan.payments if p.days_late <= give_up]


def circular_repayment(ctx: EpisodeContext) -> None:
    """Two credit lines paying each other off, back and forth, with the same money.

    A draw on product B pays off the balance on product A minutes later; days
    later a draw on A pays off B, and so on, each payoff early and in full.  It
    makes the user look like a diligent early payer (inflating their record,
    often ahead of a limit review) while the debt never shrinks.
    Range: 3-8 legs, every few hours to 5 days; two products, or one product
    through two channels; amounts equal to the balance plus fees (x1.00-1.05).
    Labelled: every circular draw and every payoff it funds.
    """
    rng, book, t0 = ctx.rng, ctx.book, ctx.t0
    pool = ctx.offered("cash_loan", "credit_line", "installment")
    if len(pool) >= 2:
        a, b = rng.sample(pool, 2)
        channels = {a: book.pick_channel(rng, a), b: book.pick_channel(rng, b)}
        legs_products = (b, a)
        legs_channels = (channels[b], channels[a])
    else:
        a = pool[0] if pool else book.profile.offered[0]
        legs_products = (a, a)
        legs_channels = tuple(rng.sample(["app", "partner", "web"], 2))
    open_a = [loan for loan in ctx.open_loans(t0) if loan.product == a and loan.remaining(t0) > 200]
    if open_a:
        seed = rng.choice(open_a)
    else:  # an ordinary loan, still open at onset, to start the circle from
        term = book.pick_term(rng, a)
        opened = time_on_day(rng, ctx.day0 - rng.randint(2, max(2, min(20, term - 2))), book.profile.cum_hours)
        seed = ctx.ordinary_loan(opened, a, amount=book.typical_amount(a, t0) * rng.uniform(1.0, 2.0), term=term)
        seed.drop_payments_after(seed.t)  # nothing paid on it yet
    subtle = rng.random() < 0.3
    legs = rng.randint(3, 4) if subtle else rng.randint(4, 8)
    prev, t = seed, t0
    device = book.phone(t0)
    for k in range(legs):
        if t >= ctx.window.end:
            break
        prev.drop_payments_after(t)
        balance = prev.remaining(t)
        if balance <= 0:
            break
        product, channel = legs_products[k % 2], legs_channels[k % 2]
        amount = _round_up(product, balance * rng.uniform(1.0, 1.05))
        new = ctx.loan(t, amount, product, book.pick_term(rng, product), channel,
                       device_id=device if channel != "partner" else None, allow_early=False)
        prev.payoff(t + int(rng.uniform(2, 90) * MINUTE), 1, ctx.scenario)
        prev = new
        gap_days = rng.uniform(2, 5) if subtle else rng.uniform(0.2, 4)
        t = time_on_day(rng, int((t + gap_days * DAY) // DAY), book.profile.cum_hours)
        t = max(t, prev.t + 3 * HOUR)
