"""``stream.core.packed_states``: a mapping whose cold values live as bytes (the replay's exactness: tests/offline)."""

from __future__ import annotations

import pytest

from stream.core.packed_states import PackedStates


def test_packed_states_behave_as_a_mapping() -> None:
    store = PackedStates(lambda b: [int(b)], lambda s: str(s[0]).encode(), hot=2)
    for i in range(5):
        store[f"k{i}"] = [i]
    store["k0"][0] += 10  # decoded again from its bytes, changed in place
    for i in range(1, 5):
        assert store[f"k{i}"] == [i]
    assert store["k0"] == [10] and store.get("nobody") is None and len(store) == 5
    del store["k3"]
    assert sorted(store) == ["k0", "k1", "k2", "k4"] and dict(store.items())["k4"] == [4]


def test_a_hot_set_must_hold_a_state() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        PackedStates(bytes, bytes, hot=0)
