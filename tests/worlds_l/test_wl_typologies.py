"""Misbehaviour: 2-5 % of users per world, every typology present, some episodes start in the history,
intensities spread from subtle to blatant, and each typology's mechanics are visible in the events."""
import collections
import datetime as dt
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wl_common as C  # noqa: E402

TEST_START = C.WINDOW_START + dt.timedelta(days=45)


def _by_user(events, labels):
    byu = collections.defaultdict(list)
    for e, l in zip(events, labels):
        byu[e["user_id"]].append((e, l))
    return byu


@pytest.mark.parametrize("world", C.WORLD_NAMES)
def test_anomalous_user_share_in_range(world):
    events, labels, info = C.gen(world, 1, 3000)
    anomalous = {e["user_id"] for e, l in zip(events, labels) if l["user_anomalous"]}
    assert 0.02 * 3000 <= len(anomalous) <= 0.05 * 3000
    assert info["n_anomalous_users"] == len(anomalous)


@pytest.mark.parametrize("world", C.WORLD_NAMES)
@pytest.mark.parametrize("seed", [2, 3])
def test_anomalous_share_other_seeds_smaller_scale(world, seed):
    events, labels, info = C.gen(world, seed, 1000)
    anomalous = {e["user_id"] for e, l in zip(events, labels) if l["user_anomalous"]}
    assert 20 <= len(anomalous) <= 50


@pytest.mark.parametrize("world", C.WORLD_NAMES)
def test_every_typology_in_every_world(world):
    events, labels, info = C.gen(world, 1, 3000)
    present = {l["scenario"] for l in labels if l["label"]}
    assert present == set(C.TYPOLOGIES)


def test_every_typology_across_family_other_seed():
    present = set()
    for world in C.WORLD_NAMES:
        _, labels, _ = C.gen(world, 2, 1000)
        present |= {l["scenario"] for l in labels if l["label"]}
    assert present == set(C.TYPOLOGIES)


def test_some_episodes_start_in_history():
    total = in_hist = 0
    for world in C.WORLD_NAMES:
        events, labels, info = C.gen(world, 1, 3000)
        # measured from the labels themselves: first labelled event per (user, typology)
        first = {}
        for e, l in zip(events, labels):
            if l["label"]:
                first.setdefault((e["user_id"], l["scenario"]), C.parse_ts(e["ts"]))
        h = sum(1 for t in first.values() if t < TEST_START)
        assert h >= 5, world
        total += len(first)
        in_hist += h
        eps = info["episodes"]
        frac = sum(1 for ep in eps if ep["starts_in_history"]) / len(eps)
        assert 0.2 <= frac <= 0.4, (world, frac)
    assert 0.2 <= in_hist / total <= 0.45


@pytest.mark.parametrize("world", C.WORLD_NAMES)
def test_intensities_span_subtle_to_blatant(world):
    _, _, info = C.gen(world, 1, 3000)
    by_typ = collections.defaultdict(list)
    for ep in info["episodes"]:
        by_typ[ep["typology"]].append(ep["intensity"])
    xs = [x for v in by_typ.values() for x in v]
    assert min(xs) < 0.15 and max(xs) > 0.85
    assert sum(1 for x in xs if x < 0.5) >= len(xs) * 0.3


@pytest.mark.parametrize("world", C.WORLD_NAMES)
def test_typology_mechanics_visible(world):
    events, labels, info = C.gen(world, 1, 3000)
    byu = _by_user(events, labels)
    ok = collections.defaultdict(lambda: [0, 0])
    end = C.WINDOW_START + dt.timedelta(days=59)
    for uid, items in byu.items():
        for s in {l["scenario"] for _, l in items if l["label"]}:
            lab1 = [e for e, l in items if l["label"] and l["scenario"] == s]
            loans1 = [e for e in lab1 if e["event_type"] == "loan"]
            reps1 = [e for e in lab1 if e["event_type"] == "repayment"]
            t1 = C.parse_ts(lab1[0]["ts"])
            early = [e for e, l in items if not l["label"] and e["event_type"] == "loan" and e["ts"] < lab1[0]["ts"]]

            def tally(cond):
                ok[s][0] += 1
                ok[s][1] += bool(cond)

            if s == "loan_stacking" and end - t1 > dt.timedelta(days=5):
                tally(len(loans1) >= 3)
            elif s == "account_takeover":
                devs = {e.get("device_id") for e in early}
                tally(all(e.get("device_id") is None or e["device_id"] not in devs for e in loans1))
            elif s == "student_overborrowing":
                tally(loans1 and all(e["segment"] == "student" for e in loans1))
            elif s == "bust_out":
                tally(not reps1 and len(loans1) >= 1)
            elif s == "merchant_collusion":
                tally(all(e["channel"] == "merchant" and "merchant_id" in e for e in loans1))
            elif s == "limit_jump_drain" and world != "premium_finance":
                old = [e for e in early if C.parse_ts(e["ts"]) < t1 - dt.timedelta(days=7)]
                if old and loans1:
                    tally(loans1[0]["credit_limit"] > old[-1]["credit_limit"])
            elif s == "overdue_escalation" and len(reps1) >= 2:
                tally(reps1[-1]["days_late"] >= reps1[0]["days_late"])
            elif s == "borrow_to_repay" and len(loans1) >= 2:
                lt = [C.parse_ts(e["ts"]) for e in loans1]
                tally(any(any(dt.timedelta(0) <= C.parse_ts(r["ts"]) - t <= dt.timedelta(days=2) for t in lt)
                          for r in reps1))
    for s, (n, good) in ok.items():
        assert n and good >= 0.8 * n, (s, n, good)
    # rings: each collusive merchant serves several labelled users
    ring_users = collections.defaultdict(set)
    for e, l in zip(events, labels):
        if l["label"] and l["scenario"] == "merchant_collusion" and e["event_type"] == "loan":
            ring_users[e["merchant_id"]].add(e["user_id"])
    assert ring_users and max(len(v) for v in ring_users.values()) >= 3
    assert sum(1 for v in ring_users.values() if len(v) >= 2) >= 0.7 * len(ring_users)


def test_episode_info_matches_labels():
    events, labels, info = C.gen("limit_reset_regulation", 1, 3000)
    uids = {e["user_id"] for e, l in zip(events, labels) if l["user_anomalous"]}
    ep_users = {u for ep in info["episodes"] for u in ep["users"]}
    assert uids <= ep_users
    for ep in info["episodes"]:
        assert ep["start"] is not None
