"""Every event of every world follows the contract; labels align; typologies appear."""
import json
import sys
from collections import defaultdict
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
if str(HERE.parents[1]) not in sys.path:
    sys.path.insert(0, str(HERE.parents[1]))

from wj_contract_check import parse_ts, problems  # noqa: E402

from stream.worlds_j.core import Timeline  # noqa: E402
from stream.worlds_j.generate import generate  # noqa: E402
from stream.worlds_j.typologies import TYPOLOGIES  # noqa: E402
from stream.worlds_j.worlds import WORLDS  # noqa: E402

NAMES = list(WORLDS)


def _roundtrip(rows):
    # exactly what the writer emits, parsed back
    return [json.loads(json.dumps(r, separators=(",", ":"))) for r in rows]


@pytest.mark.parametrize("name", NAMES)
def test_small_run_follows_contract(name):
    events, labels = generate(WORLDS[name](), 3, 200, 20, 7)
    events, labels = _roundtrip(events), _roundtrip(labels)
    assert events, name
    bad = [(e["event_id"], p) for e in events for p in problems(e)]
    assert not bad, bad[:5]
    # unique ids, event-time order, stream span
    assert len({e["event_id"] for e in events}) == len(events)
    ts = [parse_ts(e["ts"]).timestamp() for e in events]
    assert all(a <= b for a, b in zip(ts, ts[1:]))
    tl = Timeline(WORLDS[name].anchor, 20, 7)
    assert tl.start <= ts[0] and ts[-1] < tl.end
    # labels: one per event, same order, consistent per user
    assert len(labels) == len(events)
    per_user = defaultdict(set)
    for e, lab in zip(events, labels):
        assert set(lab) == {"event_id", "label", "scenario", "user_anomalous"}
        assert lab["event_id"] == e["event_id"]
        assert lab["label"] in (0, 1) and isinstance(lab["user_anomalous"], bool)
        if lab["label"] == 1:
            assert lab["scenario"] in TYPOLOGIES and lab["user_anomalous"]
        else:
            assert lab["scenario"] == "normal"
        per_user[e["user_id"]].add(lab["user_anomalous"])
    assert all(len(v) == 1 for v in per_user.values())
    # loans are opened once; repayments never precede their loan
    opened = {}
    for e, t in zip(events, ts):
        if e["event_type"] == "loan":
            assert e["loan_id"] not in opened
            opened[e["loan_id"]] = t
        else:
            assert opened.get(e["loan_id"], -1) <= t


@pytest.mark.parametrize("name", NAMES)
def test_test_window_has_most_typologies(name):
    world = WORLDS[name]()
    events, labels = generate(world, 11, 1500, 45, 14)
    tl = Timeline(world.anchor, 45, 14)
    seen_test, seen_hist, anomalous = set(), set(), set()
    n_test = 0
    for e, lab in zip(events, labels):
        t = parse_ts(e["ts"]).timestamp()
        n_test += t >= tl.test_start
        if lab["label"]:
            (seen_test if t >= tl.test_start else seen_hist).add(lab["scenario"])
        if lab["user_anomalous"]:
            anomalous.add(e["user_id"])
    assert n_test > 0 and n_test < len(events)
    possible = len(TYPOLOGIES) - (0 if world.has_students else 1)
    assert len(seen_test) >= possible - 1, sorted(seen_test)
    assert len(seen_hist) >= 4, sorted(seen_hist)
    users = len({e["user_id"] for e in events})
    assert 0.015 * users <= len(anomalous) <= 0.06 * users
