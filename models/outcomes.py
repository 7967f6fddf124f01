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
        return cls(late_days=settings.outcome_late_days, grace_days=settings.outcome_grace_days,
                   min_repaid_share=settings.outcome_min_repaid_share)

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
    labeller = OutcomeLabeller(rules, history_end)
    for e in events:
        labeller.add(e)
    return labeller.labels()


@dataclass(slots=True)
class _Loan:
    """What a loan's label needs: its id and moments, and what was repaid into it by maturity."""

    event_id: str
    ts: float
    matures: float
    due: float  # due by the first due date
    paid: float = 0.0
    worst: int = 0  # the latest repayment's days late


class OutcomeLabeller:
    """``label_outcomes`` one event at a time, keeping per loan only what its label needs.

    Training reads a history once and keeps no parsed events (``models.training_rows``).
    A repayment that comes before its loan (a stream out of order) waits for it and is
    counted when the loan comes, before any later repayment, so every loan's sum is
    added in input order and the labels are those of reading the whole history first.
    """

    def __init__(self, rules: OutcomeRules, history_end: float | None = None) -> None:
        self.rules = rules
        self.history_end = history_end
        self._seen: set[str] = set()
        self._newest = float("-inf")
        self._loans: dict[tuple[str, str], _Loan] = {}
        self._waiting: dict[tuple[str, str], list[tuple[float, float, int]]] = {}  # (ts, amount, days late)

    def add(self, e: Event) -> None:
        if e.event_id in self._seen:
            return
        self._seen.add(e.event_id)
        self._newest = max(self._newest, e.ts)
        key = (e.user_id, e.loan_id)
        if isinstance(e, LoanEvent):
            if key in self._loans:
                return
            loan = self._loans[key] = _Loan(e.event_id, e.ts, self.rules.matures(e), self.rules.due_by_first_date(e))
            for repaid in self._waiting.pop(key, ()):
                self._repaid(loan, *repaid)
            return
        loan = self._loans.get(key)
        if loan is None:
            self._waiting.setdefault(key, []).append((e.ts, e.amount, e.days_late))
        else:
            self._repaid(loan, e.ts, e.amount, e.days_late)

    def _repaid(self, loan: _Loan, ts: float, amount: float, days_late: int) -> None:
        if ts < loan.ts or ts > loan.matures or (self.history_end is not None and ts > self.history_end):
            return
        loan.paid += amount
        loan.worst = max(loan.worst, days_late)

    def labels(self) -> dict[str, bool]:
        """The labels of the loans matured by the history's end (see ``label_outcomes``)."""
        end = self._newest if self.history_end is None else self.history_end
        rules = self.rules
        return {loan.event_id: loan.paid < rules.min_repaid_share * loan.due or loan.worst >= rules.late_days
                for loan in self._loans.values() if loan.matures <= end}
