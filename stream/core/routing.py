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

A forwarder that crashes before it commits is followed by one that reads the
same originals and sends their copies again: new messages at new offsets.  Each
copy says where its original sat (``REKEYED_FROM_HEADER``) and which copy its
forwarder sent before it for the same user from the same partition in the same
batch (``REKEYED_AFTER_HEADER``), and the user's state counts a source
partition's copies as folded through an unbroken chain of them
(``stream.core.features.Copy``), so a copy sent again is recognised however
many there are.  A copy re-keyed a second time (the partition count changed on
its way) carries no chain: its order is not its original partition's.

``partitioner`` should name the hash the producer fleet uses for keyed messages:
``murmur2`` (the Java client's, also aiokafka's and kafka-python's default) or
``crc32`` (librdkafka's default, ``consistent_random``: confluent-kafka, kcat).
A wrong setting costs a second trip for every message (each is re-keyed as
``wrong_partition``), never a forked state, and a fleet mixing both hashes is
still kept consistent.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping, MutableMapping
from functools import lru_cache
from typing import Any

from aiokafka.partitioner import murmur2

from stream.core.features import OFFSET_BITS, Copy, position

NO_KEY = "no_key"
KEY_MISMATCH = "key_mismatch"
WRONG_PARTITION = "wrong_partition"
#: Bounded label values of ``riskmon_events_rekeyed_total``.
REKEY_REASONS = (NO_KEY, KEY_MISMATCH, WRONG_PARTITION)
PARTITIONERS = ("murmur2", "crc32")
#: Where a re-keyed copy's original sat: ``topic:partition:offset`` (one more for each time it is re-keyed).
REKEYED_FROM_HEADER = "riskmon-rekeyed-from"
#: The offset of the original of the copy sent just before it for the same user from the same
#: partition in the same batch; empty when it was the first.
REKEYED_AFTER_HEADER = "riskmon-rekeyed-after"
_PARTITION_LIMIT = 1 << (64 - OFFSET_BITS)  # what a ``position`` holds
_OFFSET_LIMIT = (1 << OFFSET_BITS) - 1


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


def header_items(headers: Any) -> list[tuple[str, bytes]]:
    """A message's headers as (name, value) pairs, from Faust's list or mapping alike."""
    return list(headers.items() if isinstance(headers, Mapping) else headers or ())


def origin_header(topic: str, partition: int, offset: int) -> bytes:
    """Where a copied record sat, as a header value: ``topic:partition:offset`` (a re-keyed copy's
    ``REKEYED_FROM_HEADER``, a rescale's ``stream.core.rescale.MOVED_HEADER``)."""
    return f"{topic}:{partition}:{offset}".encode()


def parse_origin_header(value: bytes | None) -> tuple[str, int, int] | None:
    """(topic, partition, offset) of an ``origin_header`` value; None if it is not one (a header's
    value may be null)."""
    try:
        topic, partition, offset = bytes(value).decode().rsplit(":", 2)  # type: ignore[arg-type]
        return topic, int(partition), int(offset)
    except (TypeError, ValueError, UnicodeDecodeError):
        return None


def copy_headers(headers: Any, topic: str, partition: int, offset: int, user_id: str,
                 chain: MutableMapping[tuple[str, int], int]) -> list[tuple[str, bytes]]:
    """The headers of the re-keyed copy of the message at ``topic:partition:offset``: its own, where
    it sat, and its link in the chain of copies this batch sends for ``user_id`` from ``partition``
    (``chain``: (user, partition) -> the offset of the last copy sent, kept by the caller for one
    batch and updated here).  A message that is itself a copy gets no link, and loses its old one."""
    items = [(name, value) for name, value in header_items(headers) if name != REKEYED_AFTER_HEADER]
    first_hop = all(name != REKEYED_FROM_HEADER for name, _ in items)
    items.append((REKEYED_FROM_HEADER, origin_header(topic, partition, offset)))
    if first_hop:
        before = chain.get((user_id, partition))
        items.append((REKEYED_AFTER_HEADER, b"" if before is None else str(before).encode()))
        chain[(user_id, partition)] = offset
    return items


def copy_of(headers: Any, topic: str) -> Copy | None:
    """Where the original of a re-keyed copy on ``topic`` sat, and the copy before it
    (``copy_headers``); None for a message that is no copy, a copy of another topic, or one
    without a chain (re-keyed twice, or by a worker older than state version 10)."""
    items = header_items(headers)
    source = next((value for name, value in items if name == REKEYED_FROM_HEADER), None)
    after = next((value for name, value in items if name == REKEYED_AFTER_HEADER), None)
    origin = parse_origin_header(source)
    if origin is None or after is None:
        return None
    source_topic, partition, offset = origin
    try:
        before = int(bytes(after).decode() or -1)
    except (TypeError, ValueError, UnicodeDecodeError):  # TypeError: a header's value may be null
        return None
    if source_topic != topic or not (0 <= partition < _PARTITION_LIMIT and -1 <= before < offset < _OFFSET_LIMIT):
        return None  # not a header this code wrote: the copy is recognised by id alone
    return Copy(position(partition, offset), position(partition, before) if before >= 0 else 0)
