"""Helpers for the family-L tests: a contract validator written from loan-events.md (v1.1) and a
cached generator."""
from __future__ import annotations

import datetime as dt
import functools
import json
import os
import re
import sys
from decimal import Decimal

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from stream.worlds_l.generate import generate, dumps  # noqa: E402

WORLD_NAMES = ("handset_upgrade", "premium_finance", "migrant_rent_deposit", "margin_call_wealth",
               "school_fee_term", "limit_reset_regulation", "tour_guide_season")
TYPOLOGIES = ("loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
              "limit_jump_drain", "overdue_escalation", "bust_out", "merchant_collusion")
WINDOW_START = dt.datetime(2026, 1, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))

ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PRODUCTS = {"cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge"}
SEGMENTS = {"individual", "small_business", "student"}
PURPOSES = {"consumption", "business", "education"}
CHANNELS = {"app", "web", "merchant", "partner"}
COMMON = {"event_id", "event_type", "user_id", "ts", "amount", "currency", "loan_id"}


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v):
    return isinstance(v, (int, float, Decimal)) and not isinstance(v, bool)


def _decimals_ok(v):
    d = v if isinstance(v, Decimal) else Decimal(repr(v))
    return d == d.quantize(Decimal("0.01"))


def parse_ts(s):
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


class StreamValidator:
    """Checks events one by one, in stream order, against the contract."""

    def __init__(self):
        self.seen_ids = set()
        self.loans = {}   # loan_id -> user_id

    def check(self, ev):
        errs = []
        if not isinstance(ev, dict):
            return ["not an object"]
        for f in ("event_id", "event_type", "user_id", "ts", "amount", "loan_id"):
            if f not in ev:
                errs.append("missing " + f)
        if errs:
            return errs
        for f in ("event_id", "user_id", "loan_id"):
            if not isinstance(ev[f], str) or not ID_RE.match(ev[f]):
                errs.append("bad " + f)
        if ev["event_id"] in self.seen_ids:
            errs.append("duplicate event_id")
        self.seen_ids.add(ev["event_id"])
        ts = ev["ts"]
        if not isinstance(ts, str) or not TS_RE.match(ts):
            errs.append("bad ts")
        else:
            try:
                parse_ts(ts)
            except ValueError:
                errs.append("bad ts value")
        a = ev["amount"]
        if not _is_num(a) or not (0 < a <= 10_000_000) or not _decimals_ok(a):
            errs.append("bad amount %r" % (a,))
        if "currency" in ev and ev["currency"] != "CNY":
            errs.append("bad currency")
        et = ev["event_type"]
        if et == "loan":
            if ev.get("product") not in PRODUCTS:
                errs.append("bad product")
            t = ev.get("term_days")
            if not _is_int(t) or not 1 <= t <= 3650:
                errs.append("bad term_days")
            cl = ev.get("credit_limit")
            if not _is_num(cl) or cl < 0:
                errs.append("bad credit_limit")
            if "credit_score" in ev:
                cs = ev["credit_score"]
                if not _is_int(cs) or not 350 <= cs <= 950:
                    errs.append("bad credit_score")
            if ev.get("segment") not in SEGMENTS:
                errs.append("bad segment")
            if "purpose" in ev and ev["purpose"] not in PURPOSES:
                errs.append("bad purpose")
            if ev.get("channel") not in CHANNELS:
                errs.append("bad channel")
            if "device_id" in ev:
                d = ev["device_id"]
                if not isinstance(d, str) or not 1 <= len(d) <= 64:
                    errs.append("bad device_id")
            if "merchant_id" in ev:
                m = ev["merchant_id"]
                if not isinstance(m, str) or not ID_RE.match(m):
                    errs.append("bad merchant_id")
            if not errs:
                self.loans[ev["loan_id"]] = ev["user_id"]
        elif et == "repayment":
            dl = ev.get("days_late")
            if not _is_int(dl) or dl < 0:
                errs.append("bad days_late")
            if "outstanding" in ev:
                o = ev["outstanding"]
                if not _is_num(o) or o < 0:
                    errs.append("bad outstanding")
            if self.loans.get(ev["loan_id"]) != ev["user_id"]:
                errs.append("repayment of an unknown / other user's loan")
        else:
            errs.append("bad event_type")
        return errs


@functools.lru_cache(maxsize=None)
def gen(world, seed=1, users=300, history_days=45, test_days=14):
    return generate(world, seed, users, history_days, test_days)


def gen_bytes(world, seed=1, users=300, history_days=45, test_days=14):
    ev, lab, _ = generate(world, seed, users, history_days, test_days)
    return ("".join(dumps(e) + "\n" for e in ev)).encode(), ("".join(dumps(x) + "\n" for x in lab)).encode()


def day_index(ts):
    return (parse_ts(ts) - WINDOW_START).days


def loads_exact(line):
    return json.loads(line, parse_float=Decimal)
