"""The input contract: every valid shape parses, every broken one is refused with a
precise reason, and no input at all makes the parser raise anything else."""

from __future__ import annotations

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stream.core.contract import (
    CHANNELS,
    PRODUCTS,
    REASON_CODES,
    SEGMENTS,
    InvalidEvent,
    LoanEvent,
    RepaymentEvent,
    parse_event,
)

LOAN = {
    "event_id": "e-000001", "event_type": "loan", "user_id": "u-1042", "ts": "2026-03-01T10:02:11+08:00",
    "amount": 1200.00, "loan_id": "l-77", "product": "credit_line", "term_days": 30, "credit_limit": 8000,
    "credit_score": 702, "segment": "individual", "purpose": "consumption", "channel": "app", "device_id": "d-9f2",
}
REPAYMENT = {
    "event_id": "e-000002", "event_type": "repayment", "user_id": "u-1042", "ts": "2026-03-29T09:00:00+08:00",
    "amount": 1200.00, "loan_id": "l-77", "days_late": 0, "outstanding": 0,
}


def raw(doc: dict) -> bytes:
    return orjson.dumps(doc)


def refused(doc_or_bytes) -> InvalidEvent:
    data = doc_or_bytes if isinstance(doc_or_bytes, bytes) else raw(doc_or_bytes)
    with pytest.raises(InvalidEvent) as info:
        parse_event(data)
    assert info.value.code in REASON_CODES
    return info.value


def test_contract_examples_parse() -> None:
    loan = parse_event(raw(LOAN))
    assert isinstance(loan, LoanEvent)
    assert (loan.amount, loan.product, loan.term_days, loan.credit_limit) == (1200.0, "credit_line", 30, 8000.0)
    assert loan.local_hour == 10  # the borrower's clock, not UTC
    assert loan.ts == 1772330531.0
    rep = parse_event(raw(REPAYMENT))
    assert isinstance(rep, RepaymentEvent) and rep.days_late == 0 and rep.outstanding == 0.0


def test_optional_fields_and_unknown_fields() -> None:
    doc = {k: v for k, v in LOAN.items() if k not in {"credit_score", "purpose", "device_id"}}
    doc["currency"] = "CNY"
    doc["some_future_field"] = {"nested": [1, 2]}
    loan = parse_event(raw(doc))
    assert loan.credit_score is None and loan.device_id is None and loan.purpose is None


@pytest.mark.parametrize(
    "change, code, fragment",
    [
        ({"amount": -5}, "out_of_range", "field 'amount': must be > 0, got -5"),
        ({"amount": 0}, "out_of_range", "must be > 0"),
        ({"amount": 10_000_000.01}, "out_of_range", "must be <= 10000000"),
        ({"amount": 1.234}, "bad_format", "at most 2 decimals"),
        ({"amount": 1e-09}, "bad_format", "at most 2 decimals"),  # within the cents tolerance of 0 (review 2026-12-07)
        ({"amount": 0.004}, "bad_format", "at most 2 decimals"),
        ({"amount": 3300.129}, "bad_format", "at most 2 decimals"),  # passed a tolerance growing with the amount
        ({"amount": 999999.999}, "bad_format", "at most 2 decimals"),
        ({"amount": "12"}, "wrong_type", "field 'amount': must be a number, got string"),
        ({"amount": True}, "wrong_type", "got boolean"),
        ({"amount": None}, "missing_field", "field 'amount': required"),
        ({"event_type": "refund"}, "unknown_event_type", "field 'event_type'"),
        ({"event_id": ""}, "bad_format", "field 'event_id'"),
        ({"event_id": "x" * 65}, "bad_format", "field 'event_id'"),
        ({"user_id": "bad id"}, "bad_format", "field 'user_id'"),
        ({"user_id": 5}, "wrong_type", "field 'user_id': must be a str"),
        ({"ts": "2026-03-01 10:02:11"}, "bad_format", "field 'ts'"),
        ({"ts": "2026-03-01T10:02:11"}, "bad_format", "with an offset"),
        ({"ts": "2026-02-30T10:02:11+08:00"}, "bad_format", "not a real date"),
        ({"ts": "yesterday"}, "bad_format", "field 'ts'"),
        ({"currency": "USD"}, "out_of_range", "field 'currency'"),
        ({"product": "mortgage"}, "out_of_range", "field 'product'"),
        ({"term_days": 0}, "out_of_range", "field 'term_days': must be 1-3650, got 0"),
        ({"term_days": 30.5}, "wrong_type", "field 'term_days': must be an integer"),
        ({"credit_limit": -1}, "out_of_range", "field 'credit_limit': must be >= 0"),
        ({"credit_score": 200}, "out_of_range", "field 'credit_score'"),
        ({"segment": "corporate"}, "out_of_range", "field 'segment'"),
        ({"channel": "phone"}, "out_of_range", "field 'channel'"),
        ({"purpose": "gambling"}, "out_of_range", "field 'purpose'"),
        ({"device_id": "d 1"}, "bad_format", "field 'device_id'"),
    ],
)
def test_loan_rule_violations_are_precise(change: dict, code: str, fragment: str) -> None:
    err = refused({**LOAN, **change})
    assert err.code == code
    assert fragment in err.message


@pytest.mark.parametrize(
    "change, code",
    [({"days_late": -1}, "out_of_range"), ({"days_late": "0"}, "wrong_type"), ({"outstanding": -3}, "out_of_range")],
)
def test_repayment_rule_violations(change: dict, code: str) -> None:
    assert refused({**REPAYMENT, **change}).code == code


def test_an_integer_past_64_bits_is_out_of_range_not_of_the_wrong_type() -> None:
    # orjson reads JSON integers from 2^64 up as floats; the producer sent an integer, too large.
    sent = orjson.dumps(REPAYMENT).replace(b'"days_late":0', b'"days_late":18446744073709551616')
    err = refused(sent)
    assert err.code == "out_of_range" and "1.84e+19" in err.message
    assert refused({**REPAYMENT, "days_late": 1.5}).code == "wrong_type"


@pytest.mark.parametrize("field", ["event_id", "user_id", "ts", "amount", "loan_id", "product", "term_days",
                                   "credit_limit", "segment", "channel", "event_type"])
def test_missing_required_loan_field(field: str) -> None:
    doc = {k: v for k, v in LOAN.items() if k != field}
    err = refused(doc)
    assert err.code == "missing_field" and f"'{field}'" in err.message


def test_non_json_and_non_objects() -> None:
    assert refused(b"not json {").code == "not_json"
    assert refused(b"\xff\xfe\x00").code in {"bad_encoding", "not_json"}
    assert refused(b"[1,2]").code == "not_object"
    assert refused(b'"text"').code == "not_object"
    assert refused(b'{"amount": NaN}').code == "not_json"  # NaN/Infinity are not JSON
    assert refused(b"[" * 5000 + b"]" * 5000).code == "not_json"  # too deep: refused, not a crash


def test_oversize_is_refused_before_parsing() -> None:
    err = refused(b'{"pad":"' + b"x" * 100_000 + b'"}')
    assert err.code == "too_large" and "100" in err.message


def test_merchant_id_is_optional_and_checked() -> None:
    """Contract v1.1: an optional merchant_id on loans; v1 messages stay valid."""
    assert parse_event(raw(LOAN)).merchant_id is None
    assert parse_event(raw({**LOAN, "channel": "merchant", "merchant_id": "m-77"})).merchant_id == "m-77"
    assert refused({**LOAN, "merchant_id": "bad id!"}).code == "bad_format"


ident = st.from_regex(r"[A-Za-z0-9_.:\-]{1,64}", fullmatch=True)
amounts = st.integers(min_value=1, max_value=1_000_000_000).map(lambda c: c / 100)
stamps = st.datetimes(
    min_value=__import__("datetime").datetime(2000, 1, 1), max_value=__import__("datetime").datetime(2100, 1, 1)
).map(lambda d: d.strftime("%Y-%m-%dT%H:%M:%S+08:00"))


@st.composite
def valid_loans(draw: st.DrawFn) -> dict:
    return {
        "event_id": draw(ident), "event_type": "loan", "user_id": draw(ident), "ts": draw(stamps),
        "amount": draw(amounts), "loan_id": draw(ident), "product": draw(st.sampled_from(PRODUCTS)),
        "term_days": draw(st.integers(1, 3650)), "credit_limit": draw(st.integers(0, 10**8)),
        "segment": draw(st.sampled_from(SEGMENTS)), "channel": draw(st.sampled_from(CHANNELS)),
    }


@given(valid_loans())
@settings(max_examples=300, deadline=None)
def test_every_valid_loan_parses_with_its_values(doc: dict) -> None:
    event = parse_event(raw(doc))
    assert event.amount == doc["amount"] and event.user_id == doc["user_id"] and event.ts_raw == doc["ts"]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@given(valid_loans(), st.sampled_from(sorted(LOAN)), json_values)
@settings(max_examples=400, deadline=None)
def test_any_field_mangled_is_valid_or_precisely_refused(doc: dict, field: str, value) -> None:
    doc = {**doc, field: value}
    try:
        parse_event(raw(doc))
    except InvalidEvent as exc:
        assert exc.code in REASON_CODES and exc.message


@given(st.binary(max_size=300))
@settings(max_examples=500, deadline=None)
def test_arbitrary_bytes_never_crash_the_parser(data: bytes) -> None:
    try:
        parse_event(data)
    except InvalidEvent as exc:
        assert exc.code in REASON_CODES


@given(st.integers(1, 1_000_000_000))
def test_every_amount_in_whole_cents_up_to_the_maximum_is_accepted(cents: int) -> None:
    """The decimals check against float rounding: any n / 100 the contract allows parses."""
    assert parse_event(orjson.dumps({**LOAN, "amount": cents / 100})).amount == cents / 100
