"""The commit and fetch work-arounds of ``stream.worker.faust_fixes`` on Faust's own bookkeeping (no broker).

The recovery fixes change the order of steps against a live group;
``tests/integration/test_faults.py`` (kill -9 restart, failover) is what checks them.
"""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict

from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.transport.drivers.aiokafka import Consumer as AIOKafkaConsumer
from faust.types import TP
from intervaltree import IntervalTree

from stream.core.admission import undecodable_batch
from stream.worker.faust_fixes import (
    RiskmonConsumer, RiskmonProducer, TopicListingProducer, _ConsumerThread, _unpack_records_tolerant, install,
)

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


# --------------------------------------------------------------------------- fix 7: undecodable batches


def _batch(base_offset: int, values: list[bytes], compression: int = 0) -> bytearray:
    """One v2 record batch, as a broker returns it in a fetch response."""
    from aiokafka.record.default_records import DefaultRecordBatchBuilder

    builder = DefaultRecordBatchBuilder(2, compression, 0, -1, -1, -1, 1 << 20)
    for i, value in enumerate(values):
        builder.append(i, timestamp=1_700_000_000_000 + i, key=b"u-1", value=value, headers=[])
    buffer = bytearray(builder.build())
    buffer[0:8] = base_offset.to_bytes(8, "big")  # outside the CRC, like the broker's own offset assignment
    return buffer


def _read(data: bytes, tolerant: bool = True) -> list:
    from aiokafka.consumer.fetcher import PartitionRecords
    from aiokafka.record.memory_records import MemoryRecords
    from aiokafka.structs import TopicPartition

    records = PartitionRecords(TopicPartition("loan-events", 0), MemoryRecords(data), [], 0, None, None, True, 0)
    if tolerant:
        records._records_iterator = _unpack_records_tolerant(records)
    return list(records)


def _zstd_missing(monkeypatch) -> None:
    import aiokafka.codec

    monkeypatch.setattr(aiokafka.codec, "has_zstd", lambda: False)


def test_aiokafka_alone_raises_on_a_batch_it_cannot_decode(monkeypatch) -> None:
    # The upstream behaviour fix 7 exists for: the error escapes getmany and Faust crash-loops.
    import pytest
    from aiokafka.errors import UnsupportedCodecError

    data = bytes(_batch(0, [b"a"]) + _batch(1, [b"b", b"c"], compression=4))
    _zstd_missing(monkeypatch)
    with pytest.raises(UnsupportedCodecError):
        _read(data, tolerant=False)


def test_a_batch_without_its_codec_becomes_one_placeholder_and_the_partition_moves_on(monkeypatch) -> None:
    data = bytes(_batch(0, [b"a", b"b"]) + _batch(2, [b"c", b"d", b"e"], compression=4) + _batch(5, [b"f"]))
    _zstd_missing(monkeypatch)
    got = _read(data)
    assert [r.offset for r in got] == [0, 1, 4, 5]
    assert [r.value for r in got] == [b"a", b"b", None, b"f"]
    error = undecodable_batch(got[2].headers)
    assert error is not None and "offsets 2-4" in error and "zstd" in error
    assert all(undecodable_batch(r.headers) is None for r in (got[0], got[1], got[3]))


def test_a_corrupt_batch_becomes_a_placeholder() -> None:
    corrupt = _batch(1, [b"payload-1", b"payload-2"])
    corrupt[-3] ^= 0xFF  # a flipped bit in the records: the CRC no longer matches
    got = _read(bytes(_batch(0, [b"a"]) + corrupt + _batch(3, [b"z"])))
    assert [r.offset for r in got] == [0, 2, 3]
    assert "CorruptRecordException" in (undecodable_batch(got[1].headers) or "")


def test_every_codec_a_producer_may_use_is_installed() -> None:
    """make setup installs the codec extras; without them a compressed batch is undecodable."""
    import aiokafka.codec
    import kafka.codec

    for module in (aiokafka.codec, kafka.codec):
        assert module.has_gzip() and module.has_snappy() and module.has_lz4() and module.has_zstd(), module.__name__
    for compression in (1, 2, 3, 4):  # gzip, snappy, lz4, zstd
        got = _read(bytes(_batch(0, [b"x" * 500, b"y"], compression=compression)))
        assert [r.value for r in got] == [b"x" * 500, b"y"], compression


def test_the_worker_app_produces_on_a_producer_that_lists_every_topic(monkeypatch) -> None:
    """Fix 8 (``tests/integration/test_client_metadata.py`` checks it on the broker)."""
    import faust
    from aiokafka.consumer.fetcher import PartitionRecords

    monkeypatch.setattr(PartitionRecords, "_unpack_records", PartitionRecords._unpack_records)  # install patches it
    app = faust.App("riskmon-fix-8", broker="kafka://127.0.0.1:1")  # never started: no broker needed
    install(app)
    assert isinstance(app.producer, RiskmonProducer)
    assert app.producer._producer_type is TopicListingProducer


def test_the_workers_consumer_refreshes_metadata_for_an_unknown_subscribed_topic(monkeypatch) -> None:
    """Fix 9 on the consumer Faust builds (``tests/integration/test_client_metadata.py`` checks it on the broker)."""
    from types import SimpleNamespace

    refreshed: list[str] = []
    client = SimpleNamespace(
        set_topics=lambda topics: "listed",
        cluster=SimpleNamespace(partitions_for_topic=lambda t: {0} if t == "loan-events" else None),
        force_metadata_update=lambda: refreshed.append("refresh") or "refreshing",
    )
    made = SimpleNamespace(_client=client)
    monkeypatch.setattr(AIOKafkaConsumerThread, "_create_worker_consumer", lambda self, transport: made)
    thread = _ConsumerThread.__new__(_ConsumerThread)
    thread.consumer = SimpleNamespace(fetch_max_wait_ms=50)
    assert thread._create_worker_consumer(None) is made and made._fetch_max_wait_ms == 50
    assert client.set_topics(["loan-events"]) == "listed" and not refreshed
    assert client.set_topics(["loan-events", "x-device-state-changelog"]) == "refreshing" and refreshed == ["refresh"]
