"""An independent validator for the loan-event contract (version 1.1).

Written from the contract text only: common fields, the loan and repayment fields,
their types, enums and ranges, and event-id uniqueness within a stream.  Strict
where the contract is silent on a corner: a present optional field must be
well-formed (no nulls), integers must be JSON integers, and merchant_id appears
only on merchant-channel loans.
"""
from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal
from typing import Iterable

ID = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
PRODUCTS = {"cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge"}
SEGMENTS = {"individual", "small_business", "student"}
PURPOSES = {"consumption", "business", "education"}
CHANNELS = {"app", "web", "merchant", "partner"}
COMMON = {"event_id", "event_type", "user_id", "ts", "amount", "currency", "loan_id"}
LOAN = {"product", "term_days", "credit_limit", "credit_score", "segment", "purpose", "channel",
        "device_id", "merchant_id"}
REPAYMENT = {"days_late", "outstanding"}


def is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def is_id(value: object) -> bool:
    return isinstance(value, str) and ID.fullmatch(value) is not None


def two_decimals(value: float) -> bool:
    return Decimal(repr(value)).as_tuple().exponent >= -2


def timestamp_ok(value: object) -> bool:
    if not isinstance(value, str) or not RFC3339.fullmatch(value):
        return False
    try:
        return datetime.fromisoformat(value.replace("z", "Z")).tzinfo is not None
    except ValueError:
        return False


def problems(ev: object, strict_fields: bool = False) -> list[str]:
    """Everything wrong with one event (an empty list means valid)."""
    if not isinstance(ev, dict):
        return ["not an object"]
    out: list[str] = []
    for key in ("event_id", "user_id", "loan_id"):
        if not is_id(ev.get(key)):
            out.append(f"{key} missing or not 1-64 chars of the id alphabet")
    kind = ev.get("event_type")
    if kind not in ("loan", "repayment"):
        out.append("event_type must be loan or repayment")
    if not timestamp_ok(ev.get("ts")):
        out.append("ts is not RFC 3339 with an offset")
    amount = ev.get("amount")
    if not is_number(amount) or not 0 < amount <= 10_000_000 or not two_decimals(amount):
        out.append("amount must be a number in (0, 10000000] with at most 2 decimals")
    if "currency" in ev and ev["currency"] != "CNY":
        out.append("currency must be CNY")
    if kind == "loan":
        out += loan_problems(ev)
    elif kind == "repayment":
        out += repayment_problems(ev)
    if strict_fields and kind in ("loan", "repayment"):
        extra = set(ev) - COMMON - (LOAN if kind == "loan" else REPAYMENT)
        if extra:
            out.append(f"unexpected fields {sorted(extra)}")
    return out


def loan_problems(ev: dict) -> list[str]:
    out = []
    if ev.get("product") not in PRODUCTS:
        out.append("product not in the enum")
    term = ev.get("term_days")
    if not is_int(term) or not 1 <= term <= 3650:
        out.append("term_days must be an integer 1-3650")
    limit = ev.get("credit_limit")
    if not is_number(limit) or limit < 0:
        out.append("credit_limit must be a number >= 0")
    if "credit_score" in ev and (not is_int(ev["credit_score"]) or not 350 <= ev["credit_score"] <= 950):
        out.append("credit_score must be an integer 350-950")
    if ev.get("segment") not in SEGMENTS:
        out.append("segment not in the enum")
    if "purpose" in ev and ev["purpose"] not in PURPOSES:
        out.append("purpose not in the enum")
    if ev.get("channel") not in CHANNELS:
        out.append("channel not in the enum")
    if "device_id" in ev and (not isinstance(ev["device_id"], str) or not 1 <= len(ev["device_id"]) <= 64):
        out.append("device_id must be a 1-64 char string")
    if "merchant_id" in ev:
        if not is_id(ev["merchant_id"]):
            out.append("merchant_id must be 1-64 chars of the id alphabet")
        if ev.get("channel") != "merchant":
            out.append("merchant_id on a non-merchant channel")
    return out


def repayment_problems(ev: dict) -> list[str]:
    out = []
    late = ev.get("days_late")
    if not is_int(late) or late < 0:
        out.append("days_late must be an integer >= 0")
    if "outstanding" in ev and (not is_number(ev["outstanding"]) or ev["outstanding"] < 0):
        out.append("outstanding must be a number >= 0")
    return out


def stream_problems(events: Iterable[dict], strict_fields: bool = True) -> list[str]:
    """Problems of every event plus duplicate event ids, each prefixed by position."""
    out, seen = [], set()
    for i, ev in enumerate(events):
        out += [f"#{i}: {p}" for p in problems(ev, strict_fields)]
        eid = ev.get("event_id") if isinstance(ev, dict) else None
        if eid in seen:
            out.append(f"#{i}: duplicate event_id {eid}")
        seen.add(eid)
    return out
