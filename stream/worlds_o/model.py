"""In-memory records: users, their loans and the events on them.

Amounts are integer cents so that balances add up exactly; the contract's yuan with two
decimals are produced only when writing.  Loan ids are given at the end, in the order
each user's loans were opened, so ids leak nothing about how an event was generated.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .clock import DAY

if TYPE_CHECKING:
    from .book import Book


@dataclass(slots=True, eq=False)
class Loan:
    """A disbursed loan; `opening` is None only for loans the stream never shows."""

    user: "User"
    product: str
    principal: int
    open_t: int
    term_days: int
    plan: str = ""
    opening: "Event | None" = None
    repayments: list["Event"] = field(default_factory=list)
    loan_id: str = ""

    @property
    def due_day(self) -> int:
        """Day of the final due date."""
        return self.open_t // DAY + self.term_days


@dataclass(slots=True, eq=False)
class Event:
    """One loan or repayment.  `delta` is the principal it adds (+) or removes (-)."""

    t: int
    kind: str
    loan: Loan
    amount: int
    delta: int
    seq: int
    due_day: int = 0
    label: int = 0
    scenario: str = "normal"
    channel: str = ""
    device: str | None = None
    merchant: str | None = None
    purpose: str | None = None
    score: int | None = None
    outstanding: int = 0


@dataclass(slots=True, eq=False)
class User:
    """A customer with the habits that drive their normal behaviour."""

    idx: int
    uid: str
    segment: str
    products: tuple[tuple[str, float], ...]
    score: int
    rate: float
    size: float
    late_p: float
    late_mean: float
    early_p: float
    comfort: float
    autopay: bool
    hours: tuple[float, ...]
    phone: str
    channel_bias: str
    rng: random.Random
    book: "Book"
    active: bool = True
    blank: bool = False
    anomalous: bool = False
    group: str = ""
    role: str = ""
    merchant_id: str | None = None
    spare_device: str | None = None
    attrs: dict = field(default_factory=dict)
