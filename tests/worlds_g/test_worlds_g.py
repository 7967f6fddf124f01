"""Family G worlds: contract validity, window, determinism, labels, typologies,
duplicates.  Small user counts keep the whole file to a few seconds."""
import json
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import timedelta
from pathlib import Path

import pytest

from stream.worlds_g import TYPOLOGIES, WORLDS, generate
from tests.worlds_g.contract import START, parse_ts, problems

ROOT = Path(__file__).resolve().parents[2]
USERS, HIST, TEST = 600, 45, 14
TEST_START = START + timedelta(days=HIST)


@pytest.fixture(scope="module")
def runs():
    return {w: generate(w, 1, USERS, HIST, TEST) for w in WORLDS}


def _events(lines):
    return [json.loads(x) for x in lines]


def test_list_names_every_world():
    out = subprocess.run([sys.executable, "-m", "stream.worlds_g", "--list"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert [x.split("  ", 1)[0] for x in out] == list(WORLDS)
    assert all(len(x.split("  ", 1)) == 2 and x.split("  ", 1)[1].strip() for x in out)
    assert len(WORLDS) >= 6 and all(w.desc for w in WORLDS.values())


@pytest.mark.parametrize("world", list(WORLDS))
def test_every_world_generates(runs, world):
    lines, labels, stats = runs[world]
    assert stats["events"] == len(lines) > 1000
    assert stats["positives"] > 0 and stats["users"] > 0.8 * USERS
    assert 0.02 <= stats["anomalous_users"] / stats["users"] <= 0.08


@pytest.mark.parametrize("world", list(WORLDS))
def test_every_event_follows_the_contract(runs, world):
    lines = runs[world][0]
    bad = [(x, p) for x in lines for p in [problems(x, HIST + TEST)] if p]
    assert not bad, bad[:5]


@pytest.mark.parametrize("world", list(WORLDS))
def test_times_inside_the_window_and_roughly_ordered(runs, world):
    end = START + timedelta(days=HIST + TEST)
    ts = [parse_ts(e["ts"]) for e in _events(runs[world][0])]
    assert all(START <= t < end for t in ts)
    latest, worst, late = ts[0], timedelta(0), 0
    for t in ts:
        if t < latest:
            late += 1
            worst = max(worst, latest - t)
        latest = max(latest, t)
    assert worst <= timedelta(minutes=20)           # seconds to minutes out of order
    assert 0 < late < 0.1 * len(ts)


def test_same_arguments_same_bytes_other_seed_differs():
    for w in ("partner_blind", "multi_timezone"):
        a = generate(w, 7, 200, 20, 10)
        assert a == generate(w, 7, 200, 20, 10)
        assert a[0] != generate(w, 8, 200, 20, 10)[0]


def test_cli_writes_events_labels_and_summary(tmp_path):
    ev, lab = tmp_path / "e.jsonl", tmp_path / "l.jsonl"
    cmd = [sys.executable, "-m", "stream.worlds_g", "--world", "agri_harvest", "--seed", "3",
           "--users", "150", "--history-days", "20", "--test-days", "7",
           "--out", str(ev), "--labels", str(lab)]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    lines, labels, stats = generate("agri_harvest", 3, 150, 20, 7)
    assert ev.read_text().splitlines() == lines and lab.read_text().splitlines() == labels
    assert out.strip().splitlines() == ["world=agri_harvest events=%d users=%d positives=%d" % (
        stats["events"], stats["users"], stats["positives"])]


@pytest.mark.parametrize("world", list(WORLDS))
def test_labels_cover_each_distinct_event_once(runs, world):
    lines, labels, _ = runs[world]
    events = _events(lines)
    labs = [json.loads(x) for x in labels]
    ids = [d["event_id"] for d in labs]
    assert len(ids) == len(set(ids)) and set(ids) == {e["event_id"] for e in events}
    by_id = {d["event_id"]: d for d in labs}
    flag = defaultdict(set)
    for d in labs:
        assert set(d) == {"event_id", "label", "scenario", "user_anomalous"}
        assert d["label"] in (0, 1) and isinstance(d["user_anomalous"], bool)
        assert (d["scenario"] == "normal") == (d["label"] == 0)
        assert d["label"] == 0 or (d["scenario"] in TYPOLOGIES and d["user_anomalous"])
    for e in events:
        flag[e["user_id"]].add(by_id[e["event_id"]]["user_anomalous"])
    assert all(len(v) == 1 for v in flag.values())     # a user is anomalous on every event
    positive_users = {e["user_id"] for e in events if by_id[e["event_id"]]["label"]}
    assert positive_users == {u for u, v in flag.items() if True in v}


def test_each_typology_shows_in_some_test_window(runs):
    seen_test, seen_hist = Counter(), Counter()
    for lines, labels, _ in runs.values():
        lab = {json.loads(x)["event_id"]: json.loads(x) for x in labels}
        for e in _events(lines):
            d = lab[e["event_id"]]
            if d["label"]:
                (seen_test if parse_ts(e["ts"]) >= TEST_START else seen_hist)[d["scenario"]] += 1
    assert set(seen_test) == set(TYPOLOGIES)
    assert len(seen_hist) >= 6                            # episodes start in the history too


@pytest.mark.parametrize("world", list(WORLDS))
def test_duplicates_are_exact_repeats(runs, world):
    lines = runs[world][0]
    first = {}
    for x in lines:
        eid = json.loads(x)["event_id"]
        assert first.setdefault(eid, x) == x
    assert len(first) < len(lines)                        # some deliveries repeat


def test_producer_variety_stays_inside_the_contract(runs):
    events = [e for lines, _, _ in runs.values() for e in _events(lines)]
    loans = [e for e in events if e["event_type"] == "loan"]
    for key in ("currency", "credit_score", "purpose", "device_id", "merchant_id"):
        assert any(key in e for e in loans) and any(key not in e for e in loans)
    reps = [e for e in events if e["event_type"] == "repayment"]
    assert any("outstanding" in e for e in reps) and any("outstanding" not in e for e in reps)
    known = {"event_id", "event_type", "user_id", "ts", "amount", "currency", "loan_id", "product",
             "term_days", "credit_limit", "credit_score", "segment", "purpose", "channel",
             "device_id", "merchant_id", "days_late", "outstanding"}
    assert sum(bool(set(e) - known) for e in events) > 100        # unknown extra fields
    decimals = {len(str(e["amount"]).partition(".")[2]) if isinstance(e["amount"], float) else 0
                for e in events}
    assert decimals >= {0, 1, 2}
    assert max(e["term_days"] for e in loans) >= 3000 and min(e["term_days"] for e in loans) <= 7
    assert any(e["credit_limit"] == 0 for e in loans)
    offsets = {e["ts"][-6:] if not e["ts"].endswith("Z") else "Z" for e in events}
    assert {"+08:00", "Z", "-05:00"} <= offsets and len(offsets) >= 6
    loan_ids = {e["loan_id"] for e in loans}
    assert any(e["loan_id"] not in loan_ids for e in reps)     # loans opened before the stream
