"""The shape of a lender description (``WorldSpec``) and its parts.

Why: the seven worlds differ in data, not in code. Keeping every knob in one
frozen description lets ``worlds.py`` read like a product sheet per lender
while the simulation modules stay generic.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from random import Random
from typing import Any, Callable, Mapping, Optional

from .timebase import Span, TsStyle


@dataclass(frozen=True)
class Dist:
    """A clipped log-normal: money, limits and rates in lending are skewed positive."""

    median: float
    sigma: float
    lo: float
    hi: float


@dataclass(frozen=True)
class Habits:
    """How one customer segment of one lender behaves when nothing is wrong."""

    limit: Dist                       # approved credit limit, yuan
    products: Mapping[str, float]     # product mix
    channels: Mapping[str, float]     # channel mix
    hours: Mapping[str, float]        # hour-style mix (see habits.HOUR_WEIGHTS)
    modes: Mapping[str, float]        # arrival-mode mix (see normal.py)
    rate: Dist                        # loans per 30 days (or per span for "lumpy")
    draw_frac: Dist                   # a typical draw as a share of the limit
    heavy_share: float                # users who legitimately borrow near the limit
    late_share: float                 # users who are late now and then
    late_prob: float                  # for those users: share of payments that are late
    early_share: float                # users who like to repay early
    purposes: Mapping[str, float]
    score: Dist
    has_score: float                  # share of users with a bureau score at all
    full_pay: float = 0.7             # statement lenders: share of statements paid in full


@dataclass(frozen=True)
class Presence:
    """How often this lender's producer fills the contract's optional fields."""

    purpose: float
    device: Mapping[str, float]       # per channel; missing channel -> 0
    merchant: float                   # merchant_id on merchant-channel loans
    outstanding: float
    currency: float
    score: float = 1.0                # per event, for users who have a score


@dataclass(frozen=True)
class LimitReview:
    """A batch limit review that runs once inside the test window."""

    test_fraction: float
    raise_share: float
    raise_range: tuple[float, float]
    lower_share: float
    lower_range: tuple[float, float]


ExtrasFn = Callable[[Any, Any, Random], Optional[dict]]
DayMultFn = Callable[[int, str, Span], float]


@dataclass(frozen=True)
class WorldSpec:
    """One lender: who its customers are, what they borrow, and how its systems write events."""

    name: str
    code: str
    description: str
    segments: Mapping[str, float]
    habits: Mapping[str, Habits]
    terms: Mapping[str, Mapping[int, float]]
    repay_styles: Mapping[str, str]
    apr: Mapping[str, float]
    amount_step: Mapping[str, float]
    day_mult: DayMultFn
    weekday: tuple[float, float, float, float, float, float, float]
    device_change: float
    device_style: str
    opening_balance: float
    presence: Presence
    auto_debit: float
    batch_hour: int
    ts_styles: Mapping[str, TsStyle]
    amount_style: str
    id_styles: Mapping[str, str]
    anomalous_share: float
    typology_weights: Mapping[str, float]
    extras: Optional[ExtrasFn] = None
    migration: Optional[tuple[str, float, float]] = None
    limit_review: Optional[LimitReview] = None
    limit_drift: float = 0.0
    mark_to_market: float = 0.0
    merchant_mode: str = "pool"
    bill_aligned: bool = False
    payoff_after_festival: bool = False
    compact_json: bool = True
    merchant_pool_per_user: float = 1 / 15
    notes: tuple[str, ...] = field(default_factory=tuple)

    def ts_style(self, key: str) -> TsStyle:
        """Timestamp habit for a channel, or for ``"repayment"``."""
        return self.ts_styles.get(key) or self.ts_styles.get("default") or TsStyle()

    @property
    def products(self) -> list[str]:
        seen: dict[str, None] = {}
        for h in self.habits.values():
            for p, w in h.products.items():
                if w > 0:
                    seen[p] = None
        return list(seen)

    @property
    def channels(self) -> list[str]:
        seen: dict[str, None] = {}
        for h in self.habits.values():
            for c, w in h.channels.items():
                if w > 0:
                    seen[c] = None
        return list(seen)
