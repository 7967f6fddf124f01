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
  had been repaid by maturity;
* a loan of a **revolving product** (a credit line repaid by statement, a
  minimum-payment card) is bad by lateness only.  The lender tells us which
  products those are through its own ``days_late``: a product is read as
  revolving when, among its loans repaid more than ``AFTER_TERM_DAYS`` after
  their term ended, at least ``REVOLVING_MIN_SHARE`` (and at least
  ``REVOLVING_MIN_LOANS`` loans) had such a repayment that the lender called
  on time: its schedule runs past the term.
  A one-off loan repaid after its term is late, so bullet and instalment
  products stay well below that share (0-3 % on the held-out worlds), while
  credit lines paid off statement by statement sit at 30-99 %.  There the
  share rule read the revolving habit as trouble: on family N's lenders it
  labelled 16.6-18.9 % of 30-day credit-line draws bad, 94-95 % of them
  well-behaved users' (docs/early_warning.md).  The lender can name the
  products instead (``OutcomeRules.revolving``; the setting
  ``outcome_revolving_products``).

A first version took every loan longer than 30 days for an instalment plan:
a 90-day cash loan repaid in one payment at its end was then "bad" at day
45, and on the project's simulator the label said more about the product
than the borrower (the classifier, given the loan's term and product, ranked
it at PR-AUC 0.97).

Nothing of a loan after its maturity is read, so a label is what the lender
knew at that moment, and the features it is paired with are the stream's own
at the loan (``stream.core.pipeline.featurize``).  Which products
revolve is read from the whole history, as the rules' thresholds are: it
describes the lender, not the loan.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from stream.core.contract import Event, LoanEvent
from stream.core.outcome_watch import DEFAULT_LATE_DAYS, DEFAULT_MIN_REPAID_SHARE

DAY = 86400.0
#: Days after a loan's term ends from which a repayment says something about the product's schedule.
AFTER_TERM_DAYS = 2
#: Share of a product's loans repaid after their term that were repaid on time there, from which
#: the product is read as revolving (scheduled by the lender past the term), and the fewest such loans.
REVOLVING_MIN_SHARE = 0.2
REVOLVING_MIN_LOANS = 20


@dataclass(frozen=True)
class OutcomeRules:
    """What counts as a serious delinquency (defaults suit short consumer credit)."""

    late_days: int = DEFAULT_LATE_DAYS  # a repayment this late (days) or later is serious
    grace_days: int = 15  # days after the first due date before a loan's outcome is read
    first_due_days: int = 30  # an instalment plan's first due date (a monthly instalment)
    min_repaid_share: float = DEFAULT_MIN_REPAID_SHARE  # less than this share of the first due amount repaid is bad
    #: revolving products (bad by lateness only); None: read them from the history
    revolving: tuple[str, ...] | None = None

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
                   min_repaid_share=settings.outcome_min_repaid_share,
                   revolving=settings.revolving_products())

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


@dataclass(frozen=True)
class RevolvingEvidence:
    """Per product: its loans repaid more than ``AFTER_TERM_DAYS`` after their term, and how many of
    those had such a repayment on time (what ``OutcomeLabeller.revolving`` reads)."""

    after_term: dict[str, int]
    on_time: dict[str, int]

    def revolving(self) -> tuple[str, ...]:
        return tuple(sorted(p for p, n in self.after_term.items()
                            if self.on_time.get(p, 0) >= REVOLVING_MIN_LOANS
                            and self.on_time.get(p, 0) >= REVOLVING_MIN_SHARE * n))

    def describe(self, product: str) -> str:
        """Why ``product`` reads as revolving, in the training report's words."""
        return (f"{self.on_time.get(product, 0):,} of its {self.after_term.get(product, 0):,} loans repaid after "
                f"their term were repaid on time there")


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
    product: str
    term_over: float  # when a repayment starts to say something about the product's schedule
    paid: float = 0.0
    worst: int = 0  # the latest repayment's days late
    after_term: bool = False  # repaid after term_over
    on_time_after_term: bool = False  # ... and the lender called such a repayment on time


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
            loan = self._loans[key] = _Loan(e.event_id, e.ts, self.rules.matures(e), self.rules.due_by_first_date(e),
                                            e.product, e.ts + (e.term_days + AFTER_TERM_DAYS) * DAY)
            for repaid in self._waiting.pop(key, ()):
                self._repaid(loan, *repaid)
            return
        loan = self._loans.get(key)
        if loan is None:
            self._waiting.setdefault(key, []).append((e.ts, e.amount, e.days_late))
        else:
            self._repaid(loan, e.ts, e.amount, e.days_late)

    def _repaid(self, loan: _Loan, ts: float, amount: float, days_late: int) -> None:
        if ts < loan.ts or (self.history_end is not None and ts > self.history_end):
            return
        if ts > loan.term_over:
            loan.after_term = True
            loan.on_time_after_term |= days_late == 0
        if ts <= loan.matures:
            loan.paid += amount
            loan.worst = max(loan.worst, days_late)

    def evidence(self) -> RevolvingEvidence:
        """What the history says of each product's schedule (see ``RevolvingEvidence``)."""
        after: dict[str, int] = {}
        on_time: dict[str, int] = {}
        for loan in self._loans.values():
            if loan.after_term:
                after[loan.product] = after.get(loan.product, 0) + 1
                on_time[loan.product] = on_time.get(loan.product, 0) + loan.on_time_after_term
        return RevolvingEvidence(after, on_time)

    def revolving(self) -> tuple[str, ...]:
        """The products judged by lateness only: the rules' own, or those the history shows revolving."""
        return tuple(self.revolving_reasons())

    def revolving_reasons(self) -> dict[str, str]:
        """Each product judged by lateness only (the rules' own, or those the history shows
        revolving), and why (for the training report)."""
        if self.rules.revolving is not None:
            return {p: "named by outcome_revolving_products" for p in self.rules.revolving}
        evidence = self.evidence()
        return {p: evidence.describe(p) for p in evidence.revolving()}

    def labels(self) -> dict[str, bool]:
        """The labels of the loans matured by the history's end (see ``label_outcomes``)."""
        end = self._newest if self.history_end is None else self.history_end
        rules = self.rules
        revolving = frozenset(self.revolving())
        return {loan.event_id: loan.worst >= rules.late_days
                or (loan.product not in revolving and loan.paid < rules.min_repaid_share * loan.due)
                for loan in self._loans.values() if loan.matures <= end}
