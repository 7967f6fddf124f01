"""A stand-alone reading of the loan-event contract v1.1, used by the tests.

Deliberately does not import the generator's own constants, so a mistake in
stream/worlds_i/contract.py cannot hide itself.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal

ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
TS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([+-]\d{2}:\d{2}|Z)$")
PRODUCTS = {"cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge"}
SEGMENTS = {"individual", "small_business", "student"}
PURPOSES = {"consumption", "business", "education"}
CHANNELS = {"app", "web", "merchant", "partner"}
COMMON = {"event_id", "event_type", "user_id", "ts", "amount", "currency", "loan_id"}
LOAN = COMMON | {"product", "term_days", "credit_limit", "credit_score", "segment", "purpose", "channel",
                 "device_id", "merchant_id"}
REPAYMENT = COMMON | {"days_late", "outstanding"}


def parse(line: str) -> dict:
    """Numbers with a fraction become Decimal so 'at most 2 decimals' can be checked exactly."""
    return json.loads(line, parse_float=Decimal)


def _num(v) -> bool:
    return isinstance(v, (int, Decimal)) and not isinstance(v, bool)


def _two_dp(v) -> bool:
    return isinstance(v, int) or v.as_tuple().exponent >= -2 or v == v.quantize(Decimal("0.01"))


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def problems(e: dict) -> list[str]:
    """Every way the event breaks the contract (empty list = valid)."""
    p: list[str] = []
    if not isinstance(e, dict):
        return ["not an object"]
    for k in ("event_id", "event_type", "user_id", "ts", "amount", "loan_id"):
        if k not in e:
            p.append(f"missing {k}")
    if p:
        return p
    for k in ("event_id", "user_id", "loan_id"):
        if not isinstance(e[k], str) or not ID.match(e[k]):
            p.append(f"bad {k}")
    if not isinstance(e["ts"], str) or not TS.match(e["ts"]):
        p.append("ts not RFC 3339 with offset")
    else:
        try:
            if datetime.fromisoformat(e["ts"].replace("Z", "+00:00")).utcoffset() is None:
                p.append("ts without offset")
        except ValueError:
            p.append("ts unparsable")
    a = e["amount"]
    if not _num(a) or not (0 < a <= 10_000_000) or not _two_dp(a):
        p.append("bad amount")
    if "currency" in e and e["currency"] != "CNY":
        p.append("bad currency")
    kind = e["event_type"]
    if kind == "loan":
        for k in ("product", "term_days", "credit_limit", "segment", "channel"):
            if k not in e:
                p.append(f"missing {k}")
        if p:
            return p
        if e["product"] not in PRODUCTS:
            p.append("bad product")
        if not _int(e["term_days"]) or not 1 <= e["term_days"] <= 3650:
            p.append("bad term_days")
        if not _num(e["credit_limit"]) or e["credit_limit"] < 0:
            p.append("bad credit_limit")
        if "credit_score" in e and (not _int(e["credit_score"]) or not 350 <= e["credit_score"] <= 950):
            p.append("bad credit_score")
        if e["segment"] not in SEGMENTS:
            p.append("bad segment")
        if "purpose" in e and e["purpose"] not in PURPOSES:
            p.append("bad purpose")
        if e["channel"] not in CHANNELS:
            p.append("bad channel")
        if "device_id" in e and (not isinstance(e["device_id"], str) or not 1 <= len(e["device_id"]) <= 64):
            p.append("bad device_id")
        if "merchant_id" in e:
            if not isinstance(e["merchant_id"], str) or not ID.match(e["merchant_id"]):
                p.append("bad merchant_id")
            if e["channel"] != "merchant":      # this generator's stricter rule
                p.append("merchant_id off a merchant-channel loan")
        extra = set(e) - LOAN
    elif kind == "repayment":
        if "days_late" not in e or not _int(e["days_late"]) or e["days_late"] < 0:
            p.append("bad days_late")
        if "outstanding" in e and (not _num(e["outstanding"]) or e["outstanding"] < 0
                                   or not _two_dp(e["outstanding"])):
            p.append("bad outstanding")
        extra = set(e) - REPAYMENT
    else:
        return p + ["bad event_type"]
    if extra:                                   # allowed by the contract, but we never send any
        p.append(f"unexpected fields {sorted(extra)}")
    return p
