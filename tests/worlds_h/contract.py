"""A small, independent validator for the loan-events contract v1.1, as read by family H.

Written from /work/shared/contracts/loan-events.md only, so the generator's
output is checked against the contract text rather than against itself.
"""
from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal
from typing import Any

ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PRODUCTS = {"cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge"}
SEGMENTS = {"individual", "small_business", "student"}
PURPOSES = {"consumption", "business", "education"}
CHANNELS = {"app", "web", "merchant", "partner"}


def parse(line: str) -> dict:
    """JSON with exact decimals, so "at most 2 decimals" can be checked on the text."""
    return json.loads(line, parse_float=Decimal)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, Decimal)) and not isinstance(v, bool)


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _decimals(v: Any) -> int:
    if isinstance(v, int):
        return 0
    exp = v.as_tuple().exponent
    return max(0, -exp) if isinstance(exp, int) else 99


def parse_ts(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def errors(ev: Any) -> list[str]:
    """Every rule of the contract this message breaks (empty list: valid)."""
    errs: list[str] = []
    if not isinstance(ev, dict):
        return ["not an object"]
    for f in ("event_id", "event_type", "user_id", "ts", "amount", "loan_id"):
        if f not in ev:
            errs.append(f"missing {f}")
    if errs:
        return errs
    for f in ("event_id", "user_id", "loan_id"):
        if not isinstance(ev[f], str) or not ID_RE.match(ev[f]):
            errs.append(f"bad {f}: {ev[f]!r}")
    ts = ev["ts"]
    if not isinstance(ts, str) or not TS_RE.match(ts):
        errs.append(f"bad ts {ts!r}")
    else:
        try:
            if parse_ts(ts).utcoffset() is None:
                errs.append("ts without offset")
        except ValueError:
            errs.append(f"unparseable ts {ts!r}")
    amt = ev["amount"]
    if not _is_number(amt) or not (0 < amt <= 10_000_000) or _decimals(amt) > 2:
        errs.append(f"bad amount {amt!r}")
    if "currency" in ev and ev["currency"] != "CNY":
        errs.append(f"bad currency {ev['currency']!r}")
    et = ev["event_type"]
    if et == "loan":
        for f in ("product", "term_days", "credit_limit", "segment", "channel"):
            if f not in ev:
                errs.append(f"missing {f}")
        if errs:
            return errs
        if ev["product"] not in PRODUCTS:
            errs.append(f"bad product {ev['product']!r}")
        if not _is_int(ev["term_days"]) or not 1 <= ev["term_days"] <= 3650:
            errs.append(f"bad term_days {ev['term_days']!r}")
        if not _is_number(ev["credit_limit"]) or ev["credit_limit"] < 0:
            errs.append(f"bad credit_limit {ev['credit_limit']!r}")
        if "credit_score" in ev and (not _is_int(ev["credit_score"]) or not 350 <= ev["credit_score"] <= 950):
            errs.append(f"bad credit_score {ev['credit_score']!r}")
        if ev["segment"] not in SEGMENTS:
            errs.append(f"bad segment {ev['segment']!r}")
        if "purpose" in ev and ev["purpose"] not in PURPOSES:
            errs.append(f"bad purpose {ev['purpose']!r}")
        if ev["channel"] not in CHANNELS:
            errs.append(f"bad channel {ev['channel']!r}")
        if "device_id" in ev and (not isinstance(ev["device_id"], str) or not 1 <= len(ev["device_id"]) <= 64):
            errs.append(f"bad device_id {ev['device_id']!r}")
        if "merchant_id" in ev and (not isinstance(ev["merchant_id"], str) or not ID_RE.match(ev["merchant_id"])):
            errs.append(f"bad merchant_id {ev['merchant_id']!r}")
    elif et == "repayment":
        if "days_late" not in ev:
            errs.append("missing days_late")
        elif not _is_int(ev["days_late"]) or ev["days_late"] < 0:
            errs.append(f"bad days_late {ev['days_late']!r}")
        if "outstanding" in ev and (not _is_number(ev["outstanding"]) or ev["outstanding"] < 0):
            errs.append(f"bad outstanding {ev['outstanding']!r}")
    else:
        errs.append(f"bad event_type {et!r}")
    return errs
