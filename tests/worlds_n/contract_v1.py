"""An independent validator for the loan-event contract v1.1 (input side).

Written from ``/work/shared/contracts/loan-events.md`` only.
``errors(event)`` returns a list of human-readable rule violations (empty if
the event is valid).
"""
from __future__ import annotations

import math
import re
from datetime import datetime
from decimal import Decimal

ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

EVENT_TYPES = {"loan", "repayment"}
PRODUCTS = {"cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge"}
SEGMENTS = {"individual", "small_business", "student"}
PURPOSES = {"consumption", "business", "education"}
CHANNELS = {"app", "web", "merchant", "partner"}

COMMON = ("event_id", "event_type", "user_id", "ts", "amount", "loan_id")
LOAN_REQUIRED = ("product", "term_days", "credit_limit", "segment", "channel")
LOAN_OPTIONAL = ("credit_score", "purpose", "device_id", "merchant_id")
REPAYMENT_REQUIRED = ("days_late",)
REPAYMENT_OPTIONAL = ("outstanding",)
KNOWN = set(COMMON) | {"currency"} | set(LOAN_REQUIRED) | set(LOAN_OPTIONAL) | set(REPAYMENT_REQUIRED) \
    | set(REPAYMENT_OPTIONAL)


def is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def at_most_2_decimals(x) -> bool:
    d = Decimal(repr(x)) if isinstance(x, float) else Decimal(x)
    return d == d.quantize(Decimal("0.01"))


def parse_ts(s: str):
    if not isinstance(s, str) or not TS_RE.match(s):
        return None
    try:
        dt = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is None:
        return None
    return dt


def errors(e) -> list:
    out = []
    if not isinstance(e, dict):
        return ["event is not an object"]
    for f in COMMON:
        if f not in e:
            out.append("missing %s" % f)
    if out:
        return out
    for f in ("event_id", "user_id", "loan_id"):
        if not isinstance(e[f], str) or not ID_RE.match(e[f]):
            out.append("bad %s %r" % (f, e[f]))
    if e["event_type"] not in EVENT_TYPES:
        out.append("bad event_type %r" % (e["event_type"],))
    if parse_ts(e["ts"]) is None:
        out.append("bad ts %r" % (e["ts"],))
    a = e["amount"]
    if not is_number(a) or not (0 < a <= 10_000_000) or not at_most_2_decimals(a):
        out.append("bad amount %r" % (a,))
    if "currency" in e and e["currency"] != "CNY":
        out.append("bad currency %r" % (e["currency"],))
    if e.get("event_type") == "loan":
        for f in LOAN_REQUIRED:
            if f not in e:
                out.append("missing %s" % f)
        if out:
            return out
        if e["product"] not in PRODUCTS:
            out.append("bad product")
        if not is_int(e["term_days"]) or not (1 <= e["term_days"] <= 3650):
            out.append("bad term_days %r" % (e["term_days"],))
        if not is_number(e["credit_limit"]) or e["credit_limit"] < 0:
            out.append("bad credit_limit %r" % (e["credit_limit"],))
        if "credit_score" in e and (not is_int(e["credit_score"]) or not (350 <= e["credit_score"] <= 950)):
            out.append("bad credit_score %r" % (e["credit_score"],))
        if e["segment"] not in SEGMENTS:
            out.append("bad segment")
        if "purpose" in e and e["purpose"] not in PURPOSES:
            out.append("bad purpose")
        if e["channel"] not in CHANNELS:
            out.append("bad channel")
        if "device_id" in e and (not isinstance(e["device_id"], str) or not (1 <= len(e["device_id"]) <= 64)):
            out.append("bad device_id")
        if "merchant_id" in e and (not isinstance(e["merchant_id"], str) or not ID_RE.match(e["merchant_id"])):
            out.append("bad merchant_id")
        for f in REPAYMENT_REQUIRED + REPAYMENT_OPTIONAL:
            if f in e:
                out.append("repayment field %s on a loan" % f)
    elif e.get("event_type") == "repayment":
        if "days_late" not in e:
            return out + ["missing days_late"]
        if not is_int(e["days_late"]) or e["days_late"] < 0:
            out.append("bad days_late %r" % (e["days_late"],))
        if "outstanding" in e and (not is_number(e["outstanding"]) or e["outstanding"] < 0):
            out.append("bad outstanding %r" % (e["outstanding"],))
        for f in LOAN_REQUIRED + LOAN_OPTIONAL:
            if f in e:
                out.append("loan field %s on a repayment" % f)
    return out
