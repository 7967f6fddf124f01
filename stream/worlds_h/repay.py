"""Repayment schedules: how each product of each lender is paid back.

Why: repayment habits are where lenders differ most (a weekly credit line is
cleared in one go, BNPL instalments hit on a fixed bill day by auto-debit, a
merchant pays interest monthly and principal after the festival, a card-like
line is paid at the minimum and a few days late). A schedule lists due days
and sums; ``plan_repayments`` turns it into timed records with the user's
own lateness and payment hours.
"""
from __future__ import annotations

from datetime import date
from random import Random
from typing import Callable, NamedTuple, Optional

from .context import Ctx
from .habits import time_on_day
from .ledger import UserBook
from .loans import build_repayment
from .profiles import Profile
from .records import NORMAL, Rec
from .timebase import MINUTE, at, date_of_day, day_of, day_of_date


class Due(NamedTuple):
    due_day: int
    pay_day: Optional[int]   # set for early / voluntary payments
    amount: float
    principal: float


def _months_after(start_day: int, mday: int, min_gap: int, n: int) -> list[int]:
    """The next ``n`` calendar days with day-of-month ``mday`` at least ``min_gap`` days after ``start_day``."""
    d = date_of_day(start_day + min_gap)
    y, m = d.year, d.month
    if d.day > mday:
        m += 1
    out = []
    for _ in range(n):
        while m > 12:
            m -= 12
            y += 1
        out.append(day_of_date(date(y, m, mday)))
        m += 1
    return out


def _bullet(loan: Rec, prof: Profile, ctx: Ctx, rng: Random, early: float) -> list[Due]:
    lday = day_of(loan.t)
    term = loan.term_days
    due = _months_after(lday, prof.bill_day, 10, 1)[0] if ctx.spec.bill_aligned else lday + term
    apr = ctx.spec.apr.get(loan.product, 0.18)
    if term > 2 and rng.random() < early:
        pay = lday + rng.randint(max(1, term // 3), max(1, term - 1))
        return [Due(due, pay, loan.amount * (1 + apr * (pay - lday) / 365), loan.amount)]
    return [Due(due, None, loan.amount * (1 + apr * max(1, due - lday) / 365), loan.amount)]


def _instalments(loan: Rec, prof: Profile, ctx: Ctx, rng: Random, early: float) -> list[Due]:
    lday = day_of(loan.t)
    n = max(1, loan.term_days // 30)
    if ctx.spec.bill_aligned:
        dues = _months_after(lday, prof.bill_day, 15, n)
    elif loan.term_days < 30:
        dues = [lday + loan.term_days]
    else:
        dues = [lday + 30 * k for k in range(1, n + 1)]
    apr = ctx.spec.apr.get(loan.product, 0.18)
    payoff_k = rng.randint(1, n) if n > 1 and rng.random() < early * 0.5 else None
    remaining = loan.amount
    part = loan.amount / n
    out: list[Due] = []
    horizon = ctx.span.total_days + 10
    for k, due in enumerate(dues, 1):
        interest = remaining * apr * 30 / 365
        if k == payoff_k:
            out.append(Due(due, max(lday + 1, due - rng.randint(1, 12)), remaining + interest, remaining))
            break
        p = part if k < n else remaining
        out.append(Due(due, None, p + interest, p))
        remaining -= p
        if due > horizon:
            break
    return out


def _interest_then_principal(loan: Rec, prof: Profile, ctx: Ctx, rng: Random, early: float) -> list[Due]:
    lday = day_of(loan.t)
    months = max(1, loan.term_days // 30)
    apr = ctx.spec.apr.get(loan.product, 0.1)
    monthly = loan.amount * apr * 30 / 365
    payoff: Optional[int] = None
    if rng.random() < early:
        if ctx.spec.payoff_after_festival and lday < 41:
            payoff = max(lday + 7, rng.randint(50, 68))   # stock sold over the festival
        else:
            payoff = rng.randint(lday + 10, lday + max(11, loan.term_days))
    out: list[Due] = []
    horizon = ctx.span.total_days + 10
    for k in range(1, months + 1):
        due = lday + 30 * k
        if payoff is not None and payoff <= due:
            accrued = loan.amount * apr * (payoff - (due - 30)) / 365
            out.append(Due(due, payoff, loan.amount + max(0.0, accrued), loan.amount))
            break
        if k < months:
            out.append(Due(due, None, monthly, 0.0))
        else:
            out.append(Due(lday + loan.term_days, None, loan.amount + monthly, loan.amount))
        if due > horizon:
            break
    return out


def _early_lump(loan: Rec, prof: Profile, ctx: Ctx, rng: Random, early: float) -> list[Due]:
    lday = day_of(loan.t)
    apr = ctx.spec.apr.get(loan.product, 0.04)
    term = loan.term_days
    out: list[Due] = []
    if rng.random() < early:
        remaining = loan.amount
        first = lday + rng.randint(3, 20)
        if rng.random() < 0.25:
            part = round(loan.amount * rng.uniform(0.3, 0.6), -2) or loan.amount / 2
            out.append(Due(lday + term, first, part + part * apr * (first - lday) / 365, part))
            remaining -= part
        pay = max(first + 1, lday + rng.randint(5, max(6, min(term, 50))))
        out.append(Due(lday + term, pay, remaining * (1 + apr * (pay - lday) / 365), remaining))
        return out
    months = max(1, term // 30)
    for k in range(1, months + 1):
        due = lday + 30 * k
        if k < months:
            out.append(Due(due, None, loan.amount * apr * 30 / 365, 0.0))
        else:
            out.append(Due(lday + term, None, loan.amount * (1 + apr * 30 / 365), loan.amount))
        if due > ctx.span.total_days + 10:
            break
    return out


def _statement(loan: Rec, prof: Profile, ctx: Ctx, rng: Random, early: float) -> list[Due]:
    """Card-like revolving: each statement pays in full, the minimum, or something in between."""
    lday = day_of(loan.t)
    apr = ctx.spec.apr.get(loan.product, 0.18)
    remaining = loan.amount
    out: list[Due] = []
    for due in _months_after(lday, prof.bill_day, 20, 4):
        if remaining <= 0.005 or due > ctx.span.total_days + 10:
            break
        interest = remaining * apr * 30 / 365
        r = rng.random()
        if r < prof.full_pay:
            pay = remaining
        elif r < prof.full_pay + (1 - prof.full_pay) * 0.6:
            pay = min(remaining, max(100.0, 0.1 * remaining))
        else:
            pay = remaining * rng.uniform(0.2, 0.7)
        out.append(Due(due, None, pay + interest, pay))
        remaining -= pay
    return out


SCHEDULES: dict[str, Callable[[Rec, Profile, Ctx, Random, float], list[Due]]] = {
    "bullet": _bullet,
    "instalments": _instalments,
    "interest_then_principal": _interest_then_principal,
    "early_lump": _early_lump,
    "statement": _statement,
}


def late_days(rng: Random, prof: Profile, late_prop: float) -> int:
    if rng.random() >= late_prop:
        return 0
    return min(45, 1 + int(rng.expovariate(1.0 / prof.late_scale)))


def plan_repayments(
    book: UserBook,
    ctx: Ctx,
    rng: Random,
    loan: Rec,
    *,
    late_prop: Optional[float] = None,
    early_prop: Optional[float] = None,
    max_payments: Optional[int] = None,
    pinned: bool = False,
) -> list[Rec]:
    """Schedule and record the repayments of ``loan`` that fall before the stream ends."""
    prof = book.profile
    style = ctx.spec.repay_styles.get(loan.product, "instalments")
    dues = SCHEDULES[style](loan, prof, ctx, rng, prof.early_prop if early_prop is None else early_prop)
    lp = prof.late_prop if late_prop is None else late_prop
    out: list[Rec] = []
    for due in dues[:max_payments]:
        if due.pay_day is not None:
            t = time_on_day(rng, due.pay_day, prof.hour_style)
        else:
            late = late_days(rng, prof, lp)
            if late:
                t = time_on_day(rng, due.due_day + late, prof.hour_style)
            elif prof.auto_debit:
                t = at(due.due_day, ctx.spec.batch_hour) + rng.randrange(25 * MINUTE)
            else:
                t = time_on_day(rng, due.due_day - rng.choice((0, 0, 0, 1, 1, 2, 3)), prof.hour_style)
        if t <= loan.t:
            t = loan.t + rng.randrange(10 * MINUTE, 180 * MINUTE)
        if t >= ctx.span.end:
            break
        out.append(build_repayment(book, ctx, loan, t, due.amount, due.principal, due.due_day,
                                   label=0, scenario=NORMAL, pinned=pinned))
    return out
