"""A small, independent checker of the loan-event contract (v1.1), written from
the contract text only. ``problems(event)`` returns a list of rule violations."""
from __future__ import annotations

import re
from datetime import datetime

ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
# RFC 3339 date-time with a mandatory offset (Z or +hh:mm / -hh:mm)
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")

COMMON = {"event_id", "event_type", "user_id", "ts", "amount", "loan_id"}
LOAN_REQUIRED = {"product", "term_days", "credit_limit", "segment", "channel"}
REPAY_REQUIRED = {"days_late"}
PRODUCTS = {"cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge"}
SEGMENTS = {"individual", "small_business", "student"}
PURPOSES = {"consumption", "business", "education"}
CHANNELS = {"app", "web", "merchant", "partner"}


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _two_decimals(v):
    return abs(round(v * 100) - v * 100) < 1e-6


def parse_ts(s: str) -> datetime:
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def problems(ev: dict) -> list:
    out = []
    for f in COMMON:
        if f not in ev:
            out.append(f"missing {f}")
    if out:
        return out
    for f in ("event_id", "user_id", "loan_id"):
        if not isinstance(ev[f], str) or not ID_RE.match(ev[f]):
            out.append(f"bad {f}")
    et = ev["event_type"]
    if et not in ("loan", "repayment"):
        out.append("bad event_type")
    ts = ev["ts"]
    if not isinstance(ts, str) or not TS_RE.match(ts):
        out.append("bad ts format")
    else:
        try:
            parse_ts(ts)
        except ValueError:
            out.append("bad ts value")
    a = ev["amount"]
    if not _is_num(a) or not (0 < a <= 10_000_000) or not _two_decimals(a):
        out.append("bad amount")
    if "currency" in ev and ev["currency"] != "CNY":
        out.append("bad currency")
    if et == "loan":
        for f in LOAN_REQUIRED:
            if f not in ev:
                out.append(f"missing {f}")
        if out:
            return out
        if ev["product"] not in PRODUCTS:
            out.append("bad product")
        if not _is_int(ev["term_days"]) or not 1 <= ev["term_days"] <= 3650:
            out.append("bad term_days")
        if not _is_num(ev["credit_limit"]) or ev["credit_limit"] < 0:
            out.append("bad credit_limit")
        if "credit_score" in ev and (not _is_int(ev["credit_score"])
                                     or not 350 <= ev["credit_score"] <= 950):
            out.append("bad credit_score")
        if ev["segment"] not in SEGMENTS:
            out.append("bad segment")
        if "purpose" in ev and ev["purpose"] not in PURPOSES:
            out.append("bad purpose")
        if ev["channel"] not in CHANNELS:
            out.append("bad channel")
        if "device_id" in ev and (not isinstance(ev["device_id"], str)
                                  or not 1 <= len(ev["device_id"]) <= 64):
            out.append("bad device_id")
        if "merchant_id" in ev and (not isinstance(ev["merchant_id"], str)
                                    or not ID_RE.match(ev["merchant_id"])):
            out.append("bad merchant_id")
        for f in REPAY_REQUIRED | {"outstanding"}:
            if f in ev:
                out.append(f"repayment field {f} on a loan")
    elif et == "repayment":
        if "days_late" not in ev:
            return out + ["missing days_late"]
        if not _is_int(ev["days_late"]) or ev["days_late"] < 0:
            out.append("bad days_late")
        if "outstanding" in ev and (not _is_num(ev["outstanding"]) or ev["outstanding"] < 0):
            out.append("bad outstanding")
        for f in LOAN_REQUIRED:
            if f in ev:
                out.append(f"loan field {f} on a repayment")
    return out
