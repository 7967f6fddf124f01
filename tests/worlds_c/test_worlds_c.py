"""Tests for stream.worlds_c (family C of held-out lender worlds).

The contract checks below are written from /work/shared/contracts/loan-events.md only.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

import pytest

from stream.worlds_c import gen
from stream.worlds_c.typologies import TYPOLOGIES
from stream.worlds_c.worlds import WORLDS

ROOT = Path(__file__).resolve().parents[2]
ID_RE = re.compile(r"^[A-Za-z0-9_.:\-]{1,64}$")
TS_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")
START = datetime(2026, 1, 5, tzinfo=timezone(timedelta(hours=8)))
PRODUCTS = {"cash_loan", "credit_line", "installment", "merchant_loan", "wealth_pledge"}
SEGMENTS = {"individual", "small_business", "student"}
PURPOSES = {"consumption", "business", "education"}
CHANNELS = {"app", "web", "merchant", "partner"}
COMMON_REQ = {"event_id", "event_type", "user_id", "ts", "amount", "loan_id"}
LOAN_REQ = COMMON_REQ | {"product", "term_days", "credit_limit", "segment", "channel"}
REPAY_REQ = COMMON_REQ | {"days_late"}

SMALL = dict(seed=3, users=250, history_days=20, test_days=7)
MODERATE = dict(seed=2, users=1000, history_days=30, test_days=10)


@lru_cache(maxsize=None)
def stream(world, seed, users, history_days, test_days):
    events, labels, info = gen.generate(world, seed, users, history_days, test_days)
    raw = b"".join(gen.orjson.dumps(e) + b"\n" for e in events)
    lab = b"".join(gen.orjson.dumps(l) + b"\n" for l in labels)
    return raw, lab, info


def parse(raw):
    return [json.loads(line, parse_float=Decimal) for line in raw.decode().splitlines()]


def is_num(x):
    return isinstance(x, (int, Decimal)) and not isinstance(x, bool)


def two_decimals(x):
    return isinstance(x, int) or x.as_tuple().exponent >= -2 or x == x.quantize(Decimal("0.01"))


def check_event(e):
    """Return a list of contract violations of one event (empty when valid)."""
    bad = []
    req = LOAN_REQ if e.get("event_type") == "loan" else REPAY_REQ
    if e.get("event_type") not in ("loan", "repayment"):
        return ["event_type"]
    for f in req:
        if f not in e or e[f] is None:
            bad.append("missing " + f)
    if bad:
        return bad
    for f in ("event_id", "user_id", "loan_id"):
        if not isinstance(e[f], str) or not ID_RE.match(e[f]):
            bad.append(f)
    if not isinstance(e["ts"], str) or not TS_RE.match(e["ts"]):
        bad.append("ts")
    else:
        datetime.fromisoformat(e["ts"])
    a = e["amount"]
    if not is_num(a) or not (0 < a <= 10_000_000) or not two_decimals(a):
        bad.append("amount")
    if "currency" in e and e["currency"] != "CNY":
        bad.append("currency")
    if e["event_type"] == "loan":
        if e["product"] not in PRODUCTS:
            bad.append("product")
        if not isinstance(e["term_days"], int) or isinstance(e["term_days"], bool) or not 1 <= e["term_days"] <= 3650:
            bad.append("term_days")
        if not is_num(e["credit_limit"]) or e["credit_limit"] < 0:
            bad.append("credit_limit")
        if "credit_score" in e and (not isinstance(e["credit_score"], int) or not 350 <= e["credit_score"] <= 950):
            bad.append("credit_score")
        if e["segment"] not in SEGMENTS:
            bad.append("segment")
        if "purpose" in e and e["purpose"] not in PURPOSES:
            bad.append("purpose")
        if e["channel"] not in CHANNELS:
            bad.append("channel")
        if "device_id" in e and (not isinstance(e["device_id"], str) or not 1 <= len(e["device_id"]) <= 64):
            bad.append("device_id")
        if "merchant_id" in e and (not isinstance(e["merchant_id"], str) or not ID_RE.match(e["merchant_id"])):
            bad.append("merchant_id")
    else:
        if not isinstance(e["days_late"], int) or isinstance(e["days_late"], bool) or e["days_late"] < 0:
            bad.append("days_late")
        if "outstanding" in e and (not is_num(e["outstanding"]) or e["outstanding"] < 0):
            bad.append("outstanding")
    return bad


def ts_of(e):
    return datetime.fromisoformat(e["ts"])


def local_day(e):
    return (date.fromisoformat(e["ts"][:10]) - START.date()).days


def expected_schedule(amount_c, product, term, day):
    if product == "installment" or (product == "cash_loan" and term >= 90):
        n = max(1, term // 30)
        base = amount_c // n
        return [day + 30 * k for k in range(1, n + 1)], [base * k for k in range(1, n)] + [amount_c]
    return [day + term], [amount_c]


# ------------------------------------------------------------------ tests
def test_list_output():
    out = subprocess.run([sys.executable, "-m", "stream.worlds_c", "--list"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip().splitlines()
    assert len(out) >= 6
    names = []
    for line in out:
        name, desc = line.split("  ", 1)
        assert re.match(r"^[a-z0-9_]+$", name) and desc.strip() and desc.endswith(".")
        names.append(name)
    assert names == list(WORLDS)


@pytest.mark.parametrize("world", list(WORLDS))
def test_contract_sorting_window_ids(world):
    raw, _, info = stream(world, **SMALL)
    events = parse(raw)
    assert events, world
    end = START + timedelta(days=SMALL["history_days"] + SMALL["test_days"])
    seen = set()
    prev = None
    for line, e in zip(raw.decode().splitlines(), events):
        assert check_event(e) == [], (e, check_event(e))
        assert " " not in line or '"' in line  # compact
        assert e["event_id"].startswith("c-") and e["user_id"].startswith("c-")
        assert e["event_id"] not in seen
        seen.add(e["event_id"])
        t = ts_of(e)
        assert START <= t < end
        if prev is not None:
            assert t >= prev
        prev = t
    assert events[0]["ts"] >= "2026-01-05T00:00:00+08:00"
    assert any(e["event_type"] == "repayment" for e in events)
    # optional fields are sometimes missing
    loans = [e for e in events if e["event_type"] == "loan"]
    assert any("device_id" not in e or "credit_score" not in e or "purpose" not in e for e in loans)


@pytest.mark.parametrize("world", list(WORLDS))
def test_repayments_link_days_late_outstanding(world):
    raw, _, _ = stream(world, **SMALL)
    events = parse(raw)
    loans = {}
    paid = defaultdict(int)
    out_user = defaultdict(int)
    for e in events:
        cents = int(e["amount"] * 100)
        assert Decimal(cents) == e["amount"] * 100
        if e["event_type"] == "loan":
            assert e["loan_id"] not in loans
            loans[e["loan_id"]] = (e, expected_schedule(cents, e["product"], e["term_days"], local_day(e)))
            out_user[e["user_id"]] += cents
            continue
        assert e["loan_id"] in loans, "repayment into unknown loan"
        le, (dues, cum) = loans[e["loan_id"]]
        assert le["user_id"] == e["user_id"]
        assert ts_of(le) < ts_of(e)
        k = next(i for i, c in enumerate(cum) if c > paid[e["loan_id"]])
        assert e["days_late"] == max(0, local_day(e) - dues[k]), (e, dues, cum, paid[e["loan_id"]])
        paid[e["loan_id"]] += cents
        assert paid[e["loan_id"]] <= cum[-1]
        out_user[e["user_id"]] -= cents
        if "outstanding" in e:
            assert int(e["outstanding"] * 100) == out_user[e["user_id"]]


@pytest.mark.parametrize("world", list(WORLDS))
def test_labels_aligned(world):
    raw, lab, _ = stream(world, **SMALL)
    events = parse(raw)
    labels = [json.loads(x) for x in lab.decode().splitlines()]
    assert len(labels) == len(events)
    allowed = set(WORLDS[world].typologies)
    anom_users = {e["user_id"] for e, l in zip(events, labels) if l["label"] == 1}
    for e, l in zip(events, labels):
        assert list(l) == ["event_id", "label", "scenario", "user_anomalous"]
        assert l["event_id"] == e["event_id"]
        assert l["label"] in (0, 1)
        if l["label"]:
            assert l["scenario"] in allowed
        else:
            assert l["scenario"] == "normal"
        assert l["user_anomalous"] is (e["user_id"] in anom_users)


def test_determinism_in_process():
    a = gen.generate("catalogue_switch", 5, 150, 15, 5)
    b = gen.generate("catalogue_switch", 5, 150, 15, 5)
    assert a[0] == b[0] and a[1] == b[1]
    c = gen.generate("catalogue_switch", 6, 150, 15, 5)
    assert a[0] != c[0]


def test_cli_deterministic_across_hash_seeds(tmp_path):
    outs = []
    for hs in ("0", "12345"):
        ev, lb = tmp_path / ("e%s.jsonl" % hs), tmp_path / ("l%s.jsonl" % hs)
        env = dict(os.environ, PYTHONHASHSEED=hs)
        r = subprocess.run([sys.executable, "-m", "stream.worlds_c", "--world", "bnpl_checkout", "--seed", "4",
                            "--users", "200", "--history-days", "15", "--test-days", "5", "--out", str(ev),
                            "--labels", str(lb)], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
        assert re.search(r"events=\d+ users=200 positives=\d+ anomalous_users=\d+ seconds=", r.stderr)
        outs.append((ev.read_bytes(), lb.read_bytes()))
    assert outs[0] == outs[1]


@pytest.mark.parametrize("world", list(WORLDS))
def test_every_typology_present_moderate(world):
    raw, lab, _ = stream(world, **MODERATE)
    events = parse(raw)
    labels = [json.loads(x) for x in lab.decode().splitlines()]
    test_start = (START + timedelta(days=MODERATE["history_days"])).isoformat()
    users_hist, users_test = defaultdict(set), defaultdict(set)
    for e, l in zip(events, labels):
        if l["label"]:
            (users_test if e["ts"] >= test_start else users_hist)[l["scenario"]].add(e["user_id"])
    for typ in WORLDS[world].typologies:
        assert users_test[typ], (world, typ, "absent from test window")
    missing_hist = [t for t in WORLDS[world].typologies if not users_hist[t]]
    assert len(missing_hist) <= 1, (world, missing_hist)
    assert len(WORLDS[world].typologies) >= 5
    anom = {e["user_id"] for e, l in zip(events, labels) if l["user_anomalous"]}
    users = {e["user_id"] for e in events}
    assert 0.02 <= len(anom) / MODERATE["users"] <= 0.08, len(anom)
    assert len(users) > 0.5 * MODERATE["users"]


def test_typology_catalogue():
    import stream.worlds_c as pkg
    used = set()
    for w in WORLDS.values():
        used |= set(w.typologies)
    named = {"loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
             "limit_jump_drain", "overdue_escalation"}
    assert named <= used
    assert len(used - named) >= 3
    for t in used:
        assert t in TYPOLOGIES and t in pkg.__doc__


def test_ordinary_outcomes_rare_and_link_varies():
    from stream.worlds_c.report import summarize
    ratios = {}
    for w in ("silver_pension", "gig_bursts"):
        s = summarize(w, 1500, 40, 10, 1)
        assert s["ord_loan_default"] < 0.035, (w, s["ord_loan_default"])
        ba, bo = s["bad_anom"], s["bad_ord"]
        ratios[w] = (ba[0] / max(1, ba[1])) / max(1e-3, bo[0] / max(1, bo[1]))
    assert ratios["silver_pension"] > ratios["gig_bursts"]


def test_full_size_typology_coverage_and_share():
    """At 3000 users / 45+14 days every typology reaches >= 8 users in the test window."""
    from stream.worlds_c.report import summarize
    for w in WORLDS:
        s = summarize(w, 3000, 45, 14, 1)
        for typ in WORLDS[w].typologies:
            assert s["test_users"].get(typ, 0) >= 8, (w, typ, s["test_users"])
        assert 0.03 <= s["anomalous_users"] / 3000 <= 0.06, (w, s["anomalous_users"])
        assert s["ord_loan_default"] <= 0.03, (w, s["ord_loan_default"])
