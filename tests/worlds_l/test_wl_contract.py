"""Every event of every world follows the loan-events contract v1.1; labels align; order and window."""
import collections
import datetime as dt
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wl_common as C  # noqa: E402


def _check_stream(events, labels, info, H, T):
    v = C.StreamValidator()
    errors = collections.Counter()
    for ev in events:
        for e in v.check(ev):
            errors[e] += 1
    assert not errors, dict(errors)

    # labels align with events
    assert len(labels) == len(events)
    anomalous_by_user = {}
    for ev, lab in zip(events, labels):
        assert set(lab) == {"event_id", "label", "scenario", "user_anomalous"}
        assert lab["event_id"] == ev["event_id"]
        assert lab["label"] in (0, 1) and not isinstance(lab["label"], bool)
        assert isinstance(lab["user_anomalous"], bool)
        if lab["label"]:
            assert lab["scenario"] in C.TYPOLOGIES
            assert lab["user_anomalous"]
        else:
            assert lab["scenario"] == "normal"
        prev = anomalous_by_user.setdefault(ev["user_id"], lab["user_anomalous"])
        assert prev == lab["user_anomalous"], "user_anomalous must be constant per user"
    # the users flagged anomalous are exactly those whose episode shows in the stream (labelled events)
    labelled_users = {ev["user_id"] for ev, lab in zip(events, labels) if lab["label"]}
    assert labelled_users == {u for u, a in anomalous_by_user.items() if a}

    # sorted by time, all +08:00, inside the window
    start = C.WINDOW_START
    end = start + dt.timedelta(days=H + T)
    prev = None
    for ev in events:
        assert ev["ts"].endswith("+08:00")
        t = C.parse_ts(ev["ts"])
        assert start <= t < end
        if prev is not None:
            assert t >= prev
        prev = t
    assert info["n_events"] == len(events)


@pytest.mark.parametrize("world", C.WORLD_NAMES)
def test_world_events_valid_small(world):
    events, labels, info = C.gen(world, 1, 300)
    assert len(events) > 300
    _check_stream(events, labels, info, 45, 14)


@pytest.mark.parametrize("world", C.WORLD_NAMES)
def test_world_events_valid_full(world):
    events, labels, info = C.gen(world, 1, 3000)
    _check_stream(events, labels, info, 45, 14)
    # repayments reference earlier loans of the same user (also checked by the validator) and the
    # reported outstanding never goes negative; event ids unique
    assert len({e["event_id"] for e in events}) == len(events)


@pytest.mark.parametrize("world", C.WORLD_NAMES)
@pytest.mark.parametrize("users,H,T", [(40, 3, 2), (1, 1, 1), (120, 20, 30)])
def test_odd_sizes_still_valid(world, users, H, T):
    events, labels, info = C.generate(world, 7, users, H, T)
    _check_stream(events, labels, info, H, T)


@pytest.mark.parametrize("world", C.WORLD_NAMES)
def test_serialised_numbers_have_two_decimals_at_most(world):
    ev_bytes, lab_bytes = C.gen_bytes(world, 3, 200)
    lines = ev_bytes.decode().splitlines()
    assert len(lines) == len(lab_bytes.decode().splitlines())
    for line in lines:
        obj = C.loads_exact(line)
        for f in ("amount", "credit_limit", "outstanding"):
            if f in obj:
                assert C._decimals_ok(obj[f]), (f, line)
                assert "e" not in str(obj[f]).lower()


@pytest.mark.parametrize("world", C.WORLD_NAMES)
def test_world_has_realistic_variety(world):
    events, labels, info = C.gen(world, 1, 3000)
    loans = [e for e in events if e["event_type"] == "loan"]
    reps = [e for e in events if e["event_type"] == "repayment"]
    assert {e["segment"] for e in loans} == {"individual", "small_business", "student"}
    assert len({e["product"] for e in loans}) >= 3
    assert len({e["channel"] for e in loans}) >= 3
    assert len({e["term_days"] for e in loans}) >= 4
    assert len({e["credit_score"] for e in loans if "credit_score" in e}) > 100
    assert any("device_id" not in e for e in loans) or world == "handset_upgrade"
    users_per_dev = collections.defaultdict(set)
    devs_per_user = collections.defaultdict(set)
    for e in loans:
        if "device_id" in e:
            users_per_dev[e["device_id"]].add(e["user_id"])
            devs_per_user[e["user_id"]].add(e["device_id"])
    assert sum(1 for s in users_per_dev.values() if len(s) >= 2) >= 10, "shared devices"
    assert sum(1 for s in devs_per_user.values() if len(s) >= 2) >= 30, "device changes"
    lates = [r["days_late"] for r in reps]
    assert lates.count(0) > len(lates) * .35
    assert sum(1 for x in lates if x > 0) >= 20
    # weekly rhythm exists: weekday/weekend loan counts differ
    by_dow = collections.Counter(C.parse_ts(e["ts"]).weekday() for e in loans)
    assert max(by_dow.values()) > 1.15 * min(by_dow.values())
