"""A small, independent check of the loan event contract v1.1 (/work/shared/contracts/loan-events.md).

Written from the contract's field tables, not from the monitor's parser, so
the generator is checked against the agreed shape rather than one reading of it.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PRODUCTS = {"cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge"}
SEGMENTS = {"individual", "small_business", "student"}
PURPOSES = {"consumption", "business", "education"}
CHANNELS = {"app", "web", "merchant", "partner"}


def _number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _integer(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def contract_errors(ev: dict[str, Any]) -> list[str]:
    """Every rule of the contract the event breaks (empty when valid)."""
    errs: list[str] = []
    for key in ("event_id", "user_id", "loan_id"):
        if not isinstance(ev.get(key), str) or not ID.match(ev[key]):
            errs.append(key)
    if ev.get("event_type") not in ("loan", "repayment"):
        errs.append("event_type")
    ts = ev.get("ts")
    if not isinstance(ts, str) or not RFC3339.match(ts):
        errs.append("ts")
    else:
        datetime.fromisoformat(ts.replace("Z", "+00:00"))
    amount = ev.get("amount")
    if not _number(amount) or not 0 < amount <= 10_000_000 or round(amount, 2) != amount:
        errs.append("amount")
    if "currency" in ev and ev["currency"] != "CNY":
        errs.append("currency")
    if ev.get("event_type") == "loan":
        if ev.get("product") not in PRODUCTS:
            errs.append("product")
        if not _integer(ev.get("term_days")) or not 1 <= ev["term_days"] <= 3650:
            errs.append("term_days")
        if not _number(ev.get("credit_limit")) or ev["credit_limit"] < 0:
            errs.append("credit_limit")
        if "credit_score" in ev and (not _integer(ev["credit_score"]) or not 350 <= ev["credit_score"] <= 950):
            errs.append("credit_score")
        if ev.get("segment") not in SEGMENTS:
            errs.append("segment")
        if "purpose" in ev and ev["purpose"] not in PURPOSES:
            errs.append("purpose")
        if ev.get("channel") not in CHANNELS:
            errs.append("channel")
        if "device_id" in ev and (not isinstance(ev["device_id"], str) or not 1 <= len(ev["device_id"]) <= 64):
            errs.append("device_id")
        if "merchant_id" in ev and (not isinstance(ev["merchant_id"], str) or not ID.match(ev["merchant_id"])):
            errs.append("merchant_id")
    elif ev.get("event_type") == "repayment":
        if not _integer(ev.get("days_late")) or ev["days_late"] < 0:
            errs.append("days_late")
        if "outstanding" in ev and (not _number(ev["outstanding"]) or ev["outstanding"] < 0):
            errs.append("outstanding")
    return errs
