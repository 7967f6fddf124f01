"""Loans, their repayments, and how a repayment schedule is drawn from a borrower's habits.

Repayments follow the loan's product and term the way lenders actually bill:
short loans are one bullet at term, longer ones monthly instalments (principal
plus interest on the remaining balance).  On top of the schedule sit the
borrower's habits: automatic debit at dawn or manual payment, the occasional
late or split payment, prepayment, or simply stopping.  Each payment records
the principal it retires so the user's balance (``outstanding``) can be
recomputed exactly after any episode rewrites a schedule.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Callable

from .clock import DAY, HOUR, MINUTE, at_hour, time_on_day

#: Yearly interest rate per product; a 30-day credit-line bill is interest-free.
ANNUAL_RATE = {
    "cash_loan": 0.20,
    "credit_line": 0.15,
    "installment": 0.12,
    "merchant_loan": 0.10,
    "wealth_pledge": 0.05,
}
#: Smallest amount worth a loan per product (and the rounding step of the amount).
MIN_AMOUNT = {"cash_loan": 200.0, "credit_line": 10.0, "installment": 300.0, "merchant_loan": 5_000.0, "wealth_pledge": 2_000.0}
ROUND_STEP = {"cash_loan": 100.0, "credit_line": 0.01, "installment": 1.0, "merchant_loan": 1_000.0, "wealth_pledge": 1_000.0}
LATE_FEE_PER_DAY = 0.0005


@dataclass
class RepayHabit:
    """How one borrower pays: probabilities per payment / per loan."""

    p_late: float
    grace_share: float
    late_mean: float
    p_early: float
    p_partial: float
    p_default: float
    autodebit: bool
    pay_hours: list[float]  # cumulative hour weights for manual payments
    #: Optional override: lateness (days) as a function of the due time, used
    #: by episodes in which lateness drifts (overrides p_late when set).
    lateness_fn: Callable[[random.Random, int], int] | None = None


@dataclass
class Payment:
    """One repayment; ``principal`` is what it retires from the balance."""

    t: int
    amount: float
    principal: float
    days_late: int
    due: int  # due time the payment belongs to (for rescheduling)
    label: int = 0
    scenario: str = "normal"


@dataclass
class Loan:
    """A disbursed loan with the repayments that will (or may) follow."""

    loan_id: str
    t: int
    amount: float
    product: str
    term_days: int
    channel: str
    credit_limit: float
    credit_score: int | None
    device_id: str | None
    merchant_id: str | None
    purpose: str | None
    label: int = 0
    scenario: str = "normal"
    payments: list[Payment] = field(default_factory=list)

    @property
    def is_bullet(self) -> bool:
        return self.term_days <= 31 or self.product == "wealth_pledge"

    def due_times(self) -> list[int]:
        """Due moments (start of the due day) of the scheduled payments."""
        first_day = self.t // DAY
        if self.is_bullet:
            return [(first_day + self.term_days) * DAY]
        n = max(1, round(self.term_days / 30))
        return [(first_day + 30 * k) * DAY for k in range(1, n + 1)]

    def remaining(self, t: int) -> float:
        """Principal still owed just after time ``t``."""
        if t < self.t:
            return 0.0
        paid = 0.0
        for p in self.payments:
            if p.t <= t:
                paid += p.principal
        return max(0.0, round(self.amount - paid, 2))

    def closed_by(self, t: int) -> bool:
        """True when payments up to ``t`` retire the whole principal."""
        return self.remaining(t) <= 0.005

    def drop_payments_after(self, t: int) -> None:
        """Forget the schedule after ``t`` (the loan is being settled another way)."""
        self.payments = [p for p in self.payments if p.t <= t]

    def payoff(self, t: int, label: int, scenario: str) -> Payment:
        """Settle the loan in full at ``t``: remaining principal plus accrued interest."""
        self.drop_payments_after(t - 1)
        principal = self.remaining(t)
        if principal <= 0:
            principal = 0.01
        due = self.due_times()[-1] if self.is_bullet else min(
            (d for d in self.due_times() if d + DAY > t), default=self.due_times()[-1]
        )
        days = max(1, (t - self.t) // DAY)
        interest = 0.0 if self.product == "credit_line" and self.term_days <= 31 else principal * ANNUAL_RATE[self.product] * days / 365
        late = max(0, (t // DAY) - (due // DAY))
        payment = Payment(t, cents(principal + interest + principal * LATE_FEE_PER_DAY * late), principal, late, due, label, scenario)
        self.payments.append(payment)
        return payment


def cents(x: float) -> float:
    """Round a yuan amount to whole fen, never below one fen."""
    return max(0.01, round(x + 1e-9, 2))


def round_amount(product: str, amount: float) -> float:
    """Round a loan amount the way the product is sold (hundreds for cash, fen at checkout...)."""
    step = ROUND_STEP[product]
    if step >= 1:
        return float(max(step, math.floor(amount / step) * step))
    return cents(amount)


def draw_lateness(rng: random.Random, habit: RepayHabit, due: int) -> int:
    """Days late of one payment under the borrower's habit."""
    if habit.lateness_fn is not None:
        return int(habit.lateness_fn(rng, due))
    if rng.random() >= habit.p_late:
        return 0
    if rng.random() < habit.grace_share:
        return rng.choice((1, 1, 1, 2, 2, 3))
    return 1 + min(90, int(rng.expovariate(1.0 / max(1.0, habit.late_mean))))


def _pay_time(rng: random.Random, habit: RepayHabit, due: int, days_late: int, after: int) -> int:
    """When a payment lands: dawn auto-debit on the due day, or a manual payment (sometimes a day early)."""
    day = due // DAY + days_late
    if days_late == 0 and not habit.autodebit and rng.random() < 0.35:
        day -= rng.choice((1, 1, 2, 3))
    if habit.autodebit and days_late == 0:
        t = at_hour(rng, day, 5.5, 9.5)
    else:
        t = time_on_day(rng, day, habit.pay_hours)
    return max(t, after + 10 * MINUTE + rng.randrange(HOUR))


def schedule(
    loan: Loan,
    rng: random.Random,
    habit: RepayHabit,
    *,
    default_after: int | None = None,
    allow_early: bool = True,
) -> None:
    """Fill ``loan.payments`` from its terms and the borrower's habits.

    ``default_after`` forces the borrower to stop after that many payments
    (0 = never pays); otherwise stopping happens with ``habit.p_default``.
    """
    dues = loan.due_times()
    n = len(dues)
    rate = ANNUAL_RATE[loan.product]
    interest_free = loan.product == "credit_line" and loan.term_days <= 31
    if default_after is None and rng.random() < habit.p_default:
        default_after = rng.randrange(n)
    early_after: int | None = None
    if allow_early and rng.random() < habit.p_early:
        early_after = rng.randrange(n)  # regular payments made before prepaying the rest

    principal_left = loan.amount
    per_instalment = loan.amount / n
    last_t = loan.t
    payments: list[Payment] = []
    for k, due in enumerate(dues):
        if default_after is not None and k >= default_after:
            break
        if early_after is not None and k == early_after:
            prev_due = dues[k - 1] if k else loan.t
            t = prev_due + int(rng.uniform(0.15, 0.9) * (due - prev_due))
            t = max(t, last_t + HOUR)
            days = max(1, (t - (dues[k - 1] if k else loan.t)) // DAY)
            interest = 0.0 if interest_free else principal_left * rate * days / 365
            payments.append(Payment(t, cents(principal_left + interest), round(principal_left, 2), 0, due))
            principal_left = 0.0
            break
        part = principal_left if k == n - 1 else round(per_instalment, 2)
        period_days = loan.term_days if loan.is_bullet else 30
        interest = 0.0 if interest_free else principal_left * rate * period_days / 365
        late = draw_lateness(rng, habit, due)
        t1 = _pay_time(rng, habit, due, late, last_t)
        late = max(late, t1 // DAY - due // DAY)
        total = part + interest + part * LATE_FEE_PER_DAY * late
        if rng.random() < habit.p_partial:
            share = rng.uniform(0.3, 0.7)
            first = cents(total * share)
            first_principal = round(part * share, 2)
            payments.append(Payment(t1, first, first_principal, late, due))
            late2 = late + rng.randint(1, 7)
            t2 = max(_pay_time(rng, habit, due, late2, t1), t1 + HOUR)
            late2 = max(late2, t2 // DAY - due // DAY)
            payments.append(Payment(t2, cents(total - first), round(part - first_principal, 2), late2, due))
            last_t = t2
        else:
            payments.append(Payment(t1, cents(total), round(part, 2), late, due))
            last_t = t1
        principal_left = round(principal_left - part, 2)
    loan.payments = payments
