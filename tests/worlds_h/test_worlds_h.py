"""Family-H generator: contract validity, labels, time span, determinism, coverage, CLI.

Small runs only (200 users, 20 + 7 days): the whole file stays well under a minute.
"""
from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from stream.worlds_h import TYPOLOGIES, WORLDS, generate
from tests.worlds_h.contract import errors, parse, parse_ts

ROOT = Path(__file__).resolve().parents[2]
START = datetime(2026, 1, 5, tzinfo=timezone(timedelta(hours=8)))
USERS, HIST, TEST = 200, 20, 7
LABEL_KEYS = {"event_id", "label", "scenario", "user_anomalous"}


@pytest.fixture(scope="module")
def runs():
    return {w: generate(w, 1, USERS, HIST, TEST) for w in WORLDS}


def _pairs(run):
    return [(parse(e), json.loads(lb)) for e, lb in zip(run.event_lines, run.label_lines)]


def test_seven_worlds_nine_typologies():
    assert len(WORLDS) == 7
    assert len(TYPOLOGIES) == 9
    assert {"loan_stacking", "borrow_to_repay", "account_takeover", "student_overborrowing",
            "limit_jump_drain", "overdue_escalation"} <= set(TYPOLOGIES)


@pytest.mark.parametrize("world", list(WORLDS))
def test_events_follow_contract(runs, world):
    run = runs[world]
    assert run.event_lines
    bad = []
    for line in run.event_lines:
        assert "\n" not in line
        errs = errors(parse(line))
        if errs:
            bad.append((line, errs))
    assert not bad, bad[:3]


@pytest.mark.parametrize("world", list(WORLDS))
def test_ids_unique_and_users_all_present(runs, world):
    evs = [parse(e) for e in runs[world].event_lines]
    ids = [e["event_id"] for e in evs]
    assert len(ids) == len(set(ids))
    assert len({e["user_id"] for e in evs}) == USERS == runs[world].users
    loan_ids = [e["loan_id"] for e in evs if e["event_type"] == "loan"]
    assert len(loan_ids) == len(set(loan_ids)), "a loan is opened once"


@pytest.mark.parametrize("world", list(WORLDS))
def test_time_order_and_span(runs, world):
    end = START + timedelta(days=HIST + TEST)
    prev = None
    for line in runs[world].event_lines:
        ts = parse_ts(parse(line)["ts"])
        assert START <= ts < end, ts
        assert prev is None or prev <= ts
        prev = ts


@pytest.mark.parametrize("world", list(WORLDS))
def test_labels_one_per_event(runs, world):
    run = runs[world]
    assert len(run.label_lines) == len(run.event_lines)
    per_user_flag: dict[str, set] = defaultdict(set)
    positives_by_user: dict[str, int] = defaultdict(int)
    for ev, lb in _pairs(run):
        assert set(lb) == LABEL_KEYS
        assert lb["event_id"] == ev["event_id"]
        assert lb["label"] in (0, 1) and isinstance(lb["user_anomalous"], bool)
        if lb["label"] == 1:
            assert lb["scenario"] in TYPOLOGIES
            assert lb["user_anomalous"] is True
            positives_by_user[ev["user_id"]] += 1
        else:
            assert lb["scenario"] == "normal"
        per_user_flag[ev["user_id"]].add(lb["user_anomalous"])
    assert all(len(v) == 1 for v in per_user_flag.values()), "user_anomalous is per user"
    assert sum(lb["label"] for _, lb in _pairs(run)) == run.positives


@pytest.mark.parametrize("world", list(WORLDS))
def test_every_anomalous_user_acts_in_test_window(runs, world):
    test_start = START + timedelta(days=HIST)
    anomalous, active = set(), set()
    for ev, lb in _pairs(runs[world]):
        if lb["user_anomalous"]:
            anomalous.add(ev["user_id"])
        if lb["label"] and parse_ts(ev["ts"]) >= test_start:
            active.add(ev["user_id"])
    assert anomalous and anomalous == active


@pytest.mark.parametrize("world", list(WORLDS))
def test_anomaly_rates_are_small(runs, world):
    run = runs[world]
    assert 0.01 <= run.anomalous_users / USERS <= 0.08
    assert 0 < run.positives / run.loans <= 0.12


def test_each_typology_in_some_test_window(runs):
    test_start = START + timedelta(days=HIST)
    seen = set()
    for run in runs.values():
        for ev, lb in _pairs(run):
            if lb["label"] and parse_ts(ev["ts"]) >= test_start:
                seen.add(lb["scenario"])
    assert seen == set(TYPOLOGIES)


@pytest.mark.parametrize("world", list(WORLDS))
def test_deterministic_for_a_seed(runs, world):
    again = generate(world, 1, USERS, HIST, TEST)
    assert again.event_lines == runs[world].event_lines
    assert again.label_lines == runs[world].label_lines
    other = generate(world, 2, USERS, HIST, TEST)
    assert other.event_lines != runs[world].event_lines


@pytest.mark.parametrize("world", list(WORLDS))
def test_tiny_spans_still_valid(world):
    run = generate(world, 3, 60, 3, 2)
    end = START + timedelta(days=5)
    for line in run.event_lines:
        ev = parse(line)
        assert not errors(ev)
        assert START <= parse_ts(ev["ts"]) < end
    assert len(run.label_lines) == len(run.event_lines)


def test_cli_list():
    out = subprocess.run([sys.executable, "-m", "stream.worlds_h", "--list"], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=True).stdout
    lines = [ln for ln in out.splitlines() if ln.strip()]
    assert [ln.split()[0] for ln in lines] == list(WORLDS)
    assert all(len(ln.split()) > 3 for ln in lines)


def test_cli_run(tmp_path):
    ev_path, lb_path = tmp_path / "events.jsonl", tmp_path / "labels.jsonl"
    cmd = [sys.executable, "-m", "stream.worlds_h", "--world", "minpay_late", "--seed", "4", "--users", "120",
           "--history-days", "20", "--test-days", "7", "--out", str(ev_path), "--labels", str(lb_path)]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, check=True).stdout.strip()
    fields = dict(kv.split("=") for kv in out.split())
    events = ev_path.read_text(encoding="utf-8").splitlines()
    labels = [json.loads(x) for x in lb_path.read_text(encoding="utf-8").splitlines()]
    assert fields["world"] == "minpay_late"
    assert int(fields["events"]) == len(events) == len(labels)
    assert int(fields["users"]) == len({parse(e)["user_id"] for e in events})
    assert int(fields["positives"]) == sum(lb["label"] for lb in labels)
    assert all(not errors(parse(e)) for e in events)
    same = generate("minpay_late", 4, 120, 20, 7)
    assert same.event_lines == events


def test_cli_rejects_unknown_world(tmp_path):
    res = subprocess.run([sys.executable, "-m", "stream.worlds_h", "--world", "nope", "--out",
                          str(tmp_path / "e"), "--labels", str(tmp_path / "l")],
                         cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert res.returncode != 0
