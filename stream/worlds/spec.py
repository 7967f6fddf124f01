"""WorldSpec: every knob that makes one lending world's *normal* behaviour differ from another's.

A world is a lender (or a portfolio) with its own habits: how it reports
``credit_limit``, which products and terms it sells, how often and how late its
customers pay, when they borrow.  A detector tuned on one world should be judged
on the others, so everything that a detector might silently learn as "normal"
is a field here rather than a constant in the simulation code.

Mappings are stored as tuples of ``(key, value)`` pairs so the dataclass stays
frozen *and* hashable; ``weights()`` turns them back into dicts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

SEGMENTS = ("individual", "small_business", "student")

TYPOLOGIES = (
    "loan_stacking",
    "borrow_to_repay",
    "account_takeover",
    "student_overborrowing",
    "limit_jump_drain",
    "overdue_escalation",
    "circular_repayment",
    "product_switch_max_term",
    "merchant_cashout_ring",
)

Pairs = tuple[tuple[str, float], ...]
PerSegment = tuple[float, float, float]  # aligned with SEGMENTS


def pairs(**weights: float) -> Pairs:
    """Keyword weights as an immutable, ordered tuple of pairs (for spec fields)."""
    return tuple(weights.items())


def weights(items: Pairs) -> dict[str, float]:
    """The dict form of a pairs field."""
    return dict(items)


DEFAULT_PRODUCT_MIX: tuple[Pairs, Pairs, Pairs] = (
    pairs(credit_line=0.45, cash_loan=0.30, installment=0.20, wealth_pledge=0.05),
    pairs(merchant_loan=0.45, credit_line=0.25, cash_loan=0.20, installment=0.10),
    pairs(credit_line=0.55, installment=0.35, cash_loan=0.10),
)

#: Term options in days, with weights, per product.  Terms <= 31 days are repaid
#: in one bullet; longer ones in monthly instalments (except wealth pledges).
DEFAULT_TERMS: tuple[tuple[str, tuple[tuple[int, float], ...]], ...] = (
    ("cash_loan", ((7, 0.05), (14, 0.10), (30, 0.25), (90, 0.20), (180, 0.20), (360, 0.20))),
    ("credit_line", ((30, 0.85), (60, 0.08), (90, 0.07))),
    ("installment", ((90, 0.30), (180, 0.30), (270, 0.15), (360, 0.20), (720, 0.05))),
    ("merchant_loan", ((90, 0.30), (180, 0.40), (360, 0.30))),
    ("wealth_pledge", ((30, 0.30), (90, 0.40), (180, 0.20), (365, 0.10))),
)

#: Median loan amount as a share of the relevant limit, per product.
DEFAULT_AMOUNT_SHARE: Pairs = pairs(
    cash_loan=0.22, credit_line=0.05, installment=0.14, merchant_loan=0.28, wealth_pledge=0.35
)

DEFAULT_TYPOLOGY_WEIGHTS: Pairs = tuple((name, 1.0) for name in TYPOLOGIES)


@dataclass(frozen=True)
class WorldSpec:
    """All regime knobs of one world; see ``catalog.WORLDS`` for the named ones."""

    name: str
    tag: str  # short id prefix: users are "w<tag>-000123"
    description: str

    # --- population -------------------------------------------------------
    segment_shares: PerSegment = (0.72, 0.13, 0.15)
    #: Median total approved limit per segment (yuan).
    limit_medians: PerSegment = (15_000.0, 80_000.0, 3_000.0)
    #: Share of users who open their account during the window (no history).
    new_user_share: float = 0.08

    # --- limits -----------------------------------------------------------
    #: "total": credit_limit is the user's total limit and the balance rarely
    #: exceeds it.  "per_product": each product has its own limit, credit_limit
    #: reports that product's, so the total balance often exceeds it.
    limit_mode: Literal["total", "per_product"] = "total"
    #: Normal limit increases per eligible user per month, and their size.
    limit_increase_per_month: float = 0.06
    limit_increase_factor: tuple[float, float] = (1.1, 1.5)

    # --- products and amounts --------------------------------------------
    product_mix: tuple[Pairs, Pairs, Pairs] = DEFAULT_PRODUCT_MIX
    terms: tuple[tuple[str, tuple[tuple[int, float], ...]], ...] = DEFAULT_TERMS
    amount_share: Pairs = DEFAULT_AMOUNT_SHARE
    #: How many products a user habitually uses (inclusive range).
    products_per_user: tuple[int, int] = (1, 2)

    # --- borrowing rhythm -------------------------------------------------
    loans_per_month: PerSegment = (1.0, 1.5, 0.8)
    #: Gamma shape of user activity: small = few heavy borrowers, many idle.
    activity_shape: float = 1.2
    #: Multipliers Monday..Sunday on the borrowing rate.
    weekday_mult: tuple[float, ...] = (1.0, 0.95, 0.95, 1.0, 1.1, 1.3, 1.2)
    #: Extra weight of late-night (0-4h) borrowing in the hour profiles.
    night_share: float = 0.04
    #: Festival days as offsets from the first test day (negative = in history).
    festival_days: tuple[int, ...] = ()
    festival_mult: float = 4.0

    # --- repayment habits -------------------------------------------------
    late_share: float = 0.06  # mean share of scheduled payments paid late
    late_grace_share: float = 0.6  # of late payments, the share only 1-3 days late
    late_mean_days: float = 6.0  # mean lateness of the others
    early_share: float = 0.15  # share of loans prepaid in full before maturity
    partial_share: float = 0.03  # share of payments split into two parts
    default_share: float = 0.01  # share of loans on which payments stop
    autodebit_share: float = 0.45  # users repaid by automatic debit at dawn
    outstanding_share: float = 1.0  # share of repayments carrying `outstanding`

    # --- devices, channels and optional fields ---------------------------
    multi_device_share: float = 0.3
    phone_change_per_month: float = 0.03
    device_missing_share: float = 0.05
    channel_bias: Pairs = pairs(app=1.0, web=1.0, merchant=1.0, partner=1.0)
    credit_score_share: float = 0.9
    purpose_share: float = 0.7
    currency_share: float = 0.5

    # --- anomalies --------------------------------------------------------
    anomaly_rate: float = 0.03  # share of users with an episode in the test window
    history_anomaly_share: float = 0.12  # share of all episodes placed in history
    typology_weights: Pairs = field(default=DEFAULT_TYPOLOGY_WEIGHTS)

    def __post_init__(self) -> None:
        if self.limit_mode not in ("total", "per_product"):
            raise ValueError(f"limit_mode must be 'total' or 'per_product', got {self.limit_mode!r}")
        if abs(sum(self.segment_shares) - 1.0) > 1e-6:
            raise ValueError("segment_shares must sum to 1")
        unknown = set(weights(self.typology_weights)) - set(TYPOLOGIES)
        if unknown:
            raise ValueError(f"unknown typologies: {sorted(unknown)}")
        if not 0 <= self.anomaly_rate <= 0.5:
            raise ValueError("anomaly_rate must be in [0, 0.5]")

    def term_options(self, product: str) -> tuple[tuple[int, float], ...]:
        """Term choices for a product (falls back to a 30-day bullet)."""
        for name, options in self.terms:
            if name == product:
                return options
        return ((30, 1.0),)

    def max_term(self, product: str) -> int:
        """The longest term this world sells for a product."""
        return max(term for term, _ in self.term_options(product))
