"""Family F worlds: contract, labels, windows, determinism and the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

import pytest

from stream.worlds_f import WORLDS, generate
from tests.worlds.contract_check import contract_errors

START = datetime.fromisoformat("2026-01-05T00:00:00+08:00")
ROOT = Path(__file__).resolve().parents[2]
LABEL_KEYS = ["event_id", "label", "scenario", "user_anomalous"]


@lru_cache(maxsize=None)
def run(world, users, seed=1, h=45, t=14):
    return generate(world, seed, users, h, t)


def test_six_worlds_with_typologies():
    assert len(WORLDS) == 6
    for spec in WORLDS.values():
        assert spec.desc and 5 <= len(spec.typologies) <= 8


@pytest.mark.parametrize("world", sorted(WORLDS))
def test_events_obey_contract_and_rules(world):
    lines, labels, stats = run(world, 300)
    assert len(lines) == len(labels) == stats["events"] > 0
    end = START + timedelta(days=59)
    prev = START
    ids, loans, windows = set(), {}, set()
    for line, lab in zip(lines, labels):
        ev, lb = json.loads(line), json.loads(lab)
        assert contract_errors(ev) == [], (ev, contract_errors(ev))
        assert list(lb) == LABEL_KEYS and lb["event_id"] == ev["event_id"]
        assert lb["label"] in (0, 1) and isinstance(lb["user_anomalous"], bool)
        assert ev["ts"].endswith("+08:00")
        ts = datetime.fromisoformat(ev["ts"])
        assert START <= ts < end and ts >= prev
        prev = ts
        windows.add(ts >= START + timedelta(days=45))
        assert ev["event_id"] not in ids
        ids.add(ev["event_id"])
        assert ("merchant_id" in ev) <= (ev.get("channel") == "merchant")
        if ev["event_type"] == "loan":
            assert ev["loan_id"] not in loans
            loans[ev["loan_id"]] = (ev["user_id"], ts)
        else:
            user, lts = loans[ev["loan_id"]]
            assert user == ev["user_id"] and lts < ts
            assert ev["days_late"] <= (ts - lts).days
        if lb["label"] == 1:
            assert lb["user_anomalous"] and lb["scenario"] in WORLDS[world].typologies
        else:
            assert lb["scenario"] == "normal"
    assert windows == {False, True}


@pytest.mark.parametrize("world", sorted(WORLDS))
def test_user_anomalous_constant(world):
    lines, labels, _ = run(world, 300)
    flag = {}
    for line, lab in zip(lines, labels):
        u, a = json.loads(line)["user_id"], json.loads(lab)["user_anomalous"]
        assert flag.setdefault(u, a) == a


@pytest.mark.parametrize("world", sorted(WORLDS))
def test_positives_in_both_windows(world):
    lines, labels, stats = run(world, 1000)
    cut = START + timedelta(days=45)
    seen = set()
    for line, lab in zip(lines, labels):
        if json.loads(lab)["label"] == 1:
            seen.add(datetime.fromisoformat(json.loads(line)["ts"]) >= cut)
    assert seen == {False, True}
    assert 0.02 * stats["users"] <= stats["anomalous_users"] <= 0.08 * stats["users"]


def test_determinism():
    a = generate("bnpl_instalments", 7, 200, 45, 14)
    assert a == generate("bnpl_instalments", 7, 200, 45, 14)
    assert a[0] != generate("bnpl_instalments", 8, 200, 45, 14)[0]


def test_cli(tmp_path):
    outs = []
    for i in range(2):
        ev, lb = tmp_path / f"e{i}.jsonl", tmp_path / f"l{i}.jsonl"
        r = subprocess.run([sys.executable, "-m", "stream.worlds_f", "--world", "gig_daily", "--seed", "3",
                            "--users", "150", "--history-days", "20", "--test-days", "7", "--out", str(ev),
                            "--labels", str(lb)], cwd=ROOT, capture_output=True, text=True, check=True)
        assert r.stderr.startswith("world=gig_daily events=") and "anomalous_users=" in r.stderr
        outs.append((ev.read_bytes(), lb.read_bytes()))
    assert outs[0] == outs[1]
    r = subprocess.run([sys.executable, "-m", "stream.worlds_f", "--list"], cwd=ROOT, capture_output=True,
                       text=True, check=True)
    assert [ln.split()[0] for ln in r.stdout.splitlines()] == list(WORLDS)
    bad = subprocess.run([sys.executable, "-m", "stream.worlds_f", "--world", "nope"], cwd=ROOT,
                         capture_output=True, text=True)
    assert bad.returncode == 2
