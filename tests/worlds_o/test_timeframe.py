"""The time frame the caller depends on: a fixed opening instant, every event inside
[start, start + H + T days), time order, and a stream that opens mid-life."""
from __future__ import annotations

from datetime import timedelta

import pytest

from stream.worlds_o import generate

from .runs import START, WORLDS, small, when


def check_frame(events: list[dict], days: int) -> None:
    times = [when(e) for e in events]
    assert all(e["ts"].endswith("+08:00") for e in events)
    assert min(times) >= START
    assert max(times) < START + timedelta(days=days)
    assert times == sorted(times)


@pytest.mark.parametrize("world", WORLDS)
def test_small_run_frame(world: str) -> None:
    events, _, info = small(world)
    check_frame(events, 15)
    assert info["start"] == "2026-01-05T00:00:00+08:00"


@pytest.mark.parametrize("world", WORLDS)
def test_shortest_and_longest_windows(world: str) -> None:
    for users, history, test in ((150, 10, 3), (150, 90, 14)):
        events, labels, _ = generate(world, 3, users=users, history_days=history, test_days=test)
        check_frame(events, history + test)
        assert len(labels) == len(events)
        assert any(when(e) >= START + timedelta(days=history) for e in events)


@pytest.mark.parametrize("world", WORLDS)
def test_loans_already_running_when_the_stream_opens(world: str) -> None:
    """Repayments into loans the stream never showed, some in the first week."""
    events, _, _ = small(world)
    opened = {e["loan_id"] for e in events if e["event_type"] == "loan"}
    unseen = [e for e in events if e["event_type"] == "repayment" and e["loan_id"] not in opened]
    assert unseen
    assert any(when(e) < START + timedelta(days=7) for e in unseen)
