"""Shared helpers for the family-K generator tests (loaded by path, not as a package).

The validator below is written from the event contract (loan-events v1.1) only.
"""
from __future__ import annotations

import json
import math
import os
import re
import tempfile
from datetime import datetime, timedelta, timezone
from functools import lru_cache

ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
PRODUCTS = {"cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge"}
SEGMENTS = {"individual", "small_business", "student"}
PURPOSES = {"consumption", "business", "education"}
CHANNELS = {"app", "web", "merchant", "partner"}
START = datetime(2026, 1, 5, tzinfo=timezone(timedelta(hours=8)))
DAY = 86400
OWN_TYPOLOGIES = {"nominee_borrowing", "strategic_default_pact"}
SHARED_TYPOLOGIES = {"loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
                     "limit_jump_drain", "overdue_escalation"}
FORBIDDEN_NAMES = {
    "circular_repayment", "merchant_cashout_ring", "merchant_cashout", "merchant_cash_out",
    "merchant_collusion", "product_switch_max_term", "shared_device_ring", "device_ring",
    "device_mule_ring", "rapid_cycling", "business_masquerade", "bust_out", "dormant_max_term",
    "limit_probing", "promo_farming", "promo_loop_arbitrage", "score_slide_borrowing",
    "synthetic_id_ring", "synthetic_identity_farm", "threshold_structuring", "token_repayment"}
TEST_USERS = 500


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x)


def _is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _two_decimals(x) -> bool:
    if isinstance(x, int):
        return True
    text = repr(x)
    if "e" in text or "E" in text:
        return abs(round(x, 2) - x) < 1e-9
    return len(text.split(".")[1]) <= 2 if "." in text else True


def validate(ev) -> list[str]:
    """Every rule of the contract that one event can break; [] when valid."""
    errs = []
    if not isinstance(ev, dict):
        return ["not an object"]
    for f in ("event_id", "user_id", "loan_id"):
        v = ev.get(f)
        if not isinstance(v, str) or not ID_RE.match(v):
            errs.append(f"bad {f}: {v!r}")
    et = ev.get("event_type")
    if et not in ("loan", "repayment"):
        errs.append(f"bad event_type: {et!r}")
    ts = ev.get("ts")
    if not isinstance(ts, str) or not TS_RE.match(ts):
        errs.append(f"bad ts: {ts!r}")
    else:
        try:
            datetime.fromisoformat(ts.replace("Z", "+00:00"))
        except ValueError:
            errs.append(f"unparseable ts: {ts!r}")
    amt = ev.get("amount")
    if not _is_number(amt) or not (0 < amt <= 10_000_000) or not _two_decimals(amt):
        errs.append(f"bad amount: {amt!r}")
    if "currency" in ev and ev["currency"] != "CNY":
        errs.append(f"bad currency: {ev['currency']!r}")
    if et == "loan":
        if ev.get("product") not in PRODUCTS:
            errs.append(f"bad product: {ev.get('product')!r}")
        td = ev.get("term_days")
        if not _is_int(td) or not (1 <= td <= 3650):
            errs.append(f"bad term_days: {td!r}")
        cl = ev.get("credit_limit")
        if not _is_number(cl) or cl < 0:
            errs.append(f"bad credit_limit: {cl!r}")
        if "credit_score" in ev:
            cs = ev["credit_score"]
            if not _is_int(cs) or not (350 <= cs <= 950):
                errs.append(f"bad credit_score: {cs!r}")
        if ev.get("segment") not in SEGMENTS:
            errs.append(f"bad segment: {ev.get('segment')!r}")
        if "purpose" in ev and ev["purpose"] not in PURPOSES:
            errs.append(f"bad purpose: {ev['purpose']!r}")
        if ev.get("channel") not in CHANNELS:
            errs.append(f"bad channel: {ev.get('channel')!r}")
        if "device_id" in ev:
            d = ev["device_id"]
            if not isinstance(d, str) or not (1 <= len(d) <= 64):
                errs.append(f"bad device_id: {d!r}")
        if "merchant_id" in ev:
            m = ev["merchant_id"]
            if not isinstance(m, str) or not ID_RE.match(m):
                errs.append(f"bad merchant_id: {m!r}")
    elif et == "repayment":
        dl = ev.get("days_late")
        if not _is_int(dl) or dl < 0:
            errs.append(f"bad days_late: {dl!r}")
        if "outstanding" in ev:
            o = ev["outstanding"]
            if not _is_number(o) or o < 0:
                errs.append(f"bad outstanding: {o!r}")
    return errs


def epoch(ts: str) -> float:
    return datetime.fromisoformat(ts).timestamp()


def worlds():
    from stream.worlds_k.registry import WORLDS
    return list(WORLDS)


@lru_cache(maxsize=None)
def run(world: str, seed: int = 1, users: int = TEST_USERS, history: int = 45, test: int = 14):
    """Generate, write JSONL the way the CLI does, read it back. Cached per session."""
    from stream.worlds_k.generate import generate, write_jsonl
    events, labels, info = generate(world, seed, users, history, test)
    with tempfile.TemporaryDirectory() as tmp:
        ep, lp = os.path.join(tmp, "e.jsonl"), os.path.join(tmp, "l.jsonl")
        write_jsonl(ep, events)
        write_jsonl(lp, labels)
        with open(ep, encoding="utf-8") as fh:
            ev_lines = fh.read().splitlines()
        with open(lp, encoding="utf-8") as fh:
            lb_lines = fh.read().splitlines()
    return ev_lines, lb_lines, info


@lru_cache(maxsize=None)
def _parsed(world, seed, users, history, test):
    ev_lines, lb_lines, info = run(world, seed, users, history, test)
    return [json.loads(x) for x in ev_lines], [json.loads(x) for x in lb_lines], info


def parsed(world: str, seed: int = 1, users: int = TEST_USERS, history: int = 45, test: int = 14):
    """(events, labels, info) as dicts; shared across tests, so do not mutate them."""
    return _parsed(world, seed, users, history, test)
