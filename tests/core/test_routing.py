"""Partition routing for re-keyed messages (stream.core.routing)."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stream.core.features import Copy, position
from stream.core.routing import (
    KEY_MISMATCH,
    NO_KEY,
    REKEYED_AFTER_HEADER,
    REKEYED_FROM_HEADER,
    WRONG_PARTITION,
    copy_headers,
    copy_of,
    partition_for,
    rekey_reason,
)


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


def test_a_batchs_copies_chain_per_user_and_partition_and_read_back_as_copies() -> None:
    """Each copy names its original and the copy sent before it for the same user from the same
    partition in this batch; the next batch starts every chain again."""
    chain: dict[tuple[str, int], int] = {}
    sent = [copy_headers([("trace", b"t")], "in", p, o, u, chain)
            for u, p, o in (("u-1", 2, 40), ("u-2", 2, 41), ("u-1", 3, 7), ("u-1", 2, 45))]
    assert [copy_of(h, "in") for h in sent] == [
        Copy(position(2, 40)), Copy(position(2, 41)), Copy(position(3, 7)), Copy(position(2, 45), position(2, 40))]
    assert sent[0][0] == ("trace", b"t") and dict(sent[3])[REKEYED_AFTER_HEADER] == b"40"
    assert copy_of(dict(sent[3]), "in") == copy_of(sent[3], "in")  # Faust may hand headers as a mapping
    assert copy_of(copy_headers([], "in", 2, 50, "u-1", {}), "in") == Copy(position(2, 50))


def test_a_copy_re_keyed_again_keeps_where_it_came_from_but_no_chain() -> None:
    """Its second forwarder reads it in its first partition's order, not its original's."""
    first = copy_headers([], "in", 2, 40, "u-1", {})
    again = copy_headers(first, "in", 5, 900, "u-1", {})
    assert [v for k, v in again if k == REKEYED_FROM_HEADER] == [b"in:2:40", b"in:5:900"]
    assert REKEYED_AFTER_HEADER not in dict(again) and copy_of(again, "in") is None


@pytest.mark.parametrize("headers", [
    [],
    [("trace", b"t")],
    [(REKEYED_FROM_HEADER, b"in:2:40")],  # a worker before state v10: no chain
    [(REKEYED_FROM_HEADER, b"other:2:40"), (REKEYED_AFTER_HEADER, b"")],  # another topic's
    [(REKEYED_FROM_HEADER, b"in:2:x"), (REKEYED_AFTER_HEADER, b"")],
    [(REKEYED_FROM_HEADER, b"in:-1:40"), (REKEYED_AFTER_HEADER, b"")],
    [(REKEYED_FROM_HEADER, b"in:70000:40"), (REKEYED_AFTER_HEADER, b"")],
    [(REKEYED_FROM_HEADER, b"in:2:40"), (REKEYED_AFTER_HEADER, b"40")],  # not before itself
    [(REKEYED_FROM_HEADER, b"in:2:40"), (REKEYED_AFTER_HEADER, b"\xff")],
    [(REKEYED_FROM_HEADER, b"\xff"), (REKEYED_AFTER_HEADER, b"")],
    [(REKEYED_FROM_HEADER, None), (REKEYED_AFTER_HEADER, None)],  # Kafka allows null header values
])
def test_headers_this_code_did_not_write_are_no_copy(headers: list[tuple[str, bytes]]) -> None:
    """Such a message is recognised by its id alone, as before: never dropped by a position it made up."""
    assert copy_of(headers, "in") is None
