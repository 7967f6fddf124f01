"""Repayment plans: when each part of a loan falls due and when it is actually paid.

Plans are the lender's (bullet, monthly, weekly auto-debit, daily settlement sweep);
payment timing is the customer's (autopay on the due day, paying a few days early,
or late by a habit-driven number of days).
"""
from __future__ import annotations

import random

from .clock import DAY, HOUR, second_of_day
from .model import User

Due = tuple[int, int, int]  # (due day, principal cents, fee cents)


def resolve_plan(plan: str, term_days: int) -> str:
    """A "mixed" product is repaid in one go up to a month, monthly beyond."""
    if plan == "mixed":
        return "bullet" if term_days <= 31 else "monthly"
    return plan


def due_days(plan: str, open_day: int, term_days: int) -> list[int]:
    """The days on which the parts of a loan fall due."""
    if plan == "bullet":
        return [open_day + term_days]
    if plan == "monthly":
        n = max(1, round(term_days / 30))
        return [open_day + round(term_days * k / n) for k in range(1, n + 1)]
    if plan == "weekly":
        n = -(-term_days // 7)
        return [open_day + min(7 * k, term_days) for k in range(1, n + 1)]
    if plan == "daily":
        return [open_day + k for k in range(1, term_days + 1)]
    raise ValueError(f"unknown repayment plan {plan!r}")


def dues(plan: str, open_day: int, term_days: int, principal: int, fee_rate: float) -> list[Due]:
    """Equal principal parts (the last takes the rounding) and an even fee share."""
    days = due_days(plan, open_day, term_days)
    n = len(days)
    part, rest = divmod(principal, n)
    fee_total = int(principal * fee_rate * term_days / 365)
    fee_part = fee_total // n
    return [(d, part + (rest if i == n - 1 else 0), fee_part) for i, d in enumerate(days)]


def pay_time(rng: random.Random, user: User, due_day: int, auto: tuple[int, int, float] | None,
             not_before: int) -> int:
    """When the customer pays a part due on `due_day`.

    auto = (first hour, last hour, failure probability) for lender-initiated debits,
    which run in a fixed nightly or morning window and are retried a day or two later
    when the account is empty.  Manual payers follow their own habits and hours.
    """
    if auto is not None:
        lo, hi, fail = auto
        day = due_day
        if rng.random() < fail:
            day += 1 if rng.random() < 0.7 else 2
        t = day * DAY + rng.randrange(lo * HOUR, hi * HOUR)
    else:
        r = rng.random()
        if r < user.late_p:
            day = due_day + 1 + int(rng.expovariate(1.0 / max(0.3, user.late_mean - 1.0)))
        elif r < user.late_p + user.early_p:
            day = due_day - rng.randint(1, 3)
        else:
            day = due_day
        t = day * DAY + second_of_day(user.hours, rng)
    return max(t, not_before)
