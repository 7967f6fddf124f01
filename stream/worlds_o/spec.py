"""Parameter records that describe a lender.

A world is mostly data: which products it sells (terms, sizes, fees, channels), which
customer segments it serves (limits, scores, borrowing rates), its daily rhythm and its
repayment habits.  Keeping these in frozen records lets seven lenders share one engine
while differing in every parameter the brief asks to vary.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

PRODUCTS = ("cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge")
SEGMENTS = ("individual", "small_business", "student")
CHANNELS = ("app", "web", "merchant", "partner")
PURPOSES = ("consumption", "business", "education")


@dataclass(frozen=True)
class Product:
    """One product as a lender sells it.

    plan: how it is repaid: "bullet" (one payment at term), "monthly", "weekly",
    "daily" (settlement sweeps) or "mixed" (bullet up to 31 days, monthly beyond).
    size: median loan as a share of the limit the product may use; spread is the
    lognormal sigma around it.  step: amounts are multiples of this many cents.
    """

    name: str
    terms: tuple[int, ...]
    term_weights: tuple[float, ...]
    plan: str
    size: float
    spread: float
    fee: float
    channels: tuple[tuple[str, float], ...]
    step: int = 100
    floor: int = 5_000
    purpose: str | None = None
    prepay: float = 0.05


@dataclass(frozen=True)
class Segment:
    """A customer segment: limit (median yuan and spread), score, loans per 30 days."""

    name: str
    share: float
    limit: float
    limit_spread: float
    score: int
    rate: float
    products: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class WorldSpec:
    """Everything that makes one lender's normal behaviour its own."""

    name: str
    code: str
    description: str
    segments: tuple[Segment, ...]
    products: Mapping[str, Product]
    hours: tuple[float, ...]
    weekday: tuple[float, ...] = (1.0,) * 7
    limit_split: Mapping[str, float] | None = None
    late_p: float = 0.08
    late_mean: float = 2.0
    early_p: float = 0.15
    autopay_p: float = 0.3
    auto_hours: tuple[int, int] = (6, 9)
    auto_fail: float = 0.05
    running: float = 1.0
    score_p: float = 1.0
    purpose_p: float = 0.6
    currency: str = "always"
    outstanding: bool = True
    device_p: Mapping[str, float] = field(
        default_factory=lambda: {"app": 0.97, "web": 0.5, "merchant": 0.3, "partner": 0.6}
    )
    merchants: int = 200

    def product(self, name: str) -> Product:
        """The lender's own product, or a generic one when a scheme uses a product
        the lender does not normally sell (the loan is still contract-valid)."""
        return self.products.get(name) or GENERIC[name]

    def segment(self, name: str) -> Segment:
        for seg in self.segments:
            if seg.name == name:
                return seg
        return self.segments[0]


GENERIC: Mapping[str, Product] = {
    "cash_loan": Product("cash_loan", (7, 14, 30, 90), (1, 1, 2, 1), "mixed", 0.2, 0.5, 0.24,
                         (("app", 0.8), ("web", 0.2)), step=10_000),
    "credit_line": Product("credit_line", (30,), (1,), "bullet", 0.05, 0.7, 0.0,
                           (("merchant", 0.7), ("app", 0.3)), step=1, floor=1_000),
    "installment": Product("installment", (90, 180, 360), (2, 2, 1), "monthly", 0.15, 0.5, 0.15,
                           (("merchant", 0.7), ("app", 0.3)), step=100),
    "merchant_loan": Product("merchant_loan", (90, 180), (1, 1), "monthly", 0.25, 0.5, 0.14,
                             (("web", 0.5), ("app", 0.5)), step=100_000, purpose="business"),
    "wealth_pledge": Product("wealth_pledge", (30, 90), (1, 1), "bullet", 0.3, 0.4, 0.06,
                             (("app", 1.0),), step=10_000),
}
