"""Family-E generator: contract, labels, windows, determinism and command line."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path

import pytest

from stream.worlds_e import WORLDS, generate
from tests.worlds.contract_check import contract_errors

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 1, 5, tzinfo=timezone(timedelta(hours=8)))
H, T = 45, 14
ALL9 = {"loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing", "limit_jump_drain",
        "overdue_escalation", "merchant_collusion", "device_ring", "limit_probing"}
LABEL_KEYS = ["event_id", "label", "scenario", "user_anomalous"]


@lru_cache(maxsize=None)
def run(name: str, users: int, seed: int = 1, history: int = H, test: int = T):
    return generate(name, seed, users, history, test)


def test_seven_worlds_with_specs():
    assert len(WORLDS) == 7
    for name, w in WORLDS.items():
        assert w.desc and isinstance(w.desc, str)
        assert 5 <= len(w.typologies) <= 9
        assert set(w.typologies) <= ALL9
    covered = set().union(*(set(w.typologies) for w in WORLDS.values()))
    assert covered == ALL9
    assert any(len(w.typologies) < 9 for w in WORLDS.values())


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_every_event_obeys_contract_and_rules(name):
    lines, labels, stats = run(name, 300)
    assert len(lines) == len(labels) == stats["events"] > 0
    end = START + timedelta(days=H + T)
    ids, loans, anomalous = set(), {}, {}
    prev = START
    hist = test = 0
    for line, lab_line in zip(lines, labels):
        ev = json.loads(line)
        lab = json.loads(lab_line)
        assert contract_errors(ev) == [], (ev, contract_errors(ev))
        ts = datetime.fromisoformat(ev["ts"])
        assert START <= ts < end
        assert ts >= prev
        prev = ts
        if ts < START + timedelta(days=H):
            hist += 1
        else:
            test += 1
        assert ev["event_id"] not in ids
        ids.add(ev["event_id"])
        assert list(lab) == LABEL_KEYS
        assert lab["event_id"] == ev["event_id"]
        assert lab["label"] in (0, 1) and isinstance(lab["user_anomalous"], bool)
        if lab["label"] == 1:
            assert lab["user_anomalous"] is True
            assert lab["scenario"] in WORLDS[name].typologies
        else:
            assert lab["scenario"] == "normal"
        assert anomalous.setdefault(ev["user_id"], lab["user_anomalous"]) == lab["user_anomalous"]
        assert isinstance(ev["amount"], (int, float)) and round(ev["amount"], 2) == ev["amount"]
        if ev["event_type"] == "loan":
            assert ev["loan_id"] not in loans
            loans[ev["loan_id"]] = (ev["user_id"], ts)
            assert ("merchant_id" in ev) == (ev["channel"] == "merchant")
        else:
            assert ev["loan_id"] in loans
            user, loan_ts = loans[ev["loan_id"]]
            assert user == ev["user_id"] and loan_ts < ts
            assert 0 <= ev["days_late"] <= (ts - loan_ts).days
            if "outstanding" in ev:
                assert ev["outstanding"] >= 0
    assert hist and test
    assert stats["users"] == len(anomalous)
    assert stats["anomalous_users"] == sum(anomalous.values())
    assert stats["positives"] == sum(json.loads(x)["label"] for x in labels)


@pytest.mark.parametrize("name", sorted(WORLDS))
def test_positives_in_both_windows_at_1000_users(name):
    lines, labels, stats = run(name, 1000)
    cut = START + timedelta(days=H)
    hist = test = 0
    for line, lab_line in zip(lines, labels):
        if json.loads(lab_line)["label"] == 1:
            if datetime.fromisoformat(json.loads(line)["ts"]) < cut:
                hist += 1
            else:
                test += 1
    assert hist > 0 and test > 0
    assert 0.02 <= stats["anomalous_users"] / 1000 <= 0.07
    assert 0.003 <= stats["test_positive_loan_share"] <= 0.08


def test_short_and_long_windows_stay_valid():
    for name in ("homestead", "microdash"):
        for hist, test in ((3, 2), (70, 20)):
            lines, labels, _ = run(name, 150, 3, hist, test)
            end = START + timedelta(days=hist + test)
            assert len(lines) == len(labels) > 0
            for line in lines:
                ev = json.loads(line)
                assert contract_errors(ev) == []
                assert START <= datetime.fromisoformat(ev["ts"]) < end


def test_deterministic_and_seed_sensitive():
    a = generate("sharedkey", 7, 300, H, T)
    b = generate("sharedkey", 7, 300, H, T)
    c = generate("sharedkey", 8, 300, H, T)
    assert a[0] == b[0] and a[1] == b[1] and a[2] == b[2]
    assert a[0] != c[0]


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "stream.worlds_e", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def test_cli_list():
    r = _cli("--list")
    assert r.returncode == 0
    rows = [x for x in r.stdout.splitlines() if x.strip()]
    assert len(rows) == 7
    assert {x.split()[0] for x in rows} == set(WORLDS)
    assert all(re.match(r"^\S+  \S", x) for x in rows)


def test_cli_writes_identical_files_and_reports(tmp_path):
    outs = []
    for k in range(2):
        ev, lb = tmp_path / f"ev{k}.jsonl", tmp_path / f"lb{k}.jsonl"
        r = _cli("--world", "bazaar", "--seed", "3", "--users", "200", "--history-days", "20", "--test-days", "7",
                 "--out", str(ev), "--labels", str(lb))
        assert r.returncode == 0, r.stderr
        m = re.fullmatch(r"world=bazaar events=(\d+) users=(\d+) positives=(\d+) anomalous_users=(\d+)\n",
                         r.stderr)
        assert m, r.stderr
        assert int(m.group(1)) == len(ev.read_text().splitlines()) == len(lb.read_text().splitlines())
        outs.append((ev.read_bytes(), lb.read_bytes()))
    assert outs[0] == outs[1]


@pytest.mark.parametrize("bad", [["--world", "nope"], ["--world", "bazaar", "--users", "0"],
                                 ["--world", "bazaar", "--seed", "x"], []])
def test_cli_rejects_bad_arguments(bad):
    r = _cli(*bad)
    assert r.returncode == 2
