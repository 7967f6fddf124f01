"""Every event of every world obeys the loan-events contract v1.1, and the
stream is internally consistent (ids, order, window, balances, lateness)."""
from __future__ import annotations

import math

import sys

import pytest

import wk_common as C  # pytest puts this folder (no __init__.py) on sys.path

WORLDS = C.worlds()


def test_seven_worlds():
    assert len(WORLDS) == 7 and len(set(WORLDS)) == 7


def test_validator_catches_broken_events():
    good = {"event_id": "e-1", "event_type": "loan", "user_id": "u-1", "ts": "2026-03-01T10:02:11+08:00",
            "amount": 1200.0, "loan_id": "l-77", "product": "credit_line", "term_days": 30,
            "credit_limit": 8000, "credit_score": 702, "segment": "individual", "purpose": "consumption",
            "channel": "app", "device_id": "d-9f2"}
    assert C.validate(good) == []
    rep = {"event_id": "e-2", "event_type": "repayment", "user_id": "u-1", "ts": "2026-03-29T09:00:00+08:00",
           "amount": 1200.00, "loan_id": "l-77", "days_late": 0, "outstanding": 0}
    assert C.validate(rep) == []
    bad = [("amount", 0), ("amount", 1.234), ("amount", 10_000_001), ("ts", "2026-03-01 10:02:11"),
           ("ts", "2026-03-01T10:02:11"), ("event_id", "e 1"), ("event_id", "x" * 65), ("product", "mortgage"),
           ("term_days", 0), ("term_days", 3651), ("term_days", 30.0), ("credit_limit", -1),
           ("credit_score", 349), ("segment", "corp"), ("purpose", "travel"), ("channel", "atm"),
           ("currency", "USD"), ("merchant_id", "m#1"), ("device_id", "")]
    for field, value in bad:
        ev = dict(good, **{field: value})
        assert C.validate(ev), (field, value)
    assert C.validate(dict(rep, days_late=-1))
    assert C.validate(dict(rep, outstanding=-0.01))
    assert C.validate({k: v for k, v in good.items() if k != "loan_id"})


@pytest.mark.parametrize("world", WORLDS)
def test_events_valid_unique_sorted_in_window(world):
    events, labels, info = C.parsed(world)
    assert len(events) > 500
    bad = [(e, C.validate(e)) for e in events if C.validate(e)]
    assert not bad, bad[:3]
    ids = [e["event_id"] for e in events]
    assert len(set(ids)) == len(ids)
    times = [C.epoch(e["ts"]) for e in events]
    assert times == sorted(times)
    start = C.START.timestamp()
    assert info["start"] == start
    end = start + 59 * C.DAY
    assert min(times) >= start and max(times) < end
    assert all(e["ts"].endswith("+08:00") for e in events)
    test_start = start + 45 * C.DAY
    assert any(t >= test_start for t in times) and any(t < test_start for t in times)


@pytest.mark.parametrize("world", WORLDS)
def test_repayments_consistent_with_loans(world):
    events, _, _ = C.parsed(world)
    loans, paid, balance = {}, {}, {}
    for e in events:
        uid = e["user_id"]
        if e["event_type"] == "loan":
            assert e["loan_id"] not in loans, "loan opened twice"
            loans[e["loan_id"]] = e
            paid[e["loan_id"]] = 0.0
            balance[uid] = balance.get(uid, 0.0) + e["amount"]
            if "merchant_id" in e:
                assert e["channel"] == "merchant"
            continue
        ln = loans.get(e["loan_id"])
        assert ln is not None, "repayment before (or without) its loan"
        assert ln["user_id"] == uid
        paid[e["loan_id"]] += e["amount"]
        assert paid[e["loan_id"]] <= ln["amount"] + 0.005, "repaid more than lent"
        due = C.epoch(ln["ts"]) + ln["term_days"] * C.DAY
        assert e["days_late"] == max(0, math.floor((C.epoch(e["ts"]) - due) / C.DAY))
        balance[uid] -= e["amount"]
        if "outstanding" in e:
            assert abs(e["outstanding"] - balance[uid]) < 0.02


@pytest.mark.parametrize("world", WORLDS)
def test_short_custom_window(world):
    events, labels, info = C.parsed(world, users=150, history=20, test=7)
    assert events and len(events) == len(labels)
    start = C.START.timestamp()
    times = [C.epoch(e["ts"]) for e in events]
    assert min(times) >= start and max(times) < start + 27 * C.DAY
    assert info["test_start"] == start + 20 * C.DAY
    assert not [e for e in events if C.validate(e)]
