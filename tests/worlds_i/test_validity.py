"""Every event of every world is valid, in time order, inside the frame, and labelled exactly once."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest

from stream.worlds_i.typologies import TYPOLOGIES
from stream.worlds_i.worlds import WORLDS

from .contract_check import parse, problems

START = datetime.fromisoformat("2026-01-05T00:00:00+08:00")


@pytest.mark.parametrize("world", list(WORLDS))
@pytest.mark.parametrize("hist,test", [(20, 8), (45, 14)])
def test_world_files(world: str, hist: int, test: int, make_files) -> None:
    users = 300 if hist == 20 else 150
    ev_path, lb_path, stats = make_files(world, seed=3, users=users, history_days=hist, test_days=test)
    end = START + timedelta(days=hist + test)
    events = [parse(x) for x in ev_path.read_text(encoding="utf-8").splitlines()]
    labels = [json.loads(x) for x in lb_path.read_text(encoding="utf-8").splitlines()]
    assert stats["events"] == len(events) == len(labels) > 0
    bad = [(e.get("event_id"), problems(e)) for e in events if problems(e)]
    assert not bad, bad[:5]
    ids = [e["event_id"] for e in events]
    assert len(set(ids)) == len(ids)
    assert [x["event_id"] for x in labels] == ids          # same ids, same order, each once
    times = [datetime.fromisoformat(e["ts"]) for e in events]
    assert all(START <= t < end for t in times)
    assert all(a <= b for a, b in zip(times, times[1:])), "events not in event-time order"
    names = set(TYPOLOGIES) | {"normal"}
    anomalous: dict[str, set] = {}
    for e, lab in zip(events, labels):
        assert set(lab) == {"event_id", "label", "scenario", "user_anomalous"}
        assert lab["label"] in (0, 1) and isinstance(lab["user_anomalous"], bool)
        assert lab["scenario"] in names
        assert (lab["label"] == 1) == (lab["scenario"] != "normal")
        if lab["label"]:
            assert lab["user_anomalous"]
        anomalous.setdefault(e["user_id"], set()).add(lab["user_anomalous"])
    assert all(len(v) == 1 for v in anomalous.values()), "user_anomalous must be constant per user"
    assert stats["users"] == len(anomalous)
    assert stats["positives"] == sum(x["label"] for x in labels)


def test_repayments_follow_their_loans(make_files) -> None:
    ev_path, _, _ = make_files("skill_school", seed=5, users=300, history_days=20, test_days=10)
    opened: dict[str, tuple[str, datetime]] = {}
    for line in ev_path.read_text(encoding="utf-8").splitlines():
        e = parse(line)
        t = datetime.fromisoformat(e["ts"])
        if e["event_type"] == "loan":
            assert e["loan_id"] not in opened, "a loan id is opened once"
            opened[e["loan_id"]] = (e["user_id"], t)
        elif e["loan_id"] in opened:                        # else a loan from before the window
            user, t0 = opened[e["loan_id"]]
            assert user == e["user_id"] and t >= t0
