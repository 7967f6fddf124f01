"""The decisions of ``riskmon rescale`` (stream.core.rescale), without a broker: the plan, the marker, which
states and tail records go where, the offsets committed, what the worker skips, and resuming after a kill."""

from __future__ import annotations

import random

import pytest

from stream.core import rescale as core
from stream.core.rescale import (
    DONE,
    IN_PROGRESS,
    Marker,
    Observed,
    RescaleInProgress,
    RescaleRefused,
    StateLocation,
    already_folded,
    copied_from,
    copy_target,
    folded_positions,
    latest_states,
    moves,
    offsets_to_commit,
    plan,
    running_problem,
    state_location,
    state_writes,
)
from stream.core.features import UserState, position
from stream.core.routing import origin_header, partition_for

KEYS = [f"u{i}".encode() for i in range(400)]


def _seen(**changes) -> Observed:
    base = dict(input_topic="in", input_partitions=4, changelog_partitions=4, members=0,
                committed={0: 10, 1: None, 2: 5, 3: 0}, beginnings={0: 0, 1: 3, 2: 0, 3: 0})
    base.update(changes)
    return Observed(**base)


def _fresh(target: int = 8, marker: Marker | None = None, **seen) -> Marker:
    return plan(marker, target, _seen(**seen), "murmur2", "2026-12-01T00:00:00+00:00").marker


def _done(m: Marker, tail_end: dict[int, int]) -> Marker:
    return Marker(**{**m.__dict__, "status": DONE, "tail_end": tail_end, "steps": core.STEPS})


# --------------------------------------------------------------------------- the plan


def test_a_fresh_plan_moves_the_state_to_a_new_table_and_starts_the_tail_where_the_group_stands() -> None:
    p = plan(None, 8, _seen(), "murmur2", "now")
    m = p.marker
    assert p.todo == core.STEPS and not p.resumed and not p.nothing_to_do
    assert (m.status, m.from_partitions, m.to_partitions) == (IN_PROGRESS, 4, 8)
    assert (m.source_table, m.target_table) == ("user-state", "user-state-p8")
    assert m.tail_start == {0: 10, 1: 3, 2: 5, 3: 0}  # never committed: from the partition's first offset
    assert m.tail_end is None and m.copy_start is None
    assert core.changelog_topic("app", m.target_table) == "app-user-state-p8-changelog"


@pytest.mark.parametrize("seen, said", [
    (dict(members=2), "stop every worker"),
    (dict(input_partitions=None), "does not exist"),
    (dict(input_partitions=16), "cannot remove partitions"),
    (dict(input_partitions=8, changelog_partitions=8), "nothing to do"),
])
def test_refusals_say_why(seen, said) -> None:
    with pytest.raises(RescaleRefused, match=said):
        plan(None, 8, _seen(**seen), "murmur2", "now")


def test_a_rescale_past_the_partitions_the_monitor_runs_on_is_refused() -> None:
    """Finding 24: the entity views tell at most ``MAX_PARTITIONS`` input partitions apart."""
    with pytest.raises(RescaleRefused, match="between 1 and 64"):
        plan(None, 65, _seen(), "murmur2", "now")
    assert plan(None, 64, _seen(), "murmur2", "now").marker.to_partitions == 64


def test_partitions_added_by_hand_are_rescaled_from_the_states_count() -> None:
    """The issue's case: loan-events raised to 8 under a running worker; the changelog still has 4."""
    m = _fresh(input_partitions=8, committed={p: None for p in range(8)}, beginnings={p: 0 for p in range(8)})
    assert (m.from_partitions, m.to_partitions) == (4, 8)
    assert sorted(m.tail_start) == list(range(8))  # records on the added partitions are checked too


def test_a_rescale_in_progress_is_resumed_only_to_its_own_target() -> None:
    m = _fresh().with_step(core.STATES).with_step(core.PARTITIONS)
    resumed = plan(m, 8, _seen(input_partitions=8), "murmur2", "later")
    assert resumed.resumed and resumed.todo == (core.TAIL, core.OFFSETS) and resumed.marker == m
    with pytest.raises(RescaleRefused, match="--partitions 8"):
        plan(m, 16, _seen(input_partitions=8), "murmur2", "later")
    with pytest.raises(RescaleRefused, match="stop every worker"):
        plan(m, 8, _seen(input_partitions=8, members=1), "murmur2", "later")


def test_running_it_again_after_it_finished_changes_nothing() -> None:
    m = _done(_fresh(), {0: 20, 1: 3, 2: 9, 3: 0})
    again = plan(m, 8, _seen(input_partitions=8, changelog_partitions=8), "murmur2", "later")
    assert again.nothing_to_do and again.marker == m


def test_the_next_rescale_starts_from_the_rescaled_table_once_the_moved_records_are_consumed() -> None:
    m = _done(_fresh(), {0: 20, 1: 3, 2: 9, 3: 0})
    seen = dict(input_partitions=8, changelog_partitions=8, beginnings={p: 0 for p in range(8)})
    with pytest.raises(RescaleRefused, match="not yet consumed past"):
        plan(m, 16, _seen(committed={0: 19, 1: 3, 2: 9, **{p: 0 for p in range(3, 8)}}, **seen), "murmur2", "t")
    nxt = plan(m, 16, _seen(committed={0: 20, 1: 3, 2: 9, **{p: 0 for p in range(3, 8)}}, **seen), "murmur2", "t")
    assert (nxt.marker.source_table, nxt.marker.target_table, nxt.marker.from_partitions) == (
        "user-state-p8", "user-state-p16", 8)


def test_the_marker_survives_its_bytes_and_refuses_garbage() -> None:
    m = _done(_fresh(), {0: 20, 1: 3, 2: 9, 3: 0})
    m = Marker(**{**m.__dict__, "copy_start": {p: 30 for p in range(8)}, "states": 12, "moved": 3})
    assert Marker.from_bytes(m.to_bytes()) == m
    with pytest.raises(ValueError, match="unreadable rescale marker"):
        Marker.from_bytes(b'{"format": 2}')


# --------------------------------------------------------------------------- the worker's side


def test_a_worker_refuses_to_start_mid_rescale_and_finds_the_new_table_after() -> None:
    assert state_location(None) == StateLocation("user-state", None, None)
    m = _fresh()
    with pytest.raises(RescaleInProgress, match="riskmon rescale --partitions 8"):
        state_location(m)
    where = state_location(_done(m, {0: 20, 1: 3, 2: 9, 3: 0}))
    assert (where.table, where.partitions) == ("user-state-p8", 8)
    assert where.moved.ranges == {0: (10, 20), 2: (5, 9)}  # empty tails leave nothing to skip


def test_a_running_worker_stops_when_a_rescale_begins_or_moved_its_table() -> None:
    m = _fresh()
    assert running_problem(None, "user-state") is None
    assert "in progress" in running_problem(m, "user-state")
    done = _done(m, {0: 20, 1: 3, 2: 9, 3: 0})
    assert "restart it" in running_problem(done, "user-state")
    assert running_problem(done, "user-state-p8") is None


def test_the_worker_skips_exactly_the_tail_records_the_rescale_copied() -> None:
    moved = _done(_fresh(), {0: 20, 1: 3, 2: 9, 3: 0}).moved_records()
    leaving = next(k for k in KEYS if partition_for(k, 4) == 0 and partition_for(k, 8) != 0)
    staying = next(k for k in KEYS if partition_for(k, 4) == 0 and partition_for(k, 8) == 0)
    assert moved(0, 10, leaving) and moved(0, 19, leaving)
    assert not moved(0, 9, leaving) and not moved(0, 20, leaving)  # before the tail; after it (re-keyed as ever)
    assert not moved(0, 12, staying) and not moved(0, 12, None)  # stays; keyless ones are re-keyed as ever
    assert not moved(4, 12, leaving)  # a copy on its new partition


# --------------------------------------------------------------------------- the states


def test_latest_states_follow_compaction_and_prefer_the_owning_partition() -> None:
    a, b, c = KEYS[:3]
    home = partition_for(c, 4)
    records = [(partition_for(a, 4), a, b"a1"), (partition_for(a, 4), a, b"a2"),
               (partition_for(b, 4), b, b"b1"), (partition_for(b, 4), b, None),
               ((home + 1) % 4, c, b"c-stray"), (home, c, b"c-home"), ((home + 1) % 4, c, b"c-stray2"),
               (0, None, b"no key")]
    snap = latest_states(records, 4, "murmur2")
    assert snap.states == {a: b"a2", c: b"c-home"} and snap.conflicts == 1


def test_state_writes_place_each_user_by_the_new_count_and_skip_what_is_there() -> None:
    source = {k: b"s-" + k for k in KEYS[:50]}
    writes = state_writes(source, {}, 8, "murmur2")
    assert {k: v for _, k, v in writes} == source
    assert all(p == partition_for(k, 8) for p, k, _ in writes)
    half = {k: v for _, k, v in writes[:20]}
    stale = {KEYS[60]: b"not in the source", KEYS[0]: b"older"}
    rest = state_writes(source, {**half, **stale}, 8, "murmur2")
    assert {k for _, k, _ in rest} == (set(source) - set(half)) | {KEYS[60], KEYS[0]}
    assert (partition_for(KEYS[60], 8), KEYS[60], None) in rest  # a tombstone for what the source lacks


# --------------------------------------------------------------------------- the tail and the offsets


def test_copied_tail_records_are_recognised_by_their_header() -> None:
    headers = [("trace", b"x"), (core.MOVED_HEADER, origin_header("in", 3, 1234))]
    assert copied_from(headers, "in") == (3, 1234)
    again = [*headers, (core.MOVED_HEADER, origin_header("in", 9, 77))]  # copied again by a second rescale
    assert copied_from(again, "in") == (9, 77)
    assert copied_from(headers, "other-topic") is None
    assert copied_from([(core.MOVED_HEADER, b"garbage")], "in") is None and copied_from(None, "in") is None


def test_offsets_start_unconsumed_partitions_at_their_beginning_and_leave_the_rest() -> None:
    committed = {0: 10, 1: None, 2: 5, 3: 0, 4: None, 5: None}
    assert offsets_to_commit(committed, {0: 0, 1: 3, 2: 0, 3: 0, 4: 0, 5: 0}) == {1: 3, 4: 0, 5: 0}


def test_a_tail_record_is_already_folded_when_its_users_latest_state_covers_it() -> None:
    """``folded_positions`` reads the position of the latest states (``latest_states``: the newer of
    u1's two; states without one and bytes that are not a state: none); ``already_folded`` compares
    on the record's own partition."""
    older, newer = UserState(), UserState()
    older.folded_through, newer.folded_through = position(2, 50), position(2, 80)
    records = [(partition_for(k, 4), k, v) for k, v in ((b"u1", older.to_bytes()), (b"u2", b"not a state"),
                                                         (b"u1", newer.to_bytes()), (b"u4", UserState().to_bytes()))]
    folded = folded_positions(latest_states(records, 4, "murmur2").states)
    assert folded == {b"u1": position(2, 80)}
    assert already_folded(folded, 2, 80, b"u1") and already_folded(folded, 2, 0, b"u1")
    assert not already_folded(folded, 2, 81, b"u1") and not already_folded(folded, 3, 10, b"u1")
    assert not already_folded(folded, 2, 10, b"u2") and not already_folded(folded, 2, 10, None)


def test_a_tail_copy_killed_anywhere_and_resumed_puts_every_moving_record_once_in_order() -> None:
    """Copies go out in offset order per source partition and arrive as a prefix per target partition
    (one request in flight); a resumed run finds the copied ones by header and copies the rest."""
    rng = random.Random(5)
    tail = [(p, 100 + i, rng.choice([k for k in KEYS if partition_for(k, 4) == p]))
            for p in range(4) for i in range(60)]
    wanted = [(p, o, copy_target(p, o, k, set(), 8, "murmur2")) for p, o, k in tail]
    wanted = [w for w in wanted if w[2] is not None]
    assert 0 < len(wanted) < len(tail)
    assert all(moves(k, p, 8, "murmur2") == (copy_target(p, o, k, set(), 8, "murmur2") is not None) for p, o, k in tail)
    for kill_after in (0, 1, len(wanted) // 3, len(wanted) - 1):
        logs: dict[int, list[tuple[int, int]]] = {t: [] for t in range(8)}  # target -> originals copied there
        sent = wanted[:kill_after]
        delivered = {t: [w for w in sent if w[2] == t] for t in range(8)}
        for t in range(8):  # each target keeps a prefix of what was sent to it
            logs[t] += [(p, o) for p, o, _ in delivered[t][: rng.randint(0, len(delivered[t]))]]
        copied = {origin for log in logs.values() for origin in log}
        for p, o, k in tail:  # the resumed run
            target = copy_target(p, o, k, copied, 8, "murmur2")
            if target is not None:
                logs[target].append((p, o))
        everything = [origin for log in logs.values() for origin in log]
        assert sorted(everything) == sorted((p, o) for p, o, _ in wanted), "a record lost or copied twice"
        for log in logs.values():
            for p in range(4):
                from_p = [o for q, o in log if q == p]
                assert from_p == sorted(from_p), "a user's events out of order"
