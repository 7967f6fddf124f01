"""The named worlds: each a lender whose *normal* looks different from the others'.

The knobs differ where a detector is most likely to have baked in one
lender's habits: what ``credit_limit`` means, product and term mix, how often
people borrow, how late they harmlessly pay, when they borrow, festival
surges, devices, channels and which optional fields are filled in.
"""

from __future__ import annotations

from .spec import WorldSpec, pairs

_BASE = WorldSpec(
    name="baseline",
    tag="b",
    description="Mixed consumer lender, total credit limit, moderate lateness, outstanding on every repayment.",
)

_PER_PRODUCT = WorldSpec(
    name="per_product_limit",
    tag="p",
    description="credit_limit is per product: users run balances on 2-3 products, so total debt often exceeds the reported limit.",
    limit_mode="per_product",
    products_per_user=(2, 3),
    amount_share=pairs(cash_loan=0.35, credit_line=0.12, installment=0.30, merchant_loan=0.35, wealth_pledge=0.40),
    loans_per_month=(1.3, 1.7, 1.0),
    outstanding_share=0.7,
    limit_increase_per_month=0.08,
)

_PAYDAY = WorldSpec(
    name="payday_heavy",
    tag="d",
    description="Payday lender: small limits, frequent 7-14 day cash loans, night borrowing, some 1-5 day lateness.",
    limit_medians=(6_000.0, 30_000.0, 2_000.0),
    product_mix=(
        pairs(cash_loan=0.65, credit_line=0.30, installment=0.05),
        pairs(cash_loan=0.45, merchant_loan=0.35, credit_line=0.20),
        pairs(credit_line=0.55, cash_loan=0.35, installment=0.10),
    ),
    terms=(
        ("cash_loan", ((7, 0.35), (14, 0.35), (30, 0.25), (90, 0.05))),
        ("credit_line", ((30, 0.95), (60, 0.05))),
        ("installment", ((90, 0.6), (180, 0.4))),
        ("merchant_loan", ((30, 0.3), (90, 0.5), (180, 0.2))),
    ),
    amount_share=pairs(cash_loan=0.30, credit_line=0.07, installment=0.2, merchant_loan=0.3, wealth_pledge=0.3),
    loans_per_month=(2.8, 2.5, 2.0),
    night_share=0.12,
    late_share=0.12,
    late_grace_share=0.7,
    late_mean_days=5.0,
    early_share=0.08,
    autodebit_share=0.3,
    default_share=0.02,
    outstanding_share=0.85,
)

_INSTALMENT = WorldSpec(
    name="instalment_heavy",
    tag="i",
    description="Checkout-instalment lender: long 3-24 month plans at merchants, low frequency, outstanding on half the repayments.",
    product_mix=(
        pairs(installment=0.60, credit_line=0.25, cash_loan=0.15),
        pairs(merchant_loan=0.50, installment=0.30, credit_line=0.20),
        pairs(installment=0.70, credit_line=0.30),
    ),
    terms=(
        ("cash_loan", ((90, 0.2), (180, 0.3), (360, 0.5))),
        ("credit_line", ((30, 0.7), (90, 0.3))),
        ("installment", ((90, 0.15), (180, 0.25), (360, 0.35), (720, 0.25))),
        ("merchant_loan", ((180, 0.4), (360, 0.4), (720, 0.2))),
        ("wealth_pledge", ((90, 0.5), (180, 0.5))),
    ),
    amount_share=pairs(cash_loan=0.25, credit_line=0.06, installment=0.20, merchant_loan=0.3, wealth_pledge=0.35),
    loans_per_month=(0.5, 0.7, 0.5),
    weekday_mult=(0.9, 0.9, 0.9, 0.95, 1.1, 1.5, 1.4),
    channel_bias=pairs(app=0.8, web=0.7, merchant=2.0, partner=1.2),
    early_share=0.25,
    outstanding_share=0.5,
)

_LATE = WorldSpec(
    name="late_payers",
    tag="l",
    description="Customers who are routinely 1-3 days late (manual payers), harmlessly; more split payments.",
    late_share=0.35,
    late_grace_share=0.85,
    late_mean_days=4.0,
    partial_share=0.08,
    autodebit_share=0.15,
    default_share=0.015,
    early_share=0.08,
)

_FESTIVAL = WorldSpec(
    name="festival_surge",
    tag="f",
    description="Baseline lender with a shopping festival on test day 6: ordinary checkout borrowing surges about 4x.",
    festival_days=(5,),
    festival_mult=4.5,
    channel_bias=pairs(app=1.0, web=0.8, merchant=1.5, partner=1.3),
)

_SPARSE = WorldSpec(
    name="sparse_borrowers",
    tag="s",
    description="Rare borrowers with patchy data: ~0.3 loans/month, many new accounts, few optional fields filled in.",
    loans_per_month=(0.25, 0.4, 0.2),
    activity_shape=0.5,
    new_user_share=0.2,
    outstanding_share=0.3,
    device_missing_share=0.25,
    credit_score_share=0.5,
    purpose_share=0.3,
    currency_share=0.0,
    limit_increase_per_month=0.02,
)

_MIXED = WorldSpec(
    name="mixed",
    tag="m",
    description="Per-product limits, payday and instalment products together, weekday-heavy, web/partner channels, festivals in history and test.",
    limit_mode="per_product",
    products_per_user=(1, 3),
    product_mix=(
        pairs(cash_loan=0.40, installment=0.30, credit_line=0.25, wealth_pledge=0.05),
        pairs(merchant_loan=0.40, cash_loan=0.30, installment=0.15, credit_line=0.15),
        pairs(credit_line=0.45, installment=0.35, cash_loan=0.20),
    ),
    terms=(
        ("cash_loan", ((7, 0.2), (14, 0.2), (30, 0.2), (180, 0.2), (360, 0.2))),
        ("credit_line", ((30, 0.8), (60, 0.1), (90, 0.1))),
        ("installment", ((90, 0.2), (180, 0.3), (360, 0.3), (720, 0.2))),
        ("merchant_loan", ((90, 0.3), (180, 0.4), (360, 0.3))),
        ("wealth_pledge", ((30, 0.3), (90, 0.4), (180, 0.3))),
    ),
    loans_per_month=(1.6, 1.8, 1.2),
    weekday_mult=(1.2, 1.1, 1.1, 1.1, 1.0, 0.8, 0.7),
    festival_days=(-12, 6),
    festival_mult=3.0,
    late_share=0.15,
    late_grace_share=0.75,
    channel_bias=pairs(app=0.8, web=2.0, merchant=1.0, partner=1.5),
    phone_change_per_month=0.08,
    multi_device_share=0.45,
    outstanding_share=0.6,
    night_share=0.08,
)

WORLDS: dict[str, WorldSpec] = {
    w.name: w for w in (_BASE, _PER_PRODUCT, _PAYDAY, _INSTALMENT, _LATE, _FESTIVAL, _SPARSE, _MIXED)
}


def world_names() -> list[str]:
    """Names of the predefined worlds, in catalogue order."""
    return list(WORLDS)
