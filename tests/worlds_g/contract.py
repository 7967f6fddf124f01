"""Loan-event contract v1.1 rules, written from /work/shared/contracts/loan-events.md,
for checking family G output."""
import json
import re
from datetime import datetime, timedelta, timezone

ID = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
START = datetime(2026, 1, 5, tzinfo=timezone(timedelta(hours=8)))
PRODUCTS = {"cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge"}
SEGMENTS = {"individual", "small_business", "student"}
PURPOSES = {"consumption", "business", "education"}
CHANNELS = {"app", "web", "merchant", "partner"}


def _num(x):
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def _two_decimals(raw_amount_text):
    m = re.fullmatch(r"-?\d+(\.(\d+))?([eE][+-]?\d+)?", raw_amount_text)
    if not m or m.group(3):
        return False
    return m.group(2) is None or len(m.group(2)) <= 2


def parse_ts(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


def problems(line, days):
    """Rule violations of one JSONL line (empty list when valid)."""
    out = []
    try:
        e = json.loads(line)
    except ValueError:
        return ["not JSON"]
    if not isinstance(e, dict):
        return ["not an object"]

    def need(key, ok, why):
        if key not in e:
            out.append("missing " + key)
        elif not ok(e[key]):
            out.append("%s: %s (%r)" % (key, why, e[key]))

    def opt(key, ok, why):
        if key in e and not ok(e[key]):
            out.append("%s: %s (%r)" % (key, why, e[key]))

    idok = lambda v: isinstance(v, str) and bool(ID.match(v))
    need("event_id", idok, "bad id")
    need("user_id", idok, "bad id")
    need("loan_id", idok, "bad id")
    need("event_type", lambda v: v in ("loan", "repayment"), "bad type")
    need("ts", lambda v: isinstance(v, str) and bool(RFC3339.match(v)), "not RFC 3339 with offset")
    need("amount", lambda v: _num(v) and 0 < v <= 10_000_000, "out of range")
    if "amount" in e and _num(e["amount"]):
        raw = re.search(r'"amount"\s*:\s*([-0-9.eE+]+)', line).group(1)
        if not _two_decimals(raw):
            out.append("amount: more than 2 decimals (%s)" % raw)
    opt("currency", lambda v: v == "CNY", "not CNY")
    if "ts" in e and isinstance(e["ts"], str) and RFC3339.match(e["ts"]):
        t = parse_ts(e["ts"])
        if not START <= t < START + timedelta(days=days):
            out.append("ts outside the window: " + e["ts"])
    if e.get("event_type") == "loan":
        need("product", lambda v: v in PRODUCTS, "unknown product")
        need("term_days", lambda v: _int(v) and 1 <= v <= 3650, "out of range")
        need("credit_limit", lambda v: _num(v) and v >= 0, "negative or not a number")
        opt("credit_score", lambda v: _int(v) and 350 <= v <= 950, "out of range")
        need("segment", lambda v: v in SEGMENTS, "unknown segment")
        opt("purpose", lambda v: v in PURPOSES, "unknown purpose")
        need("channel", lambda v: v in CHANNELS, "unknown channel")
        opt("device_id", lambda v: isinstance(v, str) and 1 <= len(v) <= 64, "bad device id")
        opt("merchant_id", idok, "bad merchant id")
    elif e.get("event_type") == "repayment":
        need("days_late", lambda v: _int(v) and v >= 0, "negative or not an integer")
        opt("outstanding", lambda v: _num(v) and v >= 0, "negative or not a number")
    return out
