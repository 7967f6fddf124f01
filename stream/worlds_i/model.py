"""In-memory users and events, before they are rendered to contract JSON.

Events keep integer times and a back-pointer to their user so that the
finishing pass can compute the per-user running balance (``outstanding``) and
the credit limit in force at each loan, whatever order generators created
them in.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(slots=True, eq=False)
class User:
    idx: int
    uid: str
    segment: str
    join_day: int
    score: int
    devices: list[str]
    attrs: dict = field(default_factory=dict)
    limits: list[tuple[int, float]] = field(default_factory=list)  # (t, limit), sorted
    events: list["Ev"] = field(default_factory=list)
    anomalous: bool = False
    synthetic: bool = False     # created by a typology, has no ordinary life
    seq: int = 0


@dataclass(slots=True, eq=False)
class Ev:
    t: int                      # seconds since T0
    kind: str                   # "loan", "repayment", or "book" (pre-window loan, never written)
    user: User
    loan_id: str
    amount: float
    seq: int
    product: str | None = None
    term: int = 0
    channel: str | None = None
    device: str | None = None
    merchant: str | None = None
    purpose: str | None = None
    segment: str | None = None
    score: int | None = None
    principal: float = 0.0      # part of a repayment that reduces the balance
    days_late: int = 0
    label: int = 0
    scenario: str = "normal"
    ms: int = 0
    protected: bool = False     # never declined by the limit check (typology loans, conversions)
    offset_min: int = 480
    with_ms: bool = False
    # filled by the finishing pass
    limit: float = 0.0
    outstanding: float = 0.0
    show_score: bool = True
    show_outstanding: bool = True
    show_currency: bool = False
    show_purpose: bool = True
    show_device: bool = True
    show_merchant: bool = True
