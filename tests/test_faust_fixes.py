"""The commit and fetch work-arounds of ``stream.faust_fixes`` on Faust's own bookkeeping (no broker).

The recovery fixes change the order of steps against a live group;
``tests/test_faults.py`` (kill -9 restart, failover) is what checks them.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict

from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.transport.drivers.aiokafka import Consumer as AIOKafkaConsumer
from faust.types import TP
from intervaltree import IntervalTree

from stream.faust_fixes import RiskmonConsumer, _ConsumerThread

TOPIC_PARTITION = TP("loan-events", 0)


def _consumer(cls: type, acked: list[int], committed: int | None) -> AIOKafkaConsumer:
    """A consumer with only the bookkeeping ``_new_offset`` reads (no app, no broker)."""
    consumer = cls.__new__(cls)
    consumer._acked = defaultdict(list, {TOPIC_PARTITION: list(acked)})
    consumer._acked_index = defaultdict(set, {TOPIC_PARTITION: set(acked)})
    consumer._gap = defaultdict(IntervalTree)
    consumer._committed_offset = defaultdict(lambda: None, {TOPIC_PARTITION: committed})
    return consumer


def test_faust_alone_stops_at_a_duplicate_acked_offset() -> None:
    # The upstream behaviour the fix exists for; if this starts failing, Faust
    # fixed it and RiskmonConsumer can go.
    consumer = _consumer(AIOKafkaConsumer, [5, 5, 6, 6, 7, 7], committed=5)
    assert consumer._new_offset(TOPIC_PARTITION) == 6


def test_duplicates_do_not_hold_back_the_commit() -> None:
    consumer = _consumer(RiskmonConsumer, [5, 5, 6, 6, 7, 7], committed=5)
    assert consumer._new_offset(TOPIC_PARTITION) == 8
    assert consumer._acked[TOPIC_PARTITION] == []


def test_a_real_gap_still_holds_back_the_commit() -> None:
    consumer = _consumer(RiskmonConsumer, [5, 6, 6, 9, 10], committed=5)
    assert consumer._new_offset(TOPIC_PARTITION) == 7  # 7 and 8 not acked yet
    assert consumer._acked[TOPIC_PARTITION] == [9, 10]


def test_the_fetch_gets_a_snapshot_of_the_active_partitions(monkeypatch) -> None:
    # Faust passes its live set; emptying it while aiokafka waits must not
    # widen the fetch to every partition (fix 5).
    seen: list[set] = []

    async def parent_getmany(self, active_partitions, timeout):
        live.clear()  # Faust pauses the last active partitions meanwhile
        seen.append(set(active_partitions))
        return {}

    monkeypatch.setattr(AIOKafkaConsumerThread, "getmany", parent_getmany)
    thread = _ConsumerThread.__new__(_ConsumerThread)
    live = {TOPIC_PARTITION, TP("user-state-changelog", 0)}
    asyncio.run(thread.getmany(live, timeout=1.0))
    assert seen == [{TOPIC_PARTITION, TP("user-state-changelog", 0)}]


def test_no_fetch_for_an_empty_set_of_active_partitions(monkeypatch) -> None:
    calls: list[object] = []

    async def parent_getmany(self, active_partitions, timeout):
        calls.append(active_partitions)
        return {TOPIC_PARTITION: ["a record"]}

    monkeypatch.setattr(AIOKafkaConsumerThread, "getmany", parent_getmany)
    thread = _ConsumerThread.__new__(_ConsumerThread)
    assert asyncio.run(thread.getmany(set(), timeout=0.01)) == {}
    assert calls == []
    assert asyncio.run(thread.getmany(None, timeout=0.01)) == {TOPIC_PARTITION: ["a record"]}  # client-only: all


class _Record:
    def __init__(self, offset: int) -> None:
        self.offset = offset


def test_undelivered_records_are_put_back_from_the_first_one_not_handed_on() -> None:
    # Faust dropped 2 of partition 0's 5 records and all of partition 1's (fix 6).
    asked: list[dict] = []

    class Thread:
        async def put_back(self, positions):
            asked.append(dict(positions))

    consumer = RiskmonConsumer.__new__(RiskmonConsumer)
    consumer._thread = Thread()
    other = TP("loan-events", 1)
    records = {TOPIC_PARTITION: [_Record(o) for o in range(10, 15)], other: [_Record(7), _Record(8)],
               TP("loan-events", 2): [_Record(3)]}
    handed = Counter({TOPIC_PARTITION: 3, TP("loan-events", 2): 1})
    asyncio.run(consumer._put_back(records, handed))
    assert asked == [{TOPIC_PARTITION: (13, 15), other: (7, 9)}]


def test_put_back_only_where_nothing_moved_the_position_since() -> None:
    from aiokafka.consumer.subscription_state import SubscriptionState
    from aiokafka.structs import TopicPartition

    seeks: list[tuple] = []

    async def scenario() -> None:
        subscription = SubscriptionState()
        subscription.subscribe(topics={"loan-events"})
        tps = [TopicPartition("loan-events", p) for p in range(3)]
        subscription.assign_from_subscribed(set(tps))
        states = subscription.subscription.assignment
        states.state_value(tps[0]).seek(15)  # still where the dropped records left it
        states.state_value(tps[1]).seek(0)  # recovery rewound it meanwhile: leave it
        # tps[2] has no position yet (awaiting reset): leave it

        class Client:
            _subscription = subscription

            def seek(self, tp, offset):
                seeks.append((tp.partition, offset))

        thread = _ConsumerThread.__new__(_ConsumerThread)
        thread._consumer = Client()
        await thread._put_back({TP("loan-events", 0): (13, 15), TP("loan-events", 1): (7, 9),
                                TP("loan-events", 2): (3, 4), TP("other-topic", 0): (1, 2)})

    asyncio.run(scenario())
    assert seeks == [(0, 13)]
