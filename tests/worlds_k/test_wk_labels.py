"""Labels line up with events, carry known scenario names and flag the right users."""
from __future__ import annotations

import collections

import sys

import pytest

import wk_common as C  # pytest puts this folder (no __init__.py) on sys.path

WORLDS = C.worlds()


@pytest.mark.parametrize("world", WORLDS)
def test_labels_aligned_and_well_formed(world):
    events, labels, _ = C.parsed(world)
    assert len(events) == len(labels)
    known = C.SHARED_TYPOLOGIES | C.OWN_TYPOLOGIES
    for e, lb in zip(events, labels):
        assert set(lb) == {"event_id", "label", "scenario", "user_anomalous"}
        assert lb["event_id"] == e["event_id"]
        assert lb["label"] in (0, 1) and not isinstance(lb["label"], bool)
        assert isinstance(lb["user_anomalous"], bool)
        if lb["label"]:
            assert lb["scenario"] in known
        else:
            assert lb["scenario"] == "normal"
    flagged = {e["user_id"] for e, lb in zip(events, labels) if lb["label"]}
    for e, lb in zip(events, labels):
        assert lb["user_anomalous"] == (e["user_id"] in flagged)


@pytest.mark.parametrize("world", WORLDS)
def test_world_has_typology_and_normal_users(world):
    events, labels, _ = C.parsed(world)
    users = {e["user_id"] for e in events}
    anomalous = {e["user_id"] for e, lb in zip(events, labels) if lb["user_anomalous"]}
    assert anomalous and users - anomalous
    share = len(anomalous) / C.TEST_USERS
    assert 0.015 <= share <= 0.07, share
    n_lab = sum(lb["label"] for lb in labels)
    assert 0 < n_lab < 0.1 * len(labels)
    # anomalous users also behave normally: they have unlabelled events too
    unl = {e["user_id"] for e, lb in zip(events, labels) if lb["user_anomalous"] and not lb["label"]}
    assert len(unl) >= len(anomalous) // 2


def test_all_typologies_appear_and_own_names_are_new():
    seen = collections.Counter()
    for world in WORLDS:
        _, labels, _ = C.parsed(world)
        seen.update(lb["scenario"] for lb in labels if lb["label"])
    assert set(seen) == C.SHARED_TYPOLOGIES | C.OWN_TYPOLOGIES
    assert not (C.OWN_TYPOLOGIES & C.FORBIDDEN_NAMES)
    assert not (C.OWN_TYPOLOGIES & C.SHARED_TYPOLOGIES)


def test_episode_start_times_spread_over_history_and_test():
    hist = late = 0
    for world in WORLDS:
        _, _, info = C.parsed(world)
        for ep in info["episodes"]:
            if ep["start"] < info["test_start"] - 8 * C.DAY:
                hist += 1
            else:
                late += 1
    share = hist / (hist + late)
    assert 0.15 <= share <= 0.5, share


@pytest.mark.parametrize("world", WORLDS)
def test_group_typologies_span_several_users(world):
    _, _, info = C.parsed(world)
    for ep in info["episodes"]:
        if ep["typology"] in C.OWN_TYPOLOGIES:
            assert len(ep["users"]) >= 2
        else:
            assert len(ep["users"]) == 1


def test_nominee_loans_are_drawn_in_one_sitting():
    """The family's own typology: the nominee loans of a round come minutes apart."""
    found = 0
    for world in WORLDS:
        events, labels, info = C.parsed(world)
        for ep in info["episodes"]:
            if ep["typology"] != "nominee_borrowing":
                continue
            members = set(ep["users"])
            first = sorted(C.epoch(e["ts"]) for e, lb in zip(events, labels)
                           if lb["scenario"] == "nominee_borrowing" and e["user_id"] in members
                           and e["event_type"] == "loan")[:len(members)]
            if len(first) == len(members):
                assert first[-1] - first[0] <= len(members) * 900
                found += 1
    assert found >= 3
