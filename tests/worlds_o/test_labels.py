"""The label file is aligned with the events and tells a consistent story."""
from __future__ import annotations

from collections import defaultdict

import pytest

from .runs import TYPOLOGIES, WORLDS, medium, small


@pytest.mark.parametrize("world", WORLDS)
def test_labels_align_with_events(world: str) -> None:
    events, labels, info = small(world)
    assert len(labels) == len(events) == info["events"]
    for ev, lab in zip(events, labels):
        assert set(lab) == {"event_id", "label", "scenario", "user_anomalous"}
        assert lab["event_id"] == ev["event_id"]
        assert lab["label"] in (0, 1) and type(lab["label"]) is int
        assert isinstance(lab["user_anomalous"], bool)
        assert lab["scenario"] in ["normal", *TYPOLOGIES]
        assert (lab["label"] == 1) == (lab["scenario"] != "normal")


@pytest.mark.parametrize("world", WORLDS)
def test_user_anomalous_marks_every_event_of_a_misbehaving_user(world: str) -> None:
    events, labels, info = medium(world)
    flags, labelled = defaultdict(set), defaultdict(int)
    for ev, lab in zip(events, labels):
        flags[ev["user_id"]].add(lab["user_anomalous"])
        labelled[ev["user_id"]] += lab["label"]
    assert all(len(f) == 1 for f in flags.values())
    anomalous = {u for u, f in flags.items() if True in f}
    assert anomalous == {u for u, n in labelled.items() if n}
    assert len(anomalous) == info["anomalous_users"]
    assert 0.02 <= len(anomalous) / info["users"] <= 0.08
    assert any(not lab["label"] for ev, lab in zip(events, labels) if lab["user_anomalous"])


@pytest.mark.parametrize("world", WORLDS)
def test_summary_counts(world: str) -> None:
    events, labels, info = small(world)
    assert info["loans"] == sum(e["event_type"] == "loan" for e in events)
    assert info["repayments"] == len(events) - info["loans"]
    assert info["labelled_events"] == sum(lab["label"] for lab in labels)


def test_anomaly_share_controls_misbehaviour() -> None:
    from stream.worlds_o import generate
    _, labels, info = generate("fishing_moratorium", 2, users=300, history_days=10, test_days=3, anomaly_share=0.0)
    assert info["anomalous_users"] == 0 and not any(lab["label"] or lab["user_anomalous"] for lab in labels)
    _, _, info = generate("fishing_moratorium", 2, users=300, history_days=10, test_days=3, anomaly_share=0.15)
    assert info["anomalous_users"] >= 0.08 * 300
