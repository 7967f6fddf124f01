"""``stream.ops.rescale`` against an in-memory Kafka: killed after every record it sends, then run again.

The broker test (tests/integration/test_rescale.py) kills the real command
twice; here every kill point of both copying steps is tried, with a random
part of the records in flight reaching the broker, and a worker joining the
group during the rescale.
"""

from __future__ import annotations

import random
from collections import Counter
from types import SimpleNamespace

import pytest

from stream.core import rescale as core
from stream.core.rescale import RescaleRefused
from stream.core.features import UserState, position
from stream.core.routing import partition_for
from stream.ops import rescale as ops_rescale
from stream.settings import Settings

SETTINGS = Settings(app_id="app", input_topic="in")
OLD = core.changelog_topic("app", core.BASE_TABLE)
NEW = core.changelog_topic("app", core.table_name(8))


class Killed(BaseException):
    """kill -9: nothing after it runs, nothing in flight is delivered later."""


class FakeKafka:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.topics: dict[str, list[list[SimpleNamespace]]] = {}
        self.committed: dict[int, int] = {}
        self.members = 0
        self.members_after_steps: int | None = None

    # -- the stream.kafka.ops functions the rescale uses
    def append(self, topic, partition, key, value, headers=None, timestamp_ms=None):
        log = self.topics[topic][partition]
        log.append(SimpleNamespace(partition=partition, offset=len(log), key=key, value=value,
                                   headers=list(headers or []), timestamp=timestamp_ms))

    def partition_counts(self, settings, names):
        return {n: len(self.topics[n]) if n in self.topics else None for n in names}

    def create_topic(self, settings, name, partitions, configs):
        self.topics.setdefault(name, [[] for _ in range(partitions)])
        return len(self.topics[name])

    def add_partitions(self, settings, topic, total):
        self.topics[topic] += [[] for _ in range(total - len(self.topics[topic]))]

    def offsets(self, settings, topic, partitions):
        return {p: 0 for p in range(partitions)}, {p: len(self.topics[topic][p]) for p in range(partitions)}

    def read_range(self, settings, topic, ranges):
        for p, (start, end) in sorted(ranges.items()):
            yield from self.topics[topic][p][start:end]

    def read_all(self, settings, topic):
        for log in self.topics.get(topic, []):
            yield from list(log)

    def read_last(self, settings, topic, key):
        values = [r.value for r in self.read_all(settings, topic) if r.key == key]
        return values[-1] if values else None

    def write_value(self, settings, topic, key, value):
        self.create_topic(settings, topic, 1, {})
        self.append(topic, 0, key, value)

    def group_members(self, settings, group):
        return self.members

    def committed_offsets(self, settings, group, topic, partitions):
        return {p: self.committed.get(p) for p in range(partitions)}

    def commit_offsets(self, settings, group, topic, offsets):
        self.committed.update(offsets)

    def Writer(self, settings):  # noqa: N802 - stands in for the class
        kafka = self

        class Writer:
            pending: list = []

            def send(self, topic, partition, key, value, headers=None, timestamp_ms=None):
                self.pending.append((topic, partition, key, value, headers, timestamp_ms))

            def deliver_some(self):  # the producer's sender thread, when the process is killed
                by_partition: dict = {}
                for record in self.pending:
                    by_partition.setdefault(record[:2], []).append(record)
                for records in by_partition.values():  # in order per partition: a prefix arrives
                    for record in records[: kafka.rng.randint(0, len(records))]:
                        kafka.append(*record)
                self.pending = []

            def flush(self):
                for record in self.pending:
                    kafka.append(*record)
                self.pending = []

            def close(self):
                self.pending = []

        writer = Writer()
        kafka.writer = writer
        return writer


@pytest.fixture
def kafka(monkeypatch) -> FakeKafka:
    fake = FakeKafka(seed=3)
    monkeypatch.setattr(ops_rescale, "ops", fake)
    monkeypatch.setattr(ops_rescale, "partition_counts", fake.partition_counts)
    return fake


USERS = [f"u{i}".encode() for i in range(120)]


def _deployment(kafka: FakeKafka) -> tuple[dict[bytes, bytes], list[tuple[int, int, bytes]]]:
    """States of 120 users on 4 partitions (rewritten, one deleted), input with a consumed part and a tail."""
    kafka.create_topic(SETTINGS, OLD, 4, {})
    kafka.create_topic(SETTINGS, "in", 4, {})
    states = {}
    for round_ in range(2):
        for u in USERS:
            kafka.append(OLD, partition_for(u, 4), u, b"state-%d-" % round_ + u)
            states[u] = b"state-%d-" % round_ + u
    kafka.append(OLD, partition_for(USERS[7], 4), USERS[7], None)
    del states[USERS[7]]
    data = random.Random(1)
    for i in range(600):
        u = data.choice(USERS)
        kafka.append("in", partition_for(u, 4), u, b"event-%d" % i, [("trace", b"x")], 1000 + i)
    kafka.committed = {0: 40, 1: 25, 2: 60}  # partition 3 never consumed
    tail = [(r.partition, r.offset, r.key) for p in range(4) for r in kafka.topics["in"][p]
            if r.offset >= kafka.committed.get(p, 0)]
    return states, tail


def _run(kafka: FakeKafka, kill_at: tuple[str, int] | None = None):
    def progress(step: str, n: int) -> None:
        if kill_at == (step, n):
            kafka.writer.deliver_some()
            raise Killed

    return ops_rescale.rescale(SETTINGS, 8, progress=progress, say=lambda line: None)


def _check_result(kafka: FakeKafka, states: dict[bytes, bytes], tail) -> None:
    marker = core.Marker.from_bytes(kafka.read_last(SETTINGS, core.marker_topic("app"), core.MARKER_KEY))
    assert marker.status == core.DONE and marker.target_table == "user-state-p8"
    latest = core.latest_states(((r.partition, r.key, r.value) for r in kafka.read_all(SETTINGS, NEW)), 8, "murmur2")
    assert latest.states == states and latest.conflicts == 0
    assert all(r.partition == partition_for(r.key, 8) for r in kafka.read_all(SETTINGS, NEW))
    copies = [(r.partition, core.copied_from(r.headers, "in"), r.value)
              for p in range(8) for r in kafka.topics["in"][p] if core.copied_from(r.headers, "in")]
    moving = [(p, o, k) for p, o, k in tail if partition_for(k, 8) != p]
    assert sorted(origin for _, origin, _ in copies) == sorted((p, o) for p, o, _ in moving), "lost or doubled"
    for target in range(8):  # in order: a user's events come from one old partition
        origins = [origin for t, origin, _ in copies if t == target]
        for p in range(4):
            offsets = [o for q, o in origins if q == p]
            assert offsets == sorted(offsets)
    skipped = marker.moved_records()
    assert all(skipped(p, o, k) for p, o, k in moving)
    assert not any(skipped(p, o, k) for p, o, k in tail if partition_for(k, 8) == p)
    assert kafka.committed == {0: 40, 1: 25, 2: 60, 3: 0, 4: 0, 5: 0, 6: 0, 7: 0}
    assert marker.states == len(states) and marker.moved == len(moving)


def test_tail_records_a_killed_worker_had_folded_are_not_copied(kafka) -> None:
    """A worker killed before it committed had folded part of the tail.  Copies of those records
    would be new messages on the new partitions, whose replay only the user's recent event ids
    could recognise (docs/reliability.md, finding 20).  The user's state says how far it folded
    (``folded_through``): those records are not copied (the worker skips the originals, as every
    moved one), the user's later ones are."""
    states, tail = _deployment(kafka)
    moving = [(p, o, k) for p, o, k in tail if partition_for(k, 8) != p]
    firsts: dict[bytes, tuple[int, int]] = {}
    for p, o, k in moving:
        firsts.setdefault(k, (p, o))
    folded_users = [k for k in firsts if sum(1 for _, _, u in moving if u == k) >= 2][:5]
    assert len(folded_users) == 5, "test data: too few users with two moving tail records"
    for user in folded_users:  # folded through its first moving tail record
        state = UserState()
        state.folded_through = position(*firsts[user])
        states[user] = state.to_bytes()
        kafka.append(OLD, partition_for(user, 4), user, states[user])
    _run(kafka)
    marker = core.Marker.from_bytes(kafka.read_last(SETTINGS, core.marker_topic("app"), core.MARKER_KEY))
    copied = sorted(core.copied_from(r.headers, "in") for p in range(8) for r in kafka.topics["in"][p]
                    if core.copied_from(r.headers, "in"))
    left = {firsts[user] for user in folded_users}
    assert copied == sorted((p, o) for p, o, _ in moving if (p, o) not in left)
    assert marker.moved == len(moving) - len(left)
    assert all(marker.moved_records()(p, o, k) for p, o, k in moving)  # the originals are skipped all the same


def test_a_second_rescale_killed_and_run_again_copies_each_record_once(kafka) -> None:
    """An outside review's case (docs/reliability.md, finding 26): 4 -> 8, then 8 -> 16 while the
    first rescale's copies still wait unconsumed, killed in its tail step and run again.  Those
    copies are copied again with a second header; the resumed run must read the last one (the
    record it copied from), or it copies the killed run's records twice."""
    _deployment(kafka)
    first = ops_rescale.rescale(SETTINGS, 8, say=lambda line: None).marker
    for p in first.tail_end:  # the workers read past the originals, not yet the copies on 4..7
        kafka.committed[p] = len(kafka.topics["in"][p])

    def kill_after_40(step: str, n: int) -> None:
        if (step, n) == (core.TAIL, 40):
            kafka.writer.deliver_some()
            raise Killed

    with pytest.raises(Killed):
        ops_rescale.rescale(SETTINGS, 16, progress=kill_after_40, say=lambda line: None)
    second = ops_rescale.rescale(SETTINGS, 16, say=lambda line: None).marker
    origins = Counter(core.copied_from(r.headers, "in") for p in range(16)
                      for r in kafka.topics["in"][p][second.copy_start[p]:] if core.copied_from(r.headers, "in"))
    assert origins and max(origins.values()) == 1, "a tail record copied twice"
    assert sum(origins.values()) == second.moved


def test_a_rescale_without_interruption(kafka) -> None:
    states, tail = _deployment(kafka)
    _run(kafka)
    _check_result(kafka, states, tail)
    assert kafka.topics.keys() >= {OLD, NEW} and len(kafka.topics["in"]) == 8


@pytest.mark.parametrize("step", [core.STATES, core.TAIL])
def test_killed_after_any_record_and_run_again_it_ends_the_same(monkeypatch, step) -> None:
    probe = FakeKafka(seed=0)
    monkeypatch.setattr(ops_rescale, "ops", probe)
    monkeypatch.setattr(ops_rescale, "partition_counts", probe.partition_counts)
    _deployment(probe)
    sent = ops_rescale.rescale(SETTINGS, 8, say=lambda line: None).marker
    total = sent.states if step == core.STATES else sent.moved
    for k in range(1, total + 1, 7):
        kafka = FakeKafka(seed=k)
        monkeypatch.setattr(ops_rescale, "ops", kafka)
        monkeypatch.setattr(ops_rescale, "partition_counts", kafka.partition_counts)
        states, tail = _deployment(kafka)
        with pytest.raises(Killed):
            _run(kafka, kill_at=(step, k))
        try:  # killed a second time, if what is left gets that far
            _run(kafka, kill_at=(step, max(1, k // 2)))
        except Killed:
            _run(kafka)
        _check_result(kafka, states, tail)
        assert "nothing to do" in " ".join(_run(kafka).lines)


def test_a_worker_that_joins_during_the_rescale_makes_it_copy_the_states_again(kafka, monkeypatch) -> None:
    states, tail = _deployment(kafka)
    real = ops_rescale._commit_offsets

    def worker_joins(settings, m, progress, note):  # ...and writes a state to the old changelog
        kafka.members = 1
        kafka.append(OLD, partition_for(USERS[3], 4), USERS[3], b"written by the worker")
        return real(settings, m, progress, note)

    monkeypatch.setitem(ops_rescale.STEP_RUNNERS, core.OFFSETS, worker_joins)
    with pytest.raises(RescaleRefused, match="copies the states again"):
        _run(kafka)
    with pytest.raises(RescaleRefused, match="stop every worker"):
        _run(kafka)
    kafka.members = 0
    monkeypatch.setitem(ops_rescale.STEP_RUNNERS, core.OFFSETS, real)
    _run(kafka)
    _check_result(kafka, {**states, USERS[3]: b"written by the worker"}, tail)
