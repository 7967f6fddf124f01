"""Internal event drafts and the loan mechanics shared by normal behaviour and typologies.

A draft keeps time as integer seconds after ``SimConfig.start`` and money as
integer cents, so sorting is exact and amounts never pick up float dust; they
become contract events only at the very end.
"""

from __future__ import annotations

import itertools
from bisect import bisect
from dataclasses import dataclass, field
from typing import Iterator

import numpy as np

from stream.sim.config import DAY, HOUR, SimConfig
from stream.sim.population import User

#: Relative loan intensity per local hour: quiet nights, lunch and evening peaks.
HOUR_WEIGHTS = np.array(
    [1.2, 0.6, 0.3, 0.2, 0.2, 0.4, 1.2, 2.5, 4.0, 5.0, 5.5, 6.0,
     6.5, 5.5, 5.0, 5.0, 5.0, 5.5, 6.0, 6.5, 7.5, 8.0, 6.5, 3.5]
)
HOUR_P = HOUR_WEIGHTS / HOUR_WEIGHTS.sum()

#: Term choices (days) and their cumulative probabilities per product.
TERMS: dict[str, tuple[tuple[int, ...], tuple[float, ...]]] = {
    "credit_line": ((30,), (1.0,)),
    "installment": ((90, 180, 270, 360), (0.45, 0.8, 0.88, 1.0)),
    "cash_loan": ((7, 14, 30, 60, 90), (0.15, 0.35, 0.65, 0.85, 1.0)),
    "merchant_loan": ((30, 60, 90, 180), (0.3, 0.6, 0.9, 1.0)),
    "wealth_pledge": ((30, 90, 180, 365), (0.3, 0.6, 0.85, 1.0)),
}

#: Products whose amounts are round sums (cash disbursements); the rest are checkout bills.
ROUND_AMOUNT_PRODUCTS = frozenset({"cash_loan", "merchant_loan", "wealth_pledge"})
MIN_LOAN_CENTS = 50 * 100
#: Chance per 30 days of an ordinary limit review that raises the limit by 10-30%.
LIMIT_RAISE_PER_MONTH = 0.08


@dataclass(slots=True)
class Draft:
    """One future event; ``loan_no`` is the per-user loan number it opens or repays."""

    t: int
    kind: str
    loan_no: int
    cents: int
    scenario: str = "normal"
    product: str = ""
    term_days: int = 0
    credit_limit: int = 0
    channel: str = ""
    device_id: str = ""
    purpose: str = ""
    days_late: int = 0


def draw_term(product: str, u: float) -> int:
    """Map a uniform draw to one of the product's usual terms."""
    choices, cdf = TERMS[product]
    return choices[min(bisect(cdf, u), len(choices) - 1)]


def to_cents(yuan: float, product: str) -> int:
    """Cash products disburse round sums (hundreds, tens when small); checkout bills keep their cents."""
    if product in ROUND_AMOUNT_PRODUCTS:
        step = 100 if yuan >= 1000 else 10
        return max(MIN_LOAN_CENTS, round(yuan / step) * step * 100)
    return max(MIN_LOAN_CENTS, round(yuan * 100))


def loan_times(rng: np.random.Generator, days: np.ndarray) -> np.ndarray:
    """Event times on the given days following the platform's daily rhythm."""
    hours = rng.choice(24, size=len(days), p=HOUR_P)
    return days * DAY + hours * HOUR + rng.integers(0, HOUR, size=len(days))


def loan_time(rng: np.random.Generator, day: int) -> int:
    """One event time on ``day`` following the daily rhythm."""
    return int(loan_times(rng, np.array([day]))[0])


def due_schedule(loan: Draft) -> list[tuple[int, int]]:
    """(due day, cents) of each payment: monthly parts for installments, one bullet otherwise."""
    loan_day = loan.t // DAY
    if loan.product != "installment":
        return [(loan_day + loan.term_days, loan.cents)]
    parts = loan.term_days // 30
    share = loan.cents // parts
    schedule = [(loan_day + 30 * k, share) for k in range(1, parts + 1)]
    schedule[-1] = (schedule[-1][0], loan.cents - share * (parts - 1))
    return schedule


@dataclass
class Borrower:
    """Per-user generation context: the user, their random stream, loan numbering and limit.

    A user may get one ordinary limit review in the window (a +10-30% raise); it
    is drawn up front so that normal loans and injected episodes agree on the
    limit in force at any moment.
    """

    user: User
    config: SimConfig
    rng: np.random.Generator
    loan_numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    raise_at: int = field(init=False)
    raised_limit: int = field(init=False)

    def __post_init__(self) -> None:
        rng, horizon = self.rng, self.config.horizon
        if rng.random() < LIMIT_RAISE_PER_MONTH * self.config.days / 30:
            self.raise_at = int(rng.integers(0, horizon))
            self.raised_limit = int(round(self.user.credit_limit * rng.uniform(1.1, 1.3), -2))
        else:
            self.raise_at, self.raised_limit = horizon, self.user.credit_limit

    def limit_at(self, t: int) -> int:
        """The approved credit limit (yuan) in force at time ``t``."""
        return self.raised_limit if t >= self.raise_at else self.user.credit_limit

    def loan(
        self,
        t: int,
        product: str,
        cents: int,
        *,
        credit_limit: int,
        channel: str,
        device_id: str,
        scenario: str = "normal",
        term_days: int | None = None,
    ) -> Draft:
        """Open a loan; the term defaults to a usual one for the product."""
        rng = self.rng
        return Draft(
            t=t,
            kind="loan",
            loan_no=next(self.loan_numbers),
            cents=cents,
            scenario=scenario,
            product=product,
            term_days=term_days or draw_term(product, float(rng.random())),
            credit_limit=credit_limit,
            channel=channel,
            device_id=device_id,
            purpose=self._purpose(product, float(rng.random())),
        )

    def repayment(
        self, loan: Draft, due_day: int, cents: int, days_late: int, after: int | None = None
    ) -> Draft:
        """Pay ``cents`` into ``loan``, ``days_late`` days after ``due_day``, in daytime hours.

        On-time payers sometimes pay a day or two early, which still counts as 0
        days late. The payment never precedes ``after`` nor the loan itself.
        """
        rng = self.rng
        day = due_day + days_late
        if days_late == 0 and rng.random() < 0.2:
            day -= int(rng.integers(1, 3))
        earliest = loan.t + HOUR if after is None else max(loan.t + HOUR, after)
        t = max(day * DAY + int(rng.integers(8 * HOUR, 22 * HOUR)), earliest)
        return Draft(t=t, kind="repayment", loan_no=loan.loan_no, cents=cents,
                     scenario=loan.scenario, days_late=days_late)

    def _purpose(self, product: str, u: float) -> str:
        segment = self.user.segment
        if product == "merchant_loan" or (segment == "small_business" and u < 0.6):
            return "business"
        if segment == "student" and product != "credit_line" and u < 0.35:
            return "education"
        if product == "wealth_pledge" and u < 0.3:
            return "business"
        return "consumption"
