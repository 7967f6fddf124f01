"""The decoded-state cache in front of the Faust table (pure logic; the table is a dict here)."""

from __future__ import annotations

from stream.core.features import UserState
from stream.worker.state_table import StateCache


class _Table(dict):
    """Only what ``load_states`` uses of a Faust table: ``get`` by key bytes."""


def _stored(*user_ids: str) -> _Table:
    table = _Table()
    for n, user_id in enumerate(user_ids):
        state = UserState()
        state.n_loans = n + 1
        table[user_id.encode()] = state.to_bytes()
    return table


def test_a_cached_state_is_the_same_object_until_a_rebalance() -> None:
    table = _stored("a", "b")
    cache = StateCache(max_users=10)
    first = cache.load(table, ["a", "b", "c"], generation=1)
    assert sorted(first) == ["a", "b"] and first["b"].n_loans == 2  # "c" has no state yet
    first["a"].n_loans = 99  # the pipeline mutates, then the worker writes and keeps
    cache.keep(first)
    assert cache.load(table, ["a"], generation=1)["a"] is first["a"]
    # After a rebalance the table may have been restored: decode again from it.
    assert cache.load(table, ["a"], generation=2)["a"].n_loans == 1


def test_least_recently_written_users_are_dropped_first() -> None:
    table = _stored("a", "b", "c")
    cache = StateCache(max_users=2)
    cache.keep(cache.load(table, ["a", "b"], generation=1))
    cache.keep(cache.load(table, ["a"], generation=1))  # "a" is now the most recent
    cache.keep(cache.load(table, ["c"], generation=1))
    assert len(cache) == 2
    kept_a = cache.load(table, ["a"], generation=1)["a"]
    assert cache.load(table, ["a"], generation=1)["a"] is kept_a
    assert cache._states.keys() == {"a", "c"}


def test_a_zero_sized_cache_keeps_nothing() -> None:
    table = _stored("a")
    cache = StateCache(max_users=0)
    cache.keep(cache.load(table, ["a"], generation=1))
    assert len(cache) == 0
