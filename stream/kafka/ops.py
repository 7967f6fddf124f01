"""Kafka operations of the operator commands (``riskmon rescale``, ``riskmon seed``): groups, offsets,
partitions, copying records.

Plain kafka-python, synchronous, for any cluster (security from
``stream.kafka.config``).  Nothing here knows what the records mean; the
decisions are ``stream.core.rescale``'s.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterator, TypeVar

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from stream.kafka.config import kafka_client_config
from stream.kafka.topics import _admin, _raise_create_errors, partition_counts
from stream.settings import Settings

T = TypeVar("T")


def _with_admin(settings: Settings, timeout_s: float, call: Callable[[Any], T]) -> T:
    """``call(admin)``, again while the broker answers with a retriable error (a group coordinator
    still loading, a leader moving) for up to ``timeout_s``."""
    from kafka.errors import KafkaError

    deadline = time.monotonic() + timeout_s
    while True:
        admin = _admin(settings, timeout_s, "ops")
        try:
            return call(admin)
        except KafkaError as exc:
            if not getattr(exc, "retriable", False) or time.monotonic() > deadline:
                raise
        finally:
            admin.close()
        time.sleep(0.5)


def group_members(settings: Settings, group: str, timeout_s: float = 30.0) -> int:
    """Active members of consumer group ``group`` (0 for an empty or unknown group)."""
    described = _with_admin(settings, timeout_s, lambda admin: admin.describe_groups([group]).get(group) or {})
    return len(described.get("members") or [])


def committed_offsets(settings: Settings, group: str, topic: str, partitions: int,
                      timeout_s: float = 30.0) -> dict[int, int | None]:
    """The group's committed offset on each partition of ``topic`` (None: never committed)."""
    return {p: None if c is None else c[0] for p, c in commits(settings, group, topic, partitions, timeout_s).items()}


def commits(settings: Settings, group: str, topic: str, partitions: int,
            timeout_s: float = 30.0) -> dict[int, tuple[int, str] | None]:
    """The group's committed (offset, metadata) on each partition of ``topic`` (None: never committed)."""
    tps = [TopicPartition(topic, p) for p in range(partitions)]
    got = _with_admin(settings, timeout_s, lambda admin: admin.list_group_offsets({group: tps}).get(group, {}))
    out: dict[int, tuple[int, str] | None] = {}
    for tp in tps:
        meta = got.get(tp)
        done = meta is not None and meta.offset is not None and meta.offset >= 0
        out[tp.partition] = (meta.offset, meta.metadata or "") if done else None
    return out


def commit_offsets(settings: Settings, group: str, topic: str, offsets: dict[int, int], timeout_s: float = 30.0,
                   metadata: str = "") -> None:
    """Commit ``offsets`` (partition -> offset, with ``metadata``) for ``group``, which must have no active member."""
    if not offsets:
        return
    wanted = {TopicPartition(topic, p): OffsetAndMetadata(o, metadata, -1) for p, o in offsets.items()}
    result = _with_admin(settings, timeout_s, lambda admin: admin.alter_group_offsets(group, wanted))
    failed = {tp.partition: err for tp, err in result.items() if getattr(err, "errno", 0)}
    if failed:
        raise RuntimeError(f"could not commit offsets of {group} on {topic}: {failed}")


def _consumer(settings: Settings) -> KafkaConsumer:
    return KafkaConsumer(**kafka_client_config(settings), enable_auto_commit=False, allow_auto_create_topics=False,
                         max_partition_fetch_bytes=8 * 1024 * 1024)


def offsets(settings: Settings, topic: str, partitions: int) -> tuple[dict[int, int], dict[int, int]]:
    """(first, end) offset of each partition of ``topic``."""
    consumer = _consumer(settings)
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        first, end = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
    finally:
        consumer.close()
    return {tp.partition: first[tp] for tp in tps}, {tp.partition: end[tp] for tp in tps}


def offsets_after(settings: Settings, topic: str, partitions: int, timestamp_ms: int) -> dict[int, int | None]:
    """Per partition, the first offset whose record timestamp is ``timestamp_ms`` or later (None: none yet)."""
    consumer = _consumer(settings)
    try:
        found = consumer.offsets_for_times({TopicPartition(topic, p): timestamp_ms for p in range(partitions)})
    finally:
        consumer.close()
    return {tp.partition: None if hit is None else hit.offset for tp, hit in found.items()}


def read_range(settings: Settings, topic: str, ranges: dict[int, tuple[int, int]],
               timeout_s: float = 300.0) -> Iterator[Any]:
    """The records of each ``partition: [start, end)`` of ``topic``, in offset order per partition
    (kafka-python ``ConsumerRecord``: partition, offset, key, value, headers, timestamp)."""
    wanted = {p: (s, e) for p, (s, e) in ranges.items() if s < e}
    if not wanted:
        return
    consumer = _consumer(settings)
    try:
        tps = {p: TopicPartition(topic, p) for p in wanted}
        consumer.assign(list(tps.values()))
        for p, tp in tps.items():
            consumer.seek(tp, wanted[p][0])
        open_ = set(wanted)
        deadline = time.monotonic() + timeout_s
        while open_:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {topic} partitions {sorted(open_)} took over {timeout_s:.0f}s")
            for tp, records in consumer.poll(timeout_ms=500).items():
                end = wanted[tp.partition][1]
                for record in records:
                    if record.offset < end:
                        yield record
                if records and records[-1].offset >= end - 1 or consumer.position(tp) >= end:
                    open_.discard(tp.partition)
                    consumer.pause(tp)
            for p in list(open_):  # compaction can leave no record at end - 1
                if consumer.position(tps[p]) >= wanted[p][1]:
                    open_.discard(p)
    finally:
        consumer.close()


def read_all(settings: Settings, topic: str, timeout_s: float = 600.0) -> Iterator[Any]:
    """Every record now in ``topic`` (nothing if it does not exist)."""
    n = partition_counts(settings, [topic])[topic]
    if not n:
        return
    first, end = offsets(settings, topic, n)
    yield from read_range(settings, topic, {p: (first[p], end[p]) for p in range(n)}, timeout_s)


def create_topic(settings: Settings, name: str, partitions: int, configs: dict[str, str],
                 timeout_s: float = 30.0) -> int:
    """Create ``name`` unless it exists; returns its partition count."""
    existing = partition_counts(settings, [name])[name]
    if existing is not None:
        return existing
    admin = _admin(settings, timeout_s, "ops")
    try:
        result = admin.create_topics(
            {name: {"num_partitions": partitions, "replication_factor": settings.replication, "configs": configs}},
            timeout_ms=int(timeout_s * 1000), raise_errors=False)
        _raise_create_errors(result)
        admin.wait_for_topics([name], timeout_ms=int(timeout_s * 1000))
    finally:
        admin.close()
    return partition_counts(settings, [name])[name] or partitions


class ChangelogMismatch(RuntimeError):
    """A changelog topic exists with another partition count than its table needs."""


def create_changelog(settings: Settings, topic: str, partitions: int, timeout_s: float = 30.0) -> None:
    """A table's changelog topic as Faust creates one: compacted, the table's partition count.
    ChangelogMismatch when it exists with another count (its states would be on the wrong partitions)."""
    got = create_topic(settings, topic, partitions, {"cleanup.policy": "compact"}, timeout_s)
    if got != partitions:
        raise ChangelogMismatch(f"{topic} exists with {got} partitions, not {partitions}")


def add_partitions(settings: Settings, topic: str, total: int, timeout_s: float = 30.0) -> None:
    """Raise ``topic`` to ``total`` partitions and wait until they all have a leader."""
    admin = _admin(settings, timeout_s, "ops")
    try:
        admin.create_partitions({topic: total}, timeout_ms=int(timeout_s * 1000))
        deadline = time.monotonic() + timeout_s
        while partition_counts(settings, [topic])[topic] != total:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{topic} does not show {total} partitions after {timeout_s:.0f}s")
            time.sleep(0.2)
        admin.wait_for_topics([topic], timeout_ms=int(timeout_s * 1000))
    finally:
        admin.close()


class Writer:
    """Produces records to explicit partitions, in order per partition (one request in flight), acks=all."""

    def __init__(self, settings: Settings) -> None:
        self.producer = KafkaProducer(
            **kafka_client_config(settings), acks="all", linger_ms=5, batch_size=256 * 1024,
            max_request_size=4 * 1024 * 1024, max_in_flight_requests_per_connection=1,
        )
        self.futures: list[Any] = []

    def send(self, topic: str, partition: int, key: bytes | None, value: bytes | None,
             headers: list[tuple[str, bytes]] | None = None, timestamp_ms: int | None = None) -> None:
        self.futures.append(self.producer.send(topic, partition=partition, key=key, value=value,
                                               headers=headers or None, timestamp_ms=timestamp_ms))

    def flush(self, timeout_s: float = 120.0) -> None:
        """Wait until the broker has every record sent so far; raises if one was refused."""
        self.producer.flush(timeout=timeout_s)
        futures, self.futures = self.futures, []
        for future in futures:
            future.get(timeout=timeout_s)

    def close(self) -> None:
        self.producer.close()


def read_last(settings: Settings, topic: str, key: bytes, timeout_s: float = 30.0) -> bytes | None:
    """The newest value of ``key`` in single-partition ``topic`` (None: no such topic or key)."""
    value = None
    for record in read_all(settings, topic, timeout_s):
        if record.key == key:
            value = record.value
    return value


def write_value(settings: Settings, topic: str, key: bytes, value: bytes, timeout_s: float = 30.0) -> None:
    """Write ``key: value`` to single-partition compacted ``topic`` (created if needed), acknowledged."""
    create_topic(settings, topic, 1, {"cleanup.policy": "compact"}, timeout_s)
    writer = Writer(settings)
    try:
        writer.send(topic, 0, key, value)
        writer.flush(timeout_s)
    finally:
        writer.close()
