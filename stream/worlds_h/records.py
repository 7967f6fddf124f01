"""The internal event record, before it becomes a wire message.

Why: simulation code works with times in ms and principal portions; the
contract's text fields (ts string, event_id, credit_limit, outstanding) are
derived later, once the user's whole timeline is known.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

LOAN = "loan"
REPAY = "repayment"
NORMAL = "normal"


@dataclass(slots=True)
class Rec:
    """One loan or repayment of one user, with its ground-truth label."""

    t: int
    kind: str
    amount: float
    loan_id: str
    uidx: int
    label: int = 0
    scenario: str = NORMAL
    pinned: bool = False        # written by a typology: never dropped by reconcile
    emit: bool = True           # False: a loan opened before the stream (balance only)
    product: str = ""
    term_days: int = 0
    channel: str = ""
    device: Optional[str] = None
    merchant: Optional[str] = None
    purpose: Optional[str] = None
    score: Optional[int] = None
    due_day: int = 0
    days_late: int = 0
    principal: float = 0.0      # repayments: the part that reduces the balance
    limit: float = 0.0          # loans: credit_limit at that moment (set in finalize)
    outstanding: float = 0.0    # repayments: balance after it (set in finalize)
    seq: int = 0

    @property
    def is_loan(self) -> bool:
        return self.kind == LOAN
