"""Which partition a user's events belong to, and what to do with a message that is elsewhere.

A user's state lives on one partition of the input topic (its changelog is
partitioned alike), so every event of the user must arrive there.  A message
without a key (a producer that forgot it; Kafka then spreads them over all
partitions), keyed by something else, or keyed right but placed on another
partition than ``partitioner`` picks for its key (a producer with another
hash, or an explicit partition) is re-keyed: the worker sends a copy, keyed by
``user_id``, to that partition, and does not touch any state where the
original landed.  The copy keeps the original bytes, headers and record
timestamp, so it is judged exactly as if the producer had keyed it.

Re-keying rather than dead-lettering: the event is valid and its owner is
known, so refusing it would only lose it.  The share of re-keyed messages is a
metric (``riskmon_events_rekeyed_total``) the producer team can be asked about.

``partitioner`` should name the hash the producer fleet uses for keyed messages:
``murmur2`` (the Java client's, also aiokafka's and kafka-python's default) or
``crc32`` (librdkafka's default, ``consistent_random``: confluent-kafka, kcat).
A wrong setting costs a second trip for every message (each is re-keyed as
``wrong_partition``), never a forked state, and a fleet mixing both hashes is
still kept consistent.
"""

from __future__ import annotations

import zlib
from functools import lru_cache

from aiokafka.partitioner import murmur2

NO_KEY = "no_key"
KEY_MISMATCH = "key_mismatch"
WRONG_PARTITION = "wrong_partition"
#: Bounded label values of ``riskmon_events_rekeyed_total``.
REKEY_REASONS = (NO_KEY, KEY_MISMATCH, WRONG_PARTITION)
PARTITIONERS = ("murmur2", "crc32")


def rekey_reason(key: bytes | None, user_id: str, partition: int, partitions: int, partitioner: str) -> str | None:
    """Why a message with ``key``, found on ``partition`` of ``partitions``, must be sent on to
    ``user_id``'s partition; None when it is where it belongs."""
    if key is None or len(key) == 0:
        return NO_KEY
    if key != user_id.encode():
        return KEY_MISMATCH
    return None if partition == partition_for(key, partitions, partitioner) else WRONG_PARTITION


@lru_cache(maxsize=1 << 16)  # checked for every message; a user's partition is fixed for a partition count
def partition_for(key: bytes, partitions: int, partitioner: str = "murmur2") -> int:
    """The partition the producers' client picks for ``key`` among ``partitions``."""
    if partitions < 1:
        raise ValueError(f"a topic has at least one partition, got {partitions}")
    if partitioner == "murmur2":
        return (murmur2(key) & 0x7FFFFFFF) % partitions
    if partitioner == "crc32":
        return zlib.crc32(key) % partitions
    raise ValueError(f"partitioner must be one of {', '.join(PARTITIONERS)}, got {partitioner!r}")
