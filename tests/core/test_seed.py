"""``stream.core.seed``: every state lands where the worker looks for it; seeding refuses what would fork state."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stream.core import seed
from stream.core.contract import parse_document
from stream.core.entities import STATE_VERSION, EntityState, Sighting
from stream.core.features import UserState, update
from stream.core.routing import PARTITIONERS, partition_for, rekey_reason

user_ids = st.from_regex(r"[A-Za-z0-9_.:-]{1,24}", fullmatch=True)  # the contract's id alphabet


def _state(user_id: str, amount: float) -> UserState:
    state = UserState()
    update(state, parse_document({
        "event_id": f"e-{user_id}", "event_type": "loan", "user_id": user_id, "ts": "2026-03-02T10:00:00+08:00",
        "amount": amount, "loan_id": f"l-{user_id}", "product": "cash_loan", "term_days": 30,
        "credit_limit": 5000, "segment": "individual", "channel": "app"}))
    return state


@given(st.dictionaries(user_ids, st.integers(10, 4000), min_size=1, max_size=20), st.integers(1, 64),
       st.sampled_from(PARTITIONERS))
def test_each_user_state_goes_to_the_partition_its_events_arrive_on(users: dict[str, int], partitions: int,
                                                                     partitioner: str) -> None:
    states = {u: _state(u, a) for u, a in users.items()}
    records = list(seed.user_records(states, partitions, partitioner, UserState.to_bytes))
    assert sorted(k.decode() for _, k, _ in records) == sorted(states)
    for partition, key, value in records:
        user = key.decode()
        # The worker accepts the user's events on this partition without re-keying them, and keys the table so.
        assert rekey_reason(key, user, partition, partitions, partitioner) is None
        assert value == states[user].to_bytes() and UserState.from_bytes(value).n_loans == 1


@given(st.lists(st.tuples(st.sampled_from(("device", "merchant")), user_ids), min_size=1, max_size=20, unique=True),
       st.integers(1, 16))
def test_entity_views_go_to_their_sighting_partition_by_type(keys: list[tuple[str, str]], partitions: int) -> None:
    entities = {}
    for kind, entity_id in keys:
        state = entities[(kind, entity_id)] = EntityState()
        state.add(Sighting(kind, entity_id, "e-1", "u-1", 1_772_400_000.0, new_account=True, heavy=False))
    for kind in ("device", "merchant"):
        records = list(seed.entity_records(entities, kind, partitions, STATE_VERSION))
        assert sorted(k.decode() for _, k, _ in records) == sorted(i for t, i in keys if t == kind)
        for partition, key, value in records:
            assert partition == partition_for(key, partitions)  # murmur2, as stream.worker.batch forwards sightings
            assert EntityState.from_bytes(value).to_bytes() == entities[(kind, key.decode())].to_bytes()


FIRST, END = {0: 5, 1: 0, 2: 10}, {0: 50, 1: 0, 2: 30}


def test_start_offsets_follow_the_chosen_start() -> None:
    after = {0: 20, 1: None, 2: 3}  # partition 2: its oldest kept record is already after the history
    assert seed.start_offsets(seed.AFTER_HISTORY, FIRST, END, after) == {0: 20, 1: 0, 2: 10}
    assert seed.start_offsets(seed.AFTER_HISTORY, FIRST, END, {}) == END  # nothing stamped after it: the end
    assert seed.start_offsets(seed.END, FIRST, END, after) == END
    assert seed.start_offsets(seed.EARLIEST, FIRST, END, after) == FIRST
    with pytest.raises(ValueError, match="after-history"):
        seed.start_offsets("latest", FIRST, END, after)


def _seen(members: int = 0, committed: dict | None = None, changelog: int = 0, rescaled: bool = False) -> seed.Observed:
    return seed.Observed("app", "loans", members, committed or {0: None, 1: None}, {"app-user-state-changelog": changelog},
                         rescaled)


def test_seeding_is_refused_once_a_worker_owns_the_state() -> None:
    assert seed.refusal(_seen()) is None and not seed.resuming(_seen())
    assert "running" in seed.refusal(_seen(members=1))
    assert "committed offsets" in seed.refusal(_seen(committed={0: (12, ""), 1: None}))
    assert "committed offsets" in seed.refusal(_seen(committed={0: (12, seed.SEED_METADATA), 1: (4, "")}))
    assert "rescaled" in seed.refusal(_seen(rescaled=True))


def test_an_earlier_seed_may_be_run_again_until_a_worker_commits() -> None:
    killed_before_commit = _seen(changelog=300)
    finished = _seen(committed={0: (12, seed.SEED_METADATA), 1: (0, seed.SEED_METADATA)}, changelog=300)
    for seen in (killed_before_commit, finished):
        assert seed.refusal(seen) is None and seed.resuming(seen)


def test_seeding_again_deletes_what_the_earlier_seed_wrote_and_this_one_does_not() -> None:
    """The latest value per key decides; keys already deleted, or written again, get no tombstone."""
    written = [(0, b"u-1", b"s"), (1, b"u-2", b"s"), (0, b"u-3", b"s"), (0, b"u-3", None), (1, b"u-4", b"s"),
               (1, None, b"x")]
    assert seed.left_over(written, [b"u-1", b"u-9"]) == [(1, b"u-2", None), (1, b"u-4", None)]
    assert seed.left_over(written, [b"u-1", b"u-2", b"u-4"]) == []


def test_the_command_line_offers_every_start() -> None:
    from stream.cli import SEED_START_FROM

    assert SEED_START_FROM == seed.START_FROM and seed.START_FROM[0] == seed.AFTER_HISTORY


def test_a_start_that_disagrees_with_the_record_times_says_what_it_costs() -> None:
    after = {0: 20, 1: None, 2: 3}  # after the history: offsets 20-49 of partition 0, all 20 kept of partition 2
    assert seed.start_warnings(seed.AFTER_HISTORY, FIRST, END, after) == []
    skipped, advice = seed.start_warnings(seed.END, FIRST, END, after)
    assert skipped.startswith("50 records are stamped after") and "after-history" in advice
    twice, _ = seed.start_warnings(seed.EARLIEST, FIRST, END, after)
    assert twice.startswith("15 records are stamped at or before")  # partition 0: 5..20
    assert seed.start_warnings(seed.END, FIRST, END, {}) == []  # nothing after the history: the end is right
    assert seed.start_warnings(seed.EARLIEST, FIRST, END, {0: 5, 1: None, 2: 10}) == []  # all after it
