"""Outcome labels from the lender's own history: did a loan go seriously bad?

The early-warning model (``models.early_warning``) learns what precedes
trouble at *this* lender from labels its history carries for free.  A loan's
label is a first-payment-default style outcome, read only from repayments the
history holds and only once it had time to happen:

* its **first due date** is the end of its term, except for an ``installment``
  plan, whose first instalment falls due ``first_due_days`` (30) days after
  the loan (or at the end of a shorter term): the same convention as the
  stream's open-loan slots (``stream.core.features``, ``INSTALMENT_PERIOD``);
* it **matures** ``grace_days`` after that; a loan that matures after the
  history's last event has no label yet and is left out;
* it is **bad** when a repayment into it by maturity was ``late_days`` or more
  late, or less than ``min_repaid_share`` of what was due by the first due
  date (the whole amount, or an instalment plan's share ``first_due / term``)
  had been repaid by maturity.

A first version took every loan longer than 30 days for an instalment plan:
a 90-day cash loan repaid in one payment at its end was then "bad" at day
45, and on the project's simulator the label said more about the product
than the borrower (the classifier, given the loan's term and product, ranked
it at PR-AUC 0.97).

Nothing after a loan's maturity is read, so a label is what the lender knew
at that moment, and the features it is paired with are the stream's own at
the loan (``stream.core.pipeline.featurize``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from stream.core.contract import Event, LoanEvent
from stream.core.outcome_watch import DEFAULT_LATE_DAYS

DAY = 86400.0


@dataclass(frozen=True)
class OutcomeRules:
    """What counts as a serious delinquency (defaults suit short consumer credit)."""

    late_days: int = DEFAULT_LATE_DAYS  # a repayment this late (days) or later is serious
    grace_days: int = 15  # days after the first due date before a loan's outcome is read
    first_due_days: int = 30  # an instalment plan's first due date (a monthly instalment)
    min_repaid_share: float = 0.5  # less than this share of the first due amount repaid is bad

    def __post_init__(self) -> None:
        if self.late_days < 1 or self.grace_days < 0 or self.first_due_days < 1:
            raise ValueError("late_days and first_due_days must be >= 1 and grace_days >= 0")
        if not 0.0 <= self.min_repaid_share <= 1.0:
            raise ValueError(f"min_repaid_share must be in [0, 1], got {self.min_repaid_share}")

    @classmethod
    def from_settings(cls, settings: Any) -> OutcomeRules | None:
        """The rules a ``stream.settings.Settings`` asks for; None when the early warning is switched off."""
        if not settings.early_warning:
            return None
        return cls(late_days=settings.outcome_late_days, grace_days=settings.outcome_grace_days)

    def first_days(self, loan: LoanEvent) -> int:
        """Days from the loan to its first payment: an instalment plan's first instalment, else the term."""
        return min(loan.term_days, self.first_due_days) if loan.product == "installment" else loan.term_days

    def first_due(self, loan: LoanEvent) -> float:
        """When the loan's first payment falls due (event time, seconds)."""
        return loan.ts + self.first_days(loan) * DAY

    def matures(self, loan: LoanEvent) -> float:
        """When the loan's outcome is known."""
        return self.first_due(loan) + self.grace_days * DAY

    def due_by_first_date(self, loan: LoanEvent) -> float:
        """The amount due by the first due date: all of it, or the first instalment's share."""
        return loan.amount * self.first_days(loan) / loan.term_days


def label_outcomes(events: Iterable[Event], rules: OutcomeRules, history_end: float | None = None) -> dict[str, bool]:
    """``{loan event_id: bad}`` for every loan of ``events`` whose outcome had matured by
    ``history_end`` (default: the newest event's time).

    Repayments are matched to loans by (user, loan id); redelivered events
    (an ``event_id`` seen before) count once, as in the stream.
    """
    loans: dict[tuple[str, str], LoanEvent] = {}
    paid: dict[tuple[str, str], float] = {}
    worst: dict[tuple[str, str], int] = {}
    seen: set[str] = set()
    newest = float("-inf")
    unique = []
    for e in events:
        if e.event_id in seen:
            continue
        seen.add(e.event_id)
        unique.append(e)
        newest = max(newest, e.ts)
    end = newest if history_end is None else history_end
    for e in unique:
        key = (e.user_id, e.loan_id)
        if isinstance(e, LoanEvent):
            loans.setdefault(key, e)
    for e in unique:
        if isinstance(e, LoanEvent):
            continue
        loan = loans.get((e.user_id, e.loan_id))
        if loan is None or e.ts < loan.ts or e.ts > rules.matures(loan) or e.ts > end:
            continue
        key = (e.user_id, e.loan_id)
        paid[key] = paid.get(key, 0.0) + e.amount
        worst[key] = max(worst.get(key, 0), e.days_late)
    labels = {}
    for key, loan in loans.items():
        if rules.matures(loan) > end:
            continue
        short = paid.get(key, 0.0) < rules.min_repaid_share * rules.due_by_first_date(loan)
        labels[loan.event_id] = short or worst.get(key, 0) >= rules.late_days
    return labels
