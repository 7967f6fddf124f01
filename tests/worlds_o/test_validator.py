"""The validator itself rejects what the contract forbids (so a green contract test
means something)."""
from __future__ import annotations

import json

import pytest
from hypothesis import given, strategies as st

from .contract import problems, stream_problems

LOAN = json.loads('{"event_id":"e-000001","event_type":"loan","user_id":"u-1042","ts":"2026-03-01T10:02:11+08:00",'
                  '"amount":1200.00,"loan_id":"l-77","product":"credit_line","term_days":30,"credit_limit":8000,'
                  '"credit_score":702,"segment":"individual","purpose":"consumption","channel":"app",'
                  '"device_id":"d-9f2"}')
REPAYMENT = json.loads('{"event_id":"e-000002","event_type":"repayment","user_id":"u-1042",'
                       '"ts":"2026-03-29T09:00:00+08:00","amount":1200.00,"loan_id":"l-77","days_late":0,'
                       '"outstanding":0}')


def test_contract_examples_pass() -> None:
    assert problems(LOAN, strict_fields=True) == []
    assert problems(REPAYMENT, strict_fields=True) == []


@pytest.mark.parametrize("field, value", [
    ("event_id", "has space"), ("event_id", ""), ("event_id", "x" * 65), ("user_id", 7),
    ("event_type", "refund"), ("ts", "2026-03-01T10:02:11"), ("ts", "2026-03-01 10:02:11+08:00"),
    ("ts", "2026-13-01T10:02:11+08:00"), ("amount", 0), ("amount", -5), ("amount", 10_000_000.01),
    ("amount", 12.345), ("amount", "12"), ("amount", True), ("currency", "USD"), ("loan_id", None),
    ("product", "mortgage"), ("term_days", 0), ("term_days", 3651), ("term_days", 30.0),
    ("credit_limit", -1), ("credit_score", 349), ("credit_score", 951), ("segment", "corporate"),
    ("purpose", "travel"), ("channel", "phone"), ("device_id", ""), ("merchant_id", "m 1"),
])
def test_broken_loans_are_rejected(field: str, value: object) -> None:
    assert problems({**LOAN, field: value})


@pytest.mark.parametrize("field", ["event_id", "event_type", "user_id", "ts", "amount", "loan_id", "product",
                                   "term_days", "credit_limit", "segment", "channel"])
def test_missing_required_loan_fields_are_rejected(field: str) -> None:
    assert problems({k: v for k, v in LOAN.items() if k != field})


@pytest.mark.parametrize("field, value", [("days_late", -1), ("days_late", 1.5), ("outstanding", -0.01)])
def test_broken_repayments_are_rejected(field: str, value: object) -> None:
    assert problems({**REPAYMENT, field: value})


def test_missing_days_late_and_duplicates_are_rejected() -> None:
    assert problems({k: v for k, v in REPAYMENT.items() if k != "days_late"})
    assert stream_problems([LOAN, dict(LOAN)])
    assert problems({**LOAN, "channel": "app", "merchant_id": "m-1"})


@given(st.decimals(min_value="0.01", max_value="10000000", places=2))
def test_two_decimal_amounts_are_accepted(amount) -> None:
    assert problems({**REPAYMENT, "amount": float(amount)}) == []
