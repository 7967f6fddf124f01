"""Partition routing for re-keyed messages (stream.core.routing)."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stream.core.routing import KEY_MISMATCH, NO_KEY, WRONG_PARTITION, partition_for, rekey_reason


@pytest.mark.parametrize(
    ("key", "java_murmur2"),
    # org.apache.kafka.common.utils.Utils.murmur2 of these keys (Kafka's own UtilsTest).
    [(b"21", -973932308), (b"foobar", -790332482), (b"a-little-bit-long-string", -985981536), (b"", 275646681)],
)
def test_murmur2_places_keys_where_the_java_client_does(key: bytes, java_murmur2: int) -> None:
    for partitions in (1, 4, 7, 12):
        assert partition_for(key, partitions) == (java_murmur2 & 0x7FFFFFFF) % partitions


def test_crc32_is_librdkafkas_consistent_partitioner() -> None:
    assert partition_for(b"u-1042", 8, "crc32") == zlib.crc32(b"u-1042") % 8


@given(st.binary(max_size=200), st.integers(min_value=1, max_value=1000), st.sampled_from(["murmur2", "crc32"]))
def test_every_key_lands_on_an_existing_partition(key: bytes, partitions: int, partitioner: str) -> None:
    assert 0 <= partition_for(key, partitions, partitioner) < partitions


def test_unknown_partitioner_and_empty_topic_are_refused() -> None:
    with pytest.raises(ValueError, match="murmur2"):
        partition_for(b"k", 4, "random")
    with pytest.raises(ValueError, match="at least one"):
        partition_for(b"k", 0)


def test_rekey_reasons() -> None:
    home = partition_for(b"u-1", 8)
    assert rekey_reason(None, "u-1", home, 8, "murmur2") == NO_KEY
    assert rekey_reason(b"", "u-1", home, 8, "murmur2") == NO_KEY
    assert rekey_reason(b"u-2", "u-1", home, 8, "murmur2") == KEY_MISMATCH
    assert rekey_reason(b"u-1", "u-1", home, 8, "murmur2") is None
    assert rekey_reason(b"u-1", "u-1", (home + 1) % 8, 8, "murmur2") == WRONG_PARTITION
    crc_home = partition_for(b"u-1", 8, "crc32")
    assert rekey_reason(b"u-1", "u-1", crc_home, 8, "crc32") is None
