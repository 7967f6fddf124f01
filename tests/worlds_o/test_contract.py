"""Every event of every world, at small size, follows the contract."""
from __future__ import annotations

import pytest

from .contract import stream_problems
from .runs import WORLDS, small


@pytest.mark.parametrize("world", WORLDS)
def test_every_event_is_valid(world: str) -> None:
    events, _, _ = small(world)
    assert events, "a world produced no events"
    assert stream_problems(events)[:5] == []


@pytest.mark.parametrize("world", WORLDS)
def test_loans_stay_within_the_limit_they_report(world: str) -> None:
    events, _, _ = small(world)
    over = [e for e in events if e["event_type"] == "loan" and e["amount"] > e["credit_limit"]]
    assert over == []


@pytest.mark.parametrize("world", WORLDS)
def test_both_event_types_and_several_products_and_channels(world: str) -> None:
    events, _, _ = small(world)
    loans = [e for e in events if e["event_type"] == "loan"]
    assert len(loans) < len(events)
    assert len({e["product"] for e in loans}) >= 2
    assert len({e["channel"] for e in loans}) >= 2


def test_merchant_loans_name_their_merchant() -> None:
    for world in WORLDS:
        events, _, _ = small(world)
        for e in events:
            if e["event_type"] == "loan" and e["channel"] == "merchant":
                assert "merchant_id" in e, (world, e)
