"""The restart phase's Kafka I/O: fill a state changelog, read it back whole (timed), sample it.

Written the way the worker writes its changelog (``state_table.write_states``):
raw key and value bytes in aiokafka record batches to explicit partitions,
``acks=all``, no compression (Faust's default, which the worker keeps), so
the broker holds what a worker with that many users would leave behind.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Iterable

from stream.kafka import ops
from stream.kafka.config import aiokafka_client_config
from stream.settings import Settings

#: Record batch size: the worker's producer_max_batch_size (stream.worker.app), so the broker stores
#: the changelog in batches of the size the worker's own writes make.
BATCH_BYTES = 256 * 1024
#: Batches awaited together; bounds the memory a million-state fill holds in flight.
IN_FLIGHT = 32


def fill(settings: Settings, topic: str, records: Iterable[tuple[int, bytes, bytes]]) -> tuple[int, int]:
    """Write ``(partition, key, value)`` records, acknowledged; returns (records, key + value bytes)."""
    return asyncio.run(_fill(settings, topic, records))


async def _fill(settings: Settings, topic: str, records: Iterable[tuple[int, bytes, bytes]]) -> tuple[int, int]:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(acks="all", max_batch_size=BATCH_BYTES, linger_ms=0,
                                **aiokafka_client_config(settings))
    await producer.start()
    try:
        open_: dict[int, Any] = {}
        pending: list[asyncio.Future] = []
        count = size = 0
        for partition, key, value in records:
            batch = open_.get(partition)
            if batch is None:
                batch = open_[partition] = producer.create_batch()
            if batch.append(key=key, value=value, timestamp=None) is None:  # full: send it, start another
                pending.append(await producer.send_batch(batch, topic, partition=partition))
                batch = open_[partition] = producer.create_batch()
                batch.append(key=key, value=value, timestamp=None)
                if len(pending) >= IN_FLIGHT:
                    await asyncio.gather(*pending)
                    pending.clear()
            count += 1
            size += len(key) + len(value)
        for partition, batch in open_.items():
            pending.append(await producer.send_batch(batch, topic, partition=partition))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
    return count, size


def read_whole(settings: Settings, topic: str, partitions: int, timeout_s: float = 900.0) -> tuple[float, int]:
    """(seconds, records) for a bare aiokafka consumer to read ``topic`` from the start to its end.

    The reference for the restart times: the client Faust recovers with, at its
    default fetch sizes, doing nothing with the records; timed from creating the
    consumer (connection and metadata included, as a starting worker pays them).
    """
    return asyncio.run(_read_whole(settings, topic, partitions, timeout_s))


async def _read_whole(settings: Settings, topic: str, partitions: int, timeout_s: float) -> tuple[float, int]:
    from aiokafka import AIOKafkaConsumer, TopicPartition

    started = time.monotonic()
    consumer = AIOKafkaConsumer(enable_auto_commit=False, auto_offset_reset="earliest",
                                **aiokafka_client_config(settings))
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        ends = await consumer.end_offsets(tps)
        records = 0
        left = {tp for tp in tps if ends[tp] > 0}
        while left:
            if time.monotonic() - started > timeout_s:
                raise TimeoutError(f"reading {topic} took over {timeout_s:.0f}s")
            for tp, batch in (await consumer.getmany(timeout_ms=500)).items():
                records += len(batch)
            left = {tp for tp in left if await consumer.position(tp) < ends[tp]}
        return time.monotonic() - started, records
    finally:
        await consumer.stop()


def sample(settings: Settings, topic: str, partitions: int, per_partition: int = 5) -> dict[bytes, bytes]:
    """The first ``per_partition`` records of each partition, key -> value (to decode as the worker does)."""
    _, ends = ops.offsets(settings, topic, partitions)
    ranges = {p: (0, min(per_partition, ends[p])) for p in range(partitions)}
    return {r.key: r.value for r in ops.read_range(settings, topic, ranges, timeout_s=60.0)}
