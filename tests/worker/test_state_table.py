"""The decoded-state cache in front of the Faust table, and reading stored states of older
layout versions (pure logic; the table is a dict here)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

from prometheus_client import REGISTRY

from stream.core.features import STATE_VERSION, UserState
from stream.worker.state_table import StateCache, TableStore

FIXTURES = Path(__file__).resolve().parents[1] / "core" / "fixtures"


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


def _resets() -> float:
    return REGISTRY.get_sample_value("riskmon_state_resets_total") or 0.0


def _upgrades(version: int) -> float:
    return REGISTRY.get_sample_value("riskmon_state_upgrades_total", {"from_version": str(version)}) or 0.0


def _changelog_after_an_upgrade() -> _Table:
    """A table as a new worker restores it: states the v2, v3 and v4 workers wrote
    (tests/core/fixtures, 30 users each, stored under distinct keys)."""
    table = _Table()
    for version in (2, 3, 4):
        stored = json.loads((FIXTURES / f"states_v{version}.json").read_text())["states"]
        for user, hex_state in stored.items():
            table[f"v{version}-{user}".encode()] = bytes.fromhex(hex_state)
    return table


def test_an_upgrade_migrates_stored_states_and_resets_none() -> None:
    """riskmon_state_resets_total stays 0 across an upgrade: the worker's state store reads
    every state an older version wrote, migrated to the current layout, and counts it by
    version; once written back in the current layout it is read as it is."""
    table = _changelog_after_an_upgrade()
    users = [key.decode() for key in table]
    resets, from_v2, from_v3 = _resets(), _upgrades(2), _upgrades(3)
    store = TableStore(SimpleNamespace(rebalancing_count=1), table, cache_users=0)  # type: ignore[arg-type]
    states = store.load(users)
    assert sorted(states) == sorted(users)
    assert all(type(s) is UserState and s.to_bytes()[0] == STATE_VERSION for s in states.values())
    assert _resets() == resets
    assert (_upgrades(2) - from_v2, _upgrades(3) - from_v3) == (30, 30)
    for user, state in states.items():  # what TableStore.write stores after the user's next event
        table[user.encode()] = state.to_bytes()
    again = store.load(users)
    assert {u: s.to_bytes() for u, s in again.items()} == {u: s.to_bytes() for u, s in states.items()}
    assert (_resets(), _upgrades(2) - from_v2, _upgrades(3) - from_v3) == (resets, 30, 30)


def test_states_of_no_readable_version_start_afresh_and_are_counted() -> None:
    """A newer version's state (a rolled-back worker) and corrupt bytes are reset, not misread."""
    table = _stored("a")
    newer = bytearray(table[b"a"])
    newer[0] = STATE_VERSION + 1
    table[b"newer"] = bytes(newer)
    table[b"corrupt"] = b"\x03" + b"\xff" * 40
    resets = _resets()
    states = StateCache(max_users=10).load(table, ["a", "newer", "corrupt"], generation=1)
    assert sorted(states) == ["a"]
    assert _resets() - resets == 2


def _write(store: TableStore, states: dict[str, UserState], monkeypatch) -> dict[bytes, bytes]:
    """``TableStore.write`` with the changelog producer replaced by a record of what it was given."""
    import asyncio

    from stream.worker import state_table

    sent: dict[bytes, bytes] = {}

    async def record(app, table, writes):  # noqa: ANN001 - the signature of write_states
        sent.update({key: value for key, value, _ in writes})

    monkeypatch.setattr(state_table, "write_states", record)
    assert store.load(list(states)) == {}  # as in a batch: load (nothing stored yet), update, write
    asyncio.run(store.write(states, store.to_store(states), {u: None for u in states}))  # type: ignore[dict-item]
    return sent


def _with_short_loans() -> UserState:
    state = UserState()
    state.n_loans = 3
    state.short_ring.add(1_780_000_000.0)
    return state


def test_during_a_rolling_upgrade_the_store_writes_what_older_members_read(monkeypatch) -> None:
    """state_write_version 3: v3 bytes go to the changelog, and the worker keeps in memory
    the state as any member reads those bytes back (v4's short-loan ring empty), so it
    scores the user's next event as a v3 worker or a restarted one would."""
    store = TableStore(SimpleNamespace(rebalancing_count=1), _Table(), cache_users=10, write_version=3)  # type: ignore[arg-type]
    state = _with_short_loans()
    sent = _write(store, {"u-1": state}, monkeypatch)
    assert sent[b"u-1"][0] == 3
    cached = store.load(["u-1"])["u-1"]
    assert cached is not state and cached.n_loans == 3 and cached.short_ring.total(1_780_000_000.0) == 0


def test_by_default_the_store_writes_the_current_version_and_keeps_the_state_it_wrote(monkeypatch) -> None:
    store = TableStore(SimpleNamespace(rebalancing_count=1), _Table(), cache_users=10)  # type: ignore[arg-type]
    state = _with_short_loans()
    sent = _write(store, {"u-1": state}, monkeypatch)
    assert sent[b"u-1"] == state.to_bytes() and store.load(["u-1"])["u-1"] is state


class _ScannedTable(_Table):
    """A table whose local store (``data``, what the epoch scan reads) counts the states it yields."""

    read = 0

    @property
    def data(self) -> "_ScannedTable":
        return self

    def values(self):  # type: ignore[override]
        for value in super().values():
            self.read += 1
            yield value


def _first_seen_at(table: _Table, user_id: str, first_ts: int) -> None:
    state = UserState()
    state.first_ts = first_ts
    table[user_id.encode()] = state.to_bytes()


def test_the_state_epoch_is_recovered_from_the_table_and_rescanned_after_a_rebalance_until_settled() -> None:
    """A restarted worker's epoch is its table's earliest account (none stored: it starts empty);
    a rebalance may bring older states, so it scans again, until the epoch is too old to matter."""
    day = 86400
    t0 = 1_780_000_000
    span = 20 * day  # the model's: settled once the newest event is 20 + 14 days past the epoch
    app, table = SimpleNamespace(rebalancing_count=1), _ScannedTable()
    store = TableStore(app, table, cache_users=10)  # type: ignore[arg-type]
    assert store.epoch(t0, span).start == 0
    _first_seen_at(table, "u-1", t0 + 3 * day)
    _first_seen_at(table, "u-2", t0 + 5 * day)
    store.epoch(t0 + 6 * day, span)
    assert table.read == 0  # the same assignment: the pipeline keeps it up to date itself
    app.rebalancing_count = 2
    assert store.epoch(t0 + 6 * day, span).start == t0 + 3 * day and table.read == 2
    _first_seen_at(table, "u-3", t0)  # a partition moved here holds an older account
    app.rebalancing_count = 3
    epoch = store.epoch(t0 + 6 * day, span)
    assert epoch.start == t0 and table.read == 5
    app.rebalancing_count = 4
    assert store.epoch(t0 + 40 * day, span) is epoch and epoch.settled() and table.read == 5
    # A model whose borrowers return more slowly unsettles it: scanned again, for its span.
    assert not store.epoch(t0 + 40 * day, 30 * day).settled() and table.read == 8


def test_a_long_running_workers_restart_reads_its_table_only_until_a_state_settles_the_epoch() -> None:
    day = 86400
    t0 = 1_780_000_000
    table = _ScannedTable()
    _first_seen_at(table, "u-new", t0 + 300 * day)  # borrowed first yesterday
    _first_seen_at(table, "u-old", t0)  # a borrower since the deployment, 301 days ago
    for k in range(1000):
        _first_seen_at(table, f"u-{k}", t0 + (k % 300) * day)
    store = TableStore(SimpleNamespace(rebalancing_count=1), table, cache_users=10)  # type: ignore[arg-type]
    epoch = store.epoch(t0 + 301 * day, 60 * day)
    assert epoch.settled() and epoch.start == t0 and table.read == 2
