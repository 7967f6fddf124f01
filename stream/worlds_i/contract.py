"""The value sets and limits of the loan-event contract v1.1, kept in one place.

Generators and tests both import from here so a reading of the contract is
written down exactly once.
"""
from __future__ import annotations

import re

PRODUCTS = ("cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge")
SEGMENTS = ("individual", "small_business", "student")
PURPOSES = ("consumption", "business", "education")
CHANNELS = ("app", "web", "merchant", "partner")
EVENT_TYPES = ("loan", "repayment")

ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
MAX_AMOUNT = 10_000_000.0
MIN_AMOUNT = 0.01
TERM_MIN, TERM_MAX = 1, 3650
SCORE_MIN, SCORE_MAX = 350, 950


def money(x: float) -> float:
    """Round to fen (2 decimals) and keep inside the contract's (0, 1e7] range."""
    v = round(float(x), 2)
    if v < MIN_AMOUNT:
        return MIN_AMOUNT
    if v > MAX_AMOUNT:
        return MAX_AMOUNT
    return v


def clip_score(s: float) -> int:
    """Credit scores live in 350-950."""
    return int(min(SCORE_MAX, max(SCORE_MIN, round(s))))


def clip_term(d: float) -> int:
    """term_days lives in 1-3650."""
    return int(min(TERM_MAX, max(TERM_MIN, round(d))))
