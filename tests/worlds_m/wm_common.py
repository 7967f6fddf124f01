"""Helpers for family M tests: a contract v1.1 validator written from the contract, cached generation."""
import functools
import re
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from stream.worlds_m.generate import generate  # noqa: E402
from stream.worlds_m.worlds import WORLDS  # noqa: E402

WORLD_NAMES = sorted(WORLDS)
TYPOLOGIES = ("loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
              "limit_jump_drain", "overdue_escalation", "straw_borrower", "repayment_kiting")
ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
START = datetime(2026, 1, 5, tzinfo=timezone(timedelta(hours=8)))
PRODUCTS = {"cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge"}
SEGMENTS = {"individual", "small_business", "student"}
PURPOSES = {"consumption", "business", "education"}
CHANNELS = {"app", "web", "merchant", "partner"}


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def parse_ts(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def event_errors(e):
    """Every rule of the contract that event `e` breaks (empty list = valid)."""
    err = []
    for f in ("event_id", "user_id", "loan_id"):
        if not (isinstance(e.get(f), str) and ID_RE.match(e[f])):
            err.append("bad " + f)
    if e.get("event_type") not in ("loan", "repayment"):
        err.append("bad event_type")
    ts = e.get("ts")
    if not (isinstance(ts, str) and TS_RE.match(ts)):
        err.append("bad ts")
    else:
        try:
            parse_ts(ts)
        except ValueError:
            err.append("bad ts value")
    a = e.get("amount")
    if not is_num(a) or not 0 < a <= 10_000_000 or Decimal(repr(a)).as_tuple().exponent < -2:
        err.append("bad amount %r" % (a,))
    if "currency" in e and e["currency"] != "CNY":
        err.append("bad currency")
    if e.get("event_type") == "loan":
        if e.get("product") not in PRODUCTS:
            err.append("bad product")
        if not (is_int(e.get("term_days")) and 1 <= e["term_days"] <= 3650):
            err.append("bad term_days")
        if not (is_num(e.get("credit_limit")) and e["credit_limit"] >= 0):
            err.append("bad credit_limit")
        if "credit_score" in e and not (is_int(e["credit_score"]) and 350 <= e["credit_score"] <= 950):
            err.append("bad credit_score")
        if e.get("segment") not in SEGMENTS:
            err.append("bad segment")
        if "purpose" in e and e["purpose"] not in PURPOSES:
            err.append("bad purpose")
        if e.get("channel") not in CHANNELS:
            err.append("bad channel")
        if "device_id" in e and not (isinstance(e["device_id"], str) and 1 <= len(e["device_id"]) <= 64):
            err.append("bad device_id")
        if "merchant_id" in e and not (isinstance(e["merchant_id"], str) and ID_RE.match(e["merchant_id"])):
            err.append("bad merchant_id")
    elif e.get("event_type") == "repayment":
        if not (is_int(e.get("days_late")) and e["days_late"] >= 0):
            err.append("bad days_late")
        if "outstanding" in e and not (is_num(e["outstanding"]) and e["outstanding"] >= 0):
            err.append("bad outstanding")
    return err


def stream_errors(events, labels, history_days, test_days):
    """Stream-level checks: validity, unique ids, order, window, offsets, loan references, labels."""
    err = []
    end = START + timedelta(days=history_days + test_days)
    seen, loans, prev = set(), {}, None
    if len(events) != len(labels):
        err.append("labels not aligned: %d vs %d" % (len(events), len(labels)))
    for i, e in enumerate(events):
        for x in event_errors(e):
            err.append("%s: %s" % (e.get("event_id"), x))
        if e["event_id"] in seen:
            err.append("duplicate id " + e["event_id"])
        seen.add(e["event_id"])
        if not e["ts"].endswith("+08:00"):
            err.append("offset " + e["ts"])
        t = parse_ts(e["ts"])
        if not START <= t < end:
            err.append("outside window " + e["ts"])
        if prev is not None and t < prev:
            err.append("not sorted at %d" % i)
        prev = t
        if e["event_type"] == "loan":
            if e["loan_id"] in loans:
                err.append("loan id reused " + e["loan_id"])
            loans[e["loan_id"]] = (e["user_id"], t)
        else:
            ref = loans.get(e["loan_id"])
            if ref is None or ref[0] != e["user_id"] or ref[1] > t:
                err.append("repayment without prior loan of same user " + e["event_id"])
        if i < len(labels):
            lb = labels[i]
            if lb.get("event_id") != e["event_id"] or lb.get("label") not in (0, 1) or \
                    not isinstance(lb.get("user_anomalous"), bool):
                err.append("bad label row %d" % i)
            elif (lb["label"] == 1) != (lb["scenario"] != "normal") or \
                    lb["scenario"] not in ("normal",) + TYPOLOGIES:
                err.append("label/scenario mismatch %d" % i)
            elif lb["label"] == 1 and not lb["user_anomalous"]:
                err.append("labelled event of a normal user %d" % i)
        if len(err) > 20:
            break
    return err


@functools.lru_cache(maxsize=None)
def gen(world, seed=1, users=300, history_days=45, test_days=14):
    return generate(world, seed, users, history_days, test_days)


def day_of(e):
    return (parse_ts(e["ts"]) - START).days
