"""Tests for stream.worlds_b (family B held-out worlds).  Checks written from the
loan-events contract v1.1, independent of the project's own schema module."""
import os
import re
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta

import orjson
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from stream.worlds_b import TYPOLOGIES, WORLDS, days_late, generate, schedule, split
from stream.worlds_b.engine import Sim
from tests.worlds import contract_check

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
START = datetime.fromisoformat("2026-01-05T00:00:00+08:00")
DAY = 86400
COMMON = {"event_id", "event_type", "user_id", "ts", "amount", "loan_id"}
LOAN_REQ = COMMON | {"product", "term_days", "credit_limit", "segment", "channel"}
LOAN_OPT = {"currency", "credit_score", "purpose", "device_id", "merchant_id"}
REPAY_REQ = COMMON | {"days_late"}
REPAY_OPT = {"currency", "outstanding"}
SMALL = dict(users=300, history_days=20, test_days=7)


def is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


def cents(x):
    return round(x * 100)


def contract_errors(e):
    """The contract's violations of one event (``tests/worlds/contract_check.py``; empty if valid), and
    this family's stricter shape: merchant_id only on the merchant channel, no missing or unknown field."""
    err = contract_check.contract_errors(e)
    if e.get("event_type") == "loan":
        req, opt = LOAN_REQ, LOAN_OPT
        if "merchant_id" in e and e.get("channel") != "merchant":
            err.append("merchant_id off merchant channel")
    elif e.get("event_type") == "repayment":
        req, opt = REPAY_REQ, REPAY_OPT
    else:
        return err
    missing = req - e.keys()
    extra = e.keys() - req - opt
    if missing:
        err.append(f"missing {sorted(missing)}")
    if extra:
        err.append(f"unexpected {sorted(extra)}")
    return err


def secs(ts):
    return int((datetime.fromisoformat(ts) - START).total_seconds())


def parse(ev, lb):
    evs = [orjson.loads(x) for x in ev.splitlines()]
    lbs = [orjson.loads(x) for x in lb.splitlines()]
    return evs, lbs


@pytest.fixture(scope="module")
def small():
    out = {}
    for w in WORLDS:
        ev, lb, stats = generate(w, seed=3, **SMALL)
        out[w] = (ev, lb, stats)
    return out


@pytest.fixture(scope="module")
def full():
    """Every world at the default size (3000 users, 45 + 14 days)."""
    out = {}
    for w in WORLDS:
        ev, lb, stats = generate(w, seed=1, users=3000, history_days=45, test_days=14)
        out[w] = parse(ev, lb)
    return out


def check_stream(ev, lb, history_days, test_days):
    end = (history_days + test_days) * DAY
    evs, lbs = parse(ev, lb)
    assert evs, "empty stream"
    assert len(evs) == len(lbs)
    for line in ev.splitlines():
        assert b": " not in line and b", " not in line  # compact
    ids = set()
    prev = -1
    for e in evs:
        errs = contract_errors(e)
        assert not errs, (errs, e)
        assert e["event_id"] not in ids
        ids.add(e["event_id"])
        assert e["ts"].endswith("+08:00")
        t = secs(e["ts"])
        assert 0 <= t < end, e
        assert t >= prev, "not sorted by ts"
        prev = t
    check_labels(evs, lbs)
    check_repayments(evs)
    return evs, lbs


def check_labels(evs, lbs):
    per_user = defaultdict(set)
    positives = defaultdict(int)
    for e, lab in zip(evs, lbs):
        assert list(lab) == ["event_id", "label", "scenario", "user_anomalous"]
        assert lab["event_id"] == e["event_id"]
        assert lab["label"] in (0, 1) and is_int(lab["label"])
        assert isinstance(lab["user_anomalous"], bool)
        if lab["label"] == 1:
            assert lab["user_anomalous"]
            assert lab["scenario"] in TYPOLOGIES
        else:
            assert lab["scenario"] == "normal"
        per_user[e["user_id"]].add(lab["user_anomalous"])
        positives[e["user_id"]] += lab["label"]
    for u, flags in per_user.items():
        assert len(flags) == 1, f"user_anomalous not constant for {u}"
        assert (True in flags) == (positives[u] > 0), f"user_anomalous without a positive event: {u}"


def check_repayments(evs):
    loans = {}
    paid = defaultdict(int)
    remaining = {}
    user_out = defaultdict(int)
    for e in evs:
        t = secs(e["ts"])
        if e["event_type"] == "loan":
            assert e["loan_id"] not in loans, "loan id reused"
            loans[e["loan_id"]] = (e["user_id"], t, e["product"], e["term_days"], cents(e["amount"]))
            remaining[e["loan_id"]] = cents(e["amount"])
            user_out[e["user_id"]] += cents(e["amount"])
            continue
        assert e["loan_id"] in loans, "repayment before/without its loan"
        uid, lt, product, term, principal = loans[e["loan_id"]]
        assert uid == e["user_id"], "repayment into another user's loan"
        assert t > lt, "repayment not after the loan"
        a = cents(e["amount"])
        assert a <= remaining[e["loan_id"]], "overpayment"
        dl = days_late(lt, product, term, principal, paid[e["loan_id"]], t)
        assert e["days_late"] == dl, (e, dl)
        paid[e["loan_id"]] += a
        remaining[e["loan_id"]] -= a
        user_out[uid] -= a
        if "outstanding" in e:
            assert cents(e["outstanding"]) == user_out[uid], "outstanding is not the user's total"


# ---------------------------------------------------------------------------- tests
def test_list_cli():
    r = subprocess.run([sys.executable, "-m", "stream.worlds_b", "--list"], cwd=ROOT,
                       capture_output=True, text=True, check=True)
    lines = r.stdout.strip().splitlines()
    assert len(lines) >= 6
    names = [ln.split("  ", 1)[0] for ln in lines]
    assert names == list(WORLDS)
    for ln in lines:
        name, desc = ln.split("  ", 1)
        assert re.match(r"^[a-z_]+$", name) and desc.strip()


@pytest.mark.parametrize("world", list(WORLDS))
def test_small_world_valid(small, world):
    ev, lb, stats = small[world]
    evs, lbs = check_stream(ev, lb, SMALL["history_days"], SMALL["test_days"])
    assert stats["events"] == len(evs)
    assert stats["positives"] == sum(x["label"] for x in lbs)
    assert stats["anomalous_users"] == len(Sim(world, 3, **SMALL).assign)
    assert any(e["event_type"] == "repayment" for e in evs)


def test_cli_deterministic(tmp_path):
    outs = []
    for k in range(2):
        ev, lb = tmp_path / f"e{k}.jsonl", tmp_path / f"l{k}.jsonl"
        r = subprocess.run([sys.executable, "-m", "stream.worlds_b", "--world", "mall_festival", "--seed", "7",
                            "--users", "200", "--history-days", "12", "--test-days", "5",
                            "--out", str(ev), "--labels", str(lb)],
                           cwd=ROOT, capture_output=True, text=True, check=True)
        assert "events=" in r.stderr and "positives=" in r.stderr and "seconds=" in r.stderr
        outs.append((ev.read_bytes(), lb.read_bytes()))
    assert outs[0] == outs[1]
    assert outs[0][0]


@pytest.mark.parametrize("world", list(WORLDS))
def test_deterministic_in_process(small, world):
    ev, lb, _ = generate(world, seed=3, **SMALL)
    assert (ev, lb) == small[world][:2]
    ev2, _, _ = generate(world, seed=4, **SMALL)
    assert ev2 != ev


def test_stream_starts_at_window_start(small):
    # the first event can be later than the start, but no event is before it
    for w, (ev, _, _) in small.items():
        first = orjson.loads(ev.split(b"\n", 1)[0])
        assert secs(first["ts"]) >= 0


@pytest.mark.parametrize("world", list(WORLDS))
def test_full_size_typologies_in_test_window(full, world):
    evs, lbs = full[world]
    hs = 45 * DAY
    users = defaultdict(set)
    anom_users = set()
    for e, lab in zip(evs, lbs):
        if lab["label"] and secs(e["ts"]) >= hs:
            users[lab["scenario"]].add(e["user_id"])
        if lab["user_anomalous"]:
            anom_users.add(e["user_id"])
    for typ in TYPOLOGIES:
        assert len(users[typ]) >= 8, (typ, len(users[typ]))
    n_users = len({e["user_id"] for e in evs})
    assert 0.03 <= len(anom_users) / 3000 <= 0.07
    # every planned episode shows in the stream
    assert len(anom_users) == len(Sim(world, 1, 3000, 45, 14).assign)
    assert n_users > 2000


@pytest.mark.parametrize("world", ["metro_cash", "private_wealth"])
def test_full_size_repayments_consistent(full, world):
    evs, lbs = full[world]
    check_labels(evs, lbs)
    check_repayments(evs)


def test_festival_surge(full):
    """Ordinary borrowing surges several-fold on the festival day(s)."""
    for world, days in (("mall_festival", (24, 52)), ("campus_first", (49,))):
        evs, lbs = full[world]
        per_day = defaultdict(int)
        for e, lab in zip(evs, lbs):
            if e["event_type"] == "loan" and not lab["user_anomalous"]:
                per_day[secs(e["ts"]) // DAY] += 1
        counts = sorted(per_day.values())
        median = counts[len(counts) // 2]
        for d in days:
            assert per_day[d] >= 3 * median, (world, d, per_day[d], median)


def test_schedule_helpers():
    assert schedule("cash_loan", 14) == [14 * DAY]
    assert schedule("installment", 90) == [30 * DAY, 60 * DAY, 90 * DAY]
    assert schedule("merchant_loan", 30) == [30 * DAY]
    assert schedule("merchant_loan", 180)[-1] == 180 * DAY
    assert split(1001, 3) == [333, 333, 335]
    # 2nd instalment overdue by 3 days after the first one was paid
    assert days_late(0, "installment", 90, 900, 300, 60 * DAY + 3 * DAY + 5) == 3
    assert days_late(0, "cash_loan", 7, 500, 0, 6 * DAY) == 0


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(world=st.sampled_from(sorted(WORLDS)), seed=st.integers(0, 10_000), users=st.integers(1, 60),
       history=st.integers(1, 12), test=st.integers(1, 6))
def test_any_window_is_valid(world, seed, users, history, test):
    ev, lb, stats = generate(world, seed=seed, users=users, history_days=history, test_days=test)
    if ev:
        check_stream(ev, lb, history, test)
    assert stats["events"] == len(ev.splitlines())
