"""Tests for stream.worlds_d (synthetic lender worlds)."""
from __future__ import annotations

import datetime as dt
import functools
import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stream.worlds_d import WORLDS, generate
from stream.worlds_d.typologies import SPECS
from tests.worlds.contract_check import contract_errors

ROOT = Path(__file__).resolve().parents[2]
START = dt.datetime(2026, 1, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
COMMON = {"event_id", "event_type", "user_id", "ts", "amount", "currency", "loan_id"}
LOAN_FIELDS = COMMON | {"product", "term_days", "credit_limit", "credit_score", "segment", "purpose", "channel",
                        "device_id", "merchant_id"}
REP_FIELDS = COMMON | {"days_late", "outstanding"}
LABEL_KEYS = ["event_id", "label", "scenario", "user_anomalous"]
ALL_WORLDS = sorted(WORLDS)


def is_int(x):
    return isinstance(x, int) and not isinstance(x, bool)


@functools.lru_cache(maxsize=None)
def run(world, seed=1, users=300, hist=45, test=14):
    lines, labels, stats = generate(world, seed, users, hist, test)
    return tuple(lines), tuple(labels), stats


def check_stream(world, lines, labels, hist, test):
    assert lines, f"{world}: empty stream"
    assert len(lines) == len(labels)
    end = START + dt.timedelta(days=hist + test)
    split = START + dt.timedelta(days=hist)
    ids, loans = set(), {}
    prev = None
    n_hist = n_test = 0
    allowed_typs = set(WORLDS[world].typologies)
    for line, lab_line in zip(lines, labels):
        e = json.loads(line)
        assert isinstance(e, dict)
        # the contract, field by field (tests/worlds/contract_check.py), then what the stream adds
        assert not contract_errors(e), (contract_errors(e), e)
        assert e["event_id"] not in ids, e
        ids.add(e["event_id"])
        t = dt.datetime.fromisoformat(e["ts"])
        assert t.utcoffset() is not None
        assert START <= t < end, e
        if prev is not None:
            assert t >= prev, "events not sorted by time"
        prev = t
        if t < split:
            n_hist += 1
        else:
            n_test += 1
        if e["event_type"] == "loan":
            assert set(e) <= LOAN_FIELDS, e
            if "merchant_id" in e:
                assert e["channel"] == "merchant"
            assert e["loan_id"] not in loans, "loan id reused"
            loans[e["loan_id"]] = (e["user_id"], t)
        else:
            assert set(e) <= REP_FIELDS, e
            assert e["loan_id"] in loans, "repayment of an unknown / later loan"
            owner, lt = loans[e["loan_id"]]
            assert owner == e["user_id"]
            assert lt <= t
            assert e["days_late"] <= (t - lt).days, "late before the loan even existed"
        # label line
        lab = json.loads(lab_line)
        assert list(lab) == LABEL_KEYS, lab
        assert lab["event_id"] == e["event_id"]
        assert lab["label"] in (0, 1) and is_int(lab["label"])
        assert isinstance(lab["user_anomalous"], bool)
        if lab["label"] == 1:
            assert lab["scenario"] in allowed_typs, lab
            assert lab["user_anomalous"] is True
        else:
            assert lab["scenario"] == "normal"
    return n_hist, n_test


@pytest.mark.parametrize("world", ALL_WORLDS)
def test_contract_small(world):
    lines, labels, stats = run(world)
    n_hist, n_test = check_stream(world, lines, labels, 45, 14)
    assert n_hist > 0 and n_test > 0
    assert stats["events"] == len(lines)
    assert any(json.loads(x)["label"] == 1 for x in labels)


@pytest.mark.parametrize("world", ALL_WORLDS)
def test_labels_consistent_per_user(world):
    lines, labels, _ = run(world)
    anom = {}
    for line, lab_line in zip(lines, labels):
        e, lab = json.loads(line), json.loads(lab_line)
        anom.setdefault(e["user_id"], lab["user_anomalous"])
        assert anom[e["user_id"]] == lab["user_anomalous"]


@pytest.mark.parametrize("world", ALL_WORLDS)
def test_determinism(world):
    a = run(world, seed=5, users=120, hist=20, test=7)
    generate.cache_clear() if hasattr(generate, "cache_clear") else None
    b = generate(world, 5, 120, 20, 7)
    assert list(a[0]) == b[0] and list(a[1]) == b[1]
    c = generate(world, 6, 120, 20, 7)
    assert c[0] != b[0]


def test_cli_bytes_identical(tmp_path):
    outs = []
    for i in range(2):
        ev, lb = tmp_path / f"e{i}.jsonl", tmp_path / f"l{i}.jsonl"
        r = subprocess.run([sys.executable, "-m", "stream.worlds_d", "--world", "churn_quickloan", "--seed", "3",
                            "--users", "150", "--history-days", "20", "--test-days", "6", "--out", str(ev),
                            "--labels", str(lb)], cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        assert "churn_quickloan" in r.stderr and "events=" in r.stderr
        outs.append((ev.read_bytes(), lb.read_bytes()))
    assert outs[0] == outs[1]
    lines = outs[0][0].decode().splitlines()
    labels = outs[0][1].decode().splitlines()
    check_stream("churn_quickloan", lines, labels, 20, 6)


def test_cli_list():
    r = subprocess.run([sys.executable, "-m", "stream.worlds_d", "--list"], cwd=ROOT, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0
    rows = r.stdout.strip().splitlines()
    assert 6 <= len(rows) <= 7
    names = [row.split("  ", 1)[0] for row in rows]
    assert sorted(names) == ALL_WORLDS
    assert all(len(row.split("  ", 1)[1]) > 20 for row in rows)


@pytest.mark.parametrize("args", [["--world", "no_such_world"], ["--world", "bill_instalments", "--users", "-3"],
                                  ["--world", "bill_instalments", "--seed", "abc"],
                                  ["--world", "bill_instalments", "--test-days", "0"]])
def test_cli_errors(args, tmp_path):
    r = subprocess.run([sys.executable, "-m", "stream.worlds_d", *args, "--out", str(tmp_path / "e"),
                        "--labels", str(tmp_path / "l")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "error" in r.stderr


def test_world_family_properties():
    typs = set()
    for w in WORLDS.values():
        typs |= set(w.typologies)
        assert set(w.typologies) <= set(SPECS)
    six = {"loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing", "limit_jump_drain",
           "overdue_escalation"}
    assert six <= typs
    assert len(typs - six) >= 2


@settings(max_examples=8, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(world=st.sampled_from(ALL_WORLDS), seed=st.integers(0, 10 ** 6), users=st.integers(1, 60),
       hist=st.integers(1, 30), test=st.integers(1, 10))
def test_odd_sizes_still_valid(world, seed, users, hist, test):
    lines, labels, _ = generate(world, seed, users, hist, test)
    if lines:
        check_stream(world, lines, labels, hist, test)


@pytest.mark.parametrize("world", ALL_WORLDS)
def test_default_size_typologies_in_test_window(world):
    lines, labels, stats = generate(world, 1, 3000, 45, 14)
    check_stream(world, lines, labels, 45, 14)  # the contract at full size too (a wealth loan's repayment once passed 10M)
    split = START + dt.timedelta(days=45)
    counts = {t: 0 for t in WORLDS[world].typologies}
    users, anom = set(), set()
    for line, lab_line in zip(lines, labels):
        e, lab = json.loads(line), json.loads(lab_line)
        users.add(e["user_id"])
        if lab["user_anomalous"]:
            anom.add(e["user_id"])
        if lab["label"] == 1 and dt.datetime.fromisoformat(e["ts"]) >= split:
            counts[lab["scenario"]] += 1
    assert all(c >= 10 for c in counts.values()), counts
    frac = len(anom) / len(users)
    assert 0.03 <= frac <= 0.065, frac
