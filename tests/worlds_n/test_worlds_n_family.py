"""Tests for the family-N synthetic lender worlds (stream.worlds_n)."""
from __future__ import annotations

import collections
import importlib.util
import json
import statistics
import subprocess
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from stream.worlds_n import TYPOLOGIES, generate, list_worlds

_spec = importlib.util.spec_from_file_location("contract_v1_n", Path(__file__).with_name("contract_v1.py"))
contract = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(contract)

ROOT = Path(__file__).resolve().parents[2]
WORLD_NAMES = [
    "harvest_cycle_farm_credit", "gig_daily_payout", "medical_instalments", "merger_migration",
    "rate_hike_prepayment", "school_fee_term_start", "merchant_inventory_rush",
]
OWN = [t for t in TYPOLOGIES if t not in (
    "loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
    "limit_jump_drain", "overdue_escalation")]
SMALL = dict(users=400, history_days=45, test_days=14, anomaly_share=0.15)


@lru_cache(maxsize=None)
def small(world):
    return generate(world, 7, **SMALL)


def split_windows(events, labels, info, clean_users_only=True):
    """Label-0 events of never-anomalous users, split at the test start."""
    t0 = contract.parse_ts(info["test_start"])
    h, t = [], []
    for e, lab in zip(events, labels):
        if lab["label"] or (clean_users_only and lab["user_anomalous"]):
            continue
        (t if contract.parse_ts(e["ts"]) >= t0 else h).append(e)
    return h, t


# ------------------------------------------------------------------ interface
def test_list_worlds_names_and_typologies():
    names = [n for n, _ in list_worlds()]
    assert names == WORLD_NAMES
    assert all(d and "\n" not in d for _, d in list_worlds())
    assert len(TYPOLOGIES) == 8 and len(OWN) == 2
    for t in OWN:
        assert t.replace("_", "").isalpha() and t == t.lower()


def test_cli_list_format():
    r = subprocess.run([sys.executable, "-m", "stream.worlds_n", "--list"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert len(lines) == 7
    for line, name in zip(lines, WORLD_NAMES):
        assert line.startswith(name + "  ")
        assert len(line) > len(name) + 10


def test_cli_generate_files(tmp_path):
    out, lab = tmp_path / "events.jsonl", tmp_path / "labels.jsonl"
    cmd = [sys.executable, "-m", "stream.worlds_n", "--world", "merger_migration", "--seed", "3",
           "--users", "150", "--history-days", "20", "--test-days", "7", "--out", str(out), "--labels", str(lab)]
    r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    summary = json.loads(r.stderr.strip().splitlines()[-1])
    for k in ("world", "seed", "users", "events", "anomalous_users", "labelled_events", "test_start"):
        assert k in summary
    assert summary["world"] == "merger_migration" and summary["seed"] == 3 and summary["users"] == 150
    events = [json.loads(x) for x in out.read_text().splitlines()]
    labels = [json.loads(x) for x in lab.read_text().splitlines()]
    assert len(events) == len(labels) == summary["events"] > 0
    assert [e["event_id"] for e in events] == [x["event_id"] for x in labels]
    assert all(set(x) == {"event_id", "label", "scenario", "user_anomalous"} for x in labels)
    assert sum(x["label"] for x in labels) == summary["labelled_events"]
    # the CLI writes exactly what generate() returns
    ev2, lab2, _ = generate("merger_migration", 3, users=150, history_days=20, test_days=7)
    assert ev2 == events and lab2 == labels


def test_determinism_and_seed_sensitivity():
    a = generate("gig_daily_payout", 11, users=120, history_days=20, test_days=7)
    b = generate("gig_daily_payout", 11, users=120, history_days=20, test_days=7)
    c = generate("gig_daily_payout", 12, users=120, history_days=20, test_days=7)
    dump = lambda r: json.dumps([r[0], r[1]], sort_keys=False)
    assert dump(a) == dump(b)
    assert dump(a) != dump(c)
    for w in ("school_fee_term_start", "merchant_inventory_rush"):
        x = generate(w, 5, users=80, history_days=15, test_days=5)
        y = generate(w, 5, users=80, history_days=15, test_days=5)
        assert dump(x) == dump(y)


# ------------------------------------------------------------------- contract
@pytest.mark.parametrize("world", WORLD_NAMES)
def test_every_event_valid_sorted_unique(world):
    events, labels, info = small(world)
    assert events, "no events"
    bad = [(e, contract.errors(e)) for e in events if contract.errors(e)]
    assert not bad, bad[:3]
    extra = [e for e in events if set(e) - contract.KNOWN]
    assert not extra, extra[:2]
    ids = [e["event_id"] for e in events]
    assert len(set(ids)) == len(ids)
    times = [contract.parse_ts(e["ts"]) for e in events]
    assert all(a <= b for a, b in zip(times, times[1:])), "events not sorted by ts"
    offsets = {e["ts"][-6:] for e in events}
    assert len(offsets) == 1, offsets
    # repayments pay into loans of the same user (when the loan is in the stream)
    owner = {e["loan_id"]: e["user_id"] for e in events if e["event_type"] == "loan"}
    assert len(owner) == sum(1 for e in events if e["event_type"] == "loan"), "loan_id reused"
    for e in events:
        if e["event_type"] == "repayment" and e["loan_id"] in owner:
            assert owner[e["loan_id"]] == e["user_id"]
    # same-format, opaque identifiers
    for f, p in (("event_id", "e-"), ("user_id", "u-"), ("loan_id", "l-")):
        assert all(e[f].startswith(p) for e in events)
    assert len({len(e["user_id"]) for e in events}) == 1


@pytest.mark.parametrize("world", WORLD_NAMES)
def test_optional_fields_sometimes_present(world):
    events, _, _ = small(world)
    loans = [e for e in events if e["event_type"] == "loan"]
    reps = [e for e in events if e["event_type"] == "repayment"]
    assert len(loans) > 200 and len(reps) > 200
    for f in ("currency", "credit_score", "purpose", "device_id"):
        share = sum(f in e for e in loans) / len(loans)
        assert 0.05 < share < 0.99, (f, share)
    for f in ("currency", "outstanding"):
        share = sum(f in e for e in reps) / len(reps)
        assert 0.05 < share < 0.99, (f, share)
    mer = [e for e in loans if e["channel"] == "merchant"]
    assert mer and 0.3 < sum("merchant_id" in e for e in mer) / len(mer) <= 1.0
    if len(mer) > 300:
        assert sum("merchant_id" in e for e in mer) < len(mer)
    assert all(e["channel"] == "merchant" for e in loans if "merchant_id" in e)
    assert {e["segment"] for e in loans} == {"individual", "small_business", "student"}
    assert len({e["product"] for e in loans}) >= 3
    assert len({e["channel"] for e in loans}) >= 3
    # repayments that are early/on time and late both exist; partial repayments exist
    assert any(e["days_late"] == 0 for e in reps) and any(e["days_late"] > 0 for e in reps)


# ---------------------------------------------------------------------- labels
@pytest.mark.parametrize("world", WORLD_NAMES)
def test_labels_consistent(world):
    events, labels, info = small(world)
    assert len(labels) == len(events)
    assert [e["event_id"] for e in events] == [x["event_id"] for x in labels]
    per_user = collections.defaultdict(set)
    has_episode = set()
    for e, x in zip(events, labels):
        assert x["label"] in (0, 1) and isinstance(x["user_anomalous"], bool)
        assert (x["scenario"] == "normal") == (x["label"] == 0)
        assert x["scenario"] == "normal" or x["scenario"] in TYPOLOGIES
        per_user[e["user_id"]].add(x["user_anomalous"])
        if x["label"] == 1:
            assert x["user_anomalous"], "misbehaviour labelled for a user with user_anomalous false"
            has_episode.add(e["user_id"])
    assert all(len(v) == 1 for v in per_user.values()), "user_anomalous differs within a user"
    anomalous = {u for u, v in per_user.items() if True in v}
    assert anomalous == has_episode
    assert info["anomalous_users"] == len(anomalous)
    assert info["labelled_events"] == sum(x["label"] for x in labels)


@pytest.mark.parametrize("world", WORLD_NAMES)
def test_every_typology_labelled_in_test_window(world):
    events, labels, info = small(world)
    t0 = contract.parse_ts(info["test_start"])
    seen_test = {x["scenario"] for e, x in zip(events, labels)
                 if x["label"] and contract.parse_ts(e["ts"]) >= t0}
    assert seen_test == set(TYPOLOGIES), set(TYPOLOGIES) - seen_test
    seen_hist = {x["scenario"] for e, x in zip(events, labels)
                 if x["label"] and contract.parse_ts(e["ts"]) < t0}
    assert len(seen_hist) >= 2, seen_hist


def test_default_size_world():
    events, labels, info = generate("medical_instalments", 1)
    assert 20_000 <= len(events) <= 80_000
    assert 0.025 <= info["anomalous_users"] / info["users"] <= 0.07
    ph = info["episodes_by_phase"]
    n = sum(ph.values())
    hist_share = (ph.get("hist", 0) + ph.get("straddle", 0)) / n
    assert 0.15 <= hist_share <= 0.45, ph
    assert ph.get("straddle", 0) >= 1
    assert set(info["episodes_by_typology"]) == set(TYPOLOGIES)
    # episodes straddling the boundary have labelled events on both sides
    t0 = contract.parse_ts(info["test_start"])
    sides = collections.defaultdict(set)
    for e, x in zip(events, labels):
        if x["label"]:
            sides[(e["user_id"], x["scenario"])].add(contract.parse_ts(e["ts"]) >= t0)
    assert any(len(v) == 2 for v in sides.values())


# ------------------------------------------------------ the test-window change
def per_day(xs, days):
    return len(xs) / float(days)


def test_change_harvest_lump_repayments():
    ev, lab, info = small("harvest_cycle_farm_credit")
    h, t = split_windows(ev, lab, info)
    big = lambda xs: [e for e in xs if e["event_type"] == "repayment" and e["amount"] >= 20000]
    assert per_day(big(t), 14) >= 3 * per_day(big(h), 45) + 0.5
    # re-borrowing for the next season: long business loans
    nxt = lambda xs: [e for e in xs if e["event_type"] == "loan" and e["term_days"] >= 180
                      and e["product"] in ("merchant_loan", "cash_loan") and e["amount"] >= 5000]
    assert per_day(nxt(t), 14) >= 2 * per_day(nxt(h), 45)


def test_change_gig_weekly_payout():
    ev, lab, info = small("gig_daily_payout")
    h, t = split_windows(ev, lab, info)
    cash = lambda xs: [e["amount"] for e in xs if e["event_type"] == "loan" and e["product"] == "cash_loan"
                       and e["amount"] <= 2000]
    assert statistics.median(cash(t)) >= 1.3 * statistics.median(cash(h))

    def bunching(xs):
        c = collections.Counter(e["ts"][:10] for e in xs if e["event_type"] == "repayment")
        v = sorted(c.values())
        return v[-1] / statistics.median(v)
    assert bunching(t) >= 2.0 and bunching(h) < 1.8


def test_change_medical_new_borrowers():
    ev, lab, info = small("medical_instalments")
    h, t = split_windows(ev, lab, info)
    first = {}
    for e in ev:
        first.setdefault(e["user_id"], e)
    start = contract.parse_ts(info["start"]).date()
    t0 = contract.parse_ts(info["test_start"])

    def new_big(e):
        return (e["event_type"] == "loan" and e["product"] == "installment" and e["term_days"] >= 360
                and e["amount"] >= 5000 and contract.parse_ts(e["ts"]).date() > start)
    nh = [e for e in first.values() if new_big(e) and contract.parse_ts(e["ts"]) < t0]
    nt = [e for e in first.values() if new_big(e) and contract.parse_ts(e["ts"]) >= t0]
    assert per_day(nt, 14) >= 4 * per_day(nh, 44) + 0.5
    long_t = [e for e in t if e["event_type"] == "loan" and e["term_days"] == 720]
    long_h = [e for e in h if e["event_type"] == "loan" and e["term_days"] == 720]
    assert per_day(long_t, 14) >= 3 * per_day(long_h, 45)


def test_change_merger_migrants():
    ev, lab, info = small("merger_migration")
    h, t = split_windows(ev, lab, info)
    share = lambda xs: sum(e["channel"] == "partner" for e in xs if e["event_type"] == "loan") / \
        max(1, sum(e["event_type"] == "loan" for e in xs))
    assert share(h) < 0.005 and share(t) >= 0.04
    first = {}
    for e in ev:
        first.setdefault(e["user_id"], e["ts"])
    newcomers = {u for u, ts in first.items() if ts >= info["test_start"]}
    lim_new = [e["credit_limit"] for e in t if e["event_type"] == "loan" and e["user_id"] in newcomers]
    lim_old = [e["credit_limit"] for e in h if e["event_type"] == "loan"]
    round5k = lambda xs: sum(x % 5000 == 0 for x in xs) / len(xs)
    assert len(lim_new) > 30 and round5k(lim_new) > 0.75 and round5k(lim_old) < 0.3
    # carried-over loans: repayments of loans never seen in the stream, from brand-new accounts
    seen = {e["loan_id"] for e in ev if e["event_type"] == "loan"}
    carried = [e for e in t if e["event_type"] == "repayment" and e["user_id"] in newcomers
               and e["loan_id"] not in seen]
    assert len(carried) > 30


def test_change_rate_hike_prepayments():
    ev, lab, info = small("rate_hike_prepayment")
    h, t = split_windows(ev, lab, info)
    amt = lambda xs: sum(e["amount"] for e in xs if e["event_type"] == "repayment")
    assert amt(t) / 14 >= 1.25 * amt(h) / 45
    cheap = lambda xs: [e for e in xs if e["event_type"] == "loan" and e["product"] in ("wealth_pledge", "installment")]
    assert per_day(cheap(t), 14) >= 1.3 * per_day(cheap(h), 45)
    cash = lambda xs: [e for e in xs if e["event_type"] == "loan" and e["product"] == "cash_loan"]
    assert per_day(cash(t), 14) < 0.9 * per_day(cash(h), 45)


def test_change_school_fee_max_term():
    ev, lab, info = small("school_fee_term_start")
    h, t = split_windows(ev, lab, info)
    fee = lambda xs: [e for e in xs if e["event_type"] == "loan" and e["product"] == "installment"
                      and e["term_days"] == 360]
    assert per_day(fee(t), 14) >= 5 * per_day(fee(h), 45) + 1
    segs = collections.Counter(e["segment"] for e in fee(t))
    assert segs["student"] > 10 and segs["individual"] > 10


def test_change_merchant_inventory_rush():
    ev, lab, info = small("merchant_inventory_rush")
    h, t = split_windows(ev, lab, info)
    draw = lambda xs: sum(e["amount"] for e in xs if e["event_type"] == "loan" and e["product"] == "merchant_loan")
    assert draw(t) / 14 >= 2 * draw(h) / 45

    def busiest_device(xs):
        users = collections.defaultdict(set)
        for e in xs:
            if e["event_type"] == "loan" and "device_id" in e:
                users[(e["device_id"], e["ts"][:10])].add(e["user_id"])
        return max(len(v) for v in users.values())
    assert busiest_device(t) >= 2 * busiest_device(h)
