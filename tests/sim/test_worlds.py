"""The independent world generator (stream.worlds): valid, deterministic, and as advertised.

Small sizes keep this fast; sizes are chosen so every world still holds
every typology at least once (the planner guarantees one episode per weighted
typology once there are enough anomalous users).
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import orjson
import pytest

from stream.core.contract import parse_document
from stream.worlds import TYPOLOGIES, WORLDS, WorldSpec, generate_world, world_names
from stream.worlds.cli import main as cli_main

SMALL = dict(users=300, history_days=30, test_days=14)
MODERATE = dict(users=600, history_days=45, test_days=14)
TS_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00\Z")

_cache: dict[tuple, tuple[list, list]] = {}


def _world(name: str, seed: int = 1, **size: int) -> tuple[list[dict], list[dict]]:
    key = (name, seed, tuple(sorted(size.items())))
    if key not in _cache:
        _cache[key] = generate_world(WORLDS[name], seed=seed, **size)
    return _cache[key]


def test_catalogue_has_at_least_six_described_worlds() -> None:
    names = world_names()
    assert len(names) >= 6
    assert {"baseline", "per_product_limit", "festival_surge", "mixed"} <= set(names)
    tags = [WORLDS[n].tag for n in names]
    assert len(set(tags)) == len(tags)
    for name in names:
        spec = WORLDS[name]
        assert isinstance(spec, WorldSpec) and spec.name == name and spec.description


@pytest.mark.parametrize("name", world_names())
def test_every_event_follows_the_contract(name: str) -> None:
    events, labels = _world(name, **SMALL)
    assert events and len(events) == len(labels)
    ids = [e["event_id"] for e in events]
    assert len(set(ids)) == len(ids)
    tag = WORLDS[name].tag
    stamps = []
    for event, label in zip(events, labels):
        parsed = parse_document(event)
        assert TS_RE.match(event["ts"]), event["ts"]
        assert event["user_id"].startswith(f"w{tag}-")
        assert label["event_id"] == event["event_id"]
        assert label["label"] in (0, 1) and isinstance(label["user_anomalous"], bool)
        assert label["scenario"] == "normal" or label["scenario"] in TYPOLOGIES
        assert (label["label"] == 1) == (label["scenario"] != "normal")
        if label["label"]:
            assert label["user_anomalous"]
        if event["event_type"] == "loan":
            assert ("merchant_id" in event) == (event["channel"] == "merchant")
        stamps.append(parsed.ts)
        orjson.dumps(event)
    assert stamps == sorted(stamps)
    first = datetime.fromisoformat(events[0]["ts"])
    assert first >= datetime.fromisoformat("2026-01-05T00:00:00+08:00")
    # a monitor switched on over a live book: repayments of loans opened before the window
    loan_ids = {e["loan_id"] for e in events if e["event_type"] == "loan"}
    assert any(e["loan_id"] not in loan_ids for e in events if e["event_type"] == "repayment")


def test_user_anomalous_covers_all_events_of_episode_users() -> None:
    events, labels = _world("baseline", **SMALL)
    flagged = {e["user_id"] for e, lab in zip(events, labels) if lab["label"]}
    for event, label in zip(events, labels):
        assert label["user_anomalous"] == (event["user_id"] in flagged)


def test_same_seed_same_output_and_different_seed_differs() -> None:
    spec = WORLDS["mixed"]
    a = generate_world(spec, seed=7, users=150, history_days=20, test_days=7)
    b = generate_world(spec, seed=7, users=150, history_days=20, test_days=7)
    c = generate_world(spec, seed=8, users=150, history_days=20, test_days=7)
    assert orjson.dumps(a) == orjson.dumps(b)
    assert orjson.dumps(a) != orjson.dumps(c)


def test_output_does_not_depend_on_the_interpreter_hash_seed() -> None:
    """String hashing is randomised per process; nothing may iterate a set of strings."""
    code = (
        "import hashlib, orjson; from stream.worlds import WORLDS, generate_world; "
        "print(hashlib.sha256(orjson.dumps(generate_world(WORLDS['baseline'], seed=3, users=300, "
        "history_days=15, test_days=7))).hexdigest())"
    )
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True,
                             cwd=Path(__file__).resolve().parents[2])
        digests.add(run.stdout.strip())
    assert len(digests) == 1


@pytest.mark.parametrize("name", world_names())
def test_every_typology_appears_at_moderate_size(name: str) -> None:
    events, labels = _world(name, **MODERATE)
    seen = {lab["scenario"] for lab in labels if lab["label"]}
    assert seen == set(TYPOLOGIES)
    users = len({e["user_id"] for e in events})
    anomalous = len({e["user_id"] for e, lab in zip(events, labels) if lab["user_anomalous"]})
    assert 0.015 <= anomalous / users <= 0.08
    # mostly in the test window, some contamination in history
    test_start = datetime.fromisoformat("2026-02-19T00:00:00+08:00").timestamp()
    first_label: dict[str, float] = {}
    for e, lab in zip(events, labels):
        if lab["label"]:
            first_label.setdefault(e["user_id"], datetime.fromisoformat(e["ts"]).timestamp())
    in_test = sum(t >= test_start for t in first_label.values())
    assert in_test / len(first_label) >= 0.5
    assert in_test < len(first_label)


def _well_behaved_over_limit(events: list[dict], labels: list[dict]) -> tuple[set[str], set[str], dict[str, float]]:
    """(users whose reported outstanding exceeded their highest limit, users with any reported outstanding,
    highest limit per user), over well-behaved users only."""
    limit: dict[str, float] = {}
    exceed, seen = set(), set()
    for event, label in zip(events, labels):
        if label["user_anomalous"]:
            continue
        user = event["user_id"]
        if event["event_type"] == "loan":
            limit[user] = max(limit.get(user, 0.0), event["credit_limit"])
        elif user in limit and "outstanding" in event:
            seen.add(user)
            if event["outstanding"] > limit[user]:
                exceed.add(user)
    return exceed, seen, limit


def test_per_product_limit_normal_users_owe_more_than_reported_limit() -> None:
    exceed, _, limit = _well_behaved_over_limit(*_world("per_product_limit", **MODERATE))
    assert len(exceed) >= 0.1 * len(limit)


def test_total_limit_world_rarely_exceeds_the_limit() -> None:
    exceed, seen, _ = _well_behaved_over_limit(*_world("baseline", **MODERATE))
    assert len(exceed) <= 0.05 * len(seen)


def test_festival_day_surges() -> None:
    events, _ = _world("festival_surge", **MODERATE)
    daily = Counter(e["ts"][:10] for e in events if e["event_type"] == "loan")
    festival = datetime.fromisoformat("2026-02-19").date().toordinal() + WORLDS["festival_surge"].festival_days[0]
    festival_day = datetime.fromordinal(festival).date().isoformat()
    assert daily[festival_day] >= 2 * statistics.median(daily.values())


def test_late_payers_are_late_mostly_by_a_few_days() -> None:
    events, labels = _world("late_payers", **SMALL)
    late = [e["days_late"] for e, lab in zip(events, labels) if e["event_type"] == "repayment" and not lab["user_anomalous"]]
    base_events, base_labels = _world("baseline", **SMALL)
    base_late = [
        e["days_late"] for e, lab in zip(base_events, base_labels) if e["event_type"] == "repayment" and not lab["user_anomalous"]
    ]
    share = sum(d > 0 for d in late) / len(late)
    assert share > 2 * sum(d > 0 for d in base_late) / len(base_late)
    assert sum(1 <= d <= 3 for d in late) > sum(d > 3 for d in late)


def test_labelled_episodes_look_like_their_typology() -> None:
    events, labels = _world("baseline", **MODERATE)
    by_user: dict[str, list[tuple[dict, dict]]] = defaultdict(list)
    for e, lab in zip(events, labels):
        by_user[e["user_id"]].append((e, lab))
    for user, rows in by_user.items():
        scen = {lab["scenario"] for _, lab in rows if lab["label"]}
        if "account_takeover" in scen:
            earlier = {e.get("device_id") for e, lab in rows if not lab["label"] and e["event_type"] == "loan"}
            ato = [e for e, lab in rows if lab["label"]]
            assert all(e.get("device_id") not in earlier for e in ato)
        if "student_overborrowing" in scen:
            assert all(e["segment"] == "student" for e, _ in rows if e["event_type"] == "loan")
        if "overdue_escalation" in scen:
            assert all(e["days_late"] > 0 for e, lab in rows if lab["label"] and e["event_type"] == "repayment")
        if "merchant_cashout_ring" in scen:
            assert all(e["channel"] == "merchant" for e, lab in rows if lab["label"])


def test_cli_writes_jsonl_and_lists_worlds(tmp_path, capsys) -> None:
    out, lab = tmp_path / "events.jsonl", tmp_path / "labels.jsonl"
    assert cli_main(["--world", "sparse_borrowers", "--seed", "3", "--users", "80", "--history-days", "10",
                     "--test-days", "5", "--out", str(out), "--labels", str(lab)]) == 0
    events = [orjson.loads(line) for line in out.read_bytes().splitlines()]
    labels = [orjson.loads(line) for line in lab.read_bytes().splitlines()]
    assert len(events) == len(labels) > 0
    for event in events:
        parse_document(event)
    capsys.readouterr()
    assert cli_main(["--list"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == world_names()
