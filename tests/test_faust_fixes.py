"""The commit and fetch work-arounds of ``stream.faust_fixes`` on Faust's own bookkeeping (no broker).

The recovery fixes change the order of steps against a live group;
``tests/test_faults.py`` (kill -9 restart, failover) is what checks them.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict

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
