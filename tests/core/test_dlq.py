"""Dead-letter records (stream.core.dlq): reason, error and the original bytes, always fitting in a Kafka message."""

from __future__ import annotations

import base64
import hashlib

import orjson
from hypothesis import given
from hypothesis import strategies as st

from stream.core.contract import InvalidEvent
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from stream.core.dlq import MAX_KEY_BYTES, MAX_ORIGINAL_BYTES, dlq_key, dlq_record

ERROR = InvalidEvent("not_json", "message is not valid UTF-8 JSON")


@given(st.binary(max_size=2000), st.one_of(st.none(), st.binary(max_size=100)))
def test_the_original_bytes_and_key_come_back_unchanged(raw: bytes, key: bytes | None) -> None:
    record = orjson.loads(dlq_record(raw, key, ERROR, "loan-events", 3, 42))
    assert base64.b64decode(record["original_b64"]) == raw
    assert (record["key_b64"] is None) == (key is None)
    if key is not None:
        assert base64.b64decode(record["key_b64"]) == key
    assert record["original_sha256"] == hashlib.sha256(raw).hexdigest() and record["original_size"] == len(raw)
    assert record["source"] == {"topic": "loan-events", "partition": 3, "offset": 42}
    assert (record["reason"], record["error"], record["truncated"], record["key_truncated"]) == ("not_json", ERROR.message, False, False)


def test_a_huge_original_is_truncated_so_the_record_fits_a_kafka_message() -> None:
    raw = b"x" * (MAX_ORIGINAL_BYTES + 10_000)
    data = dlq_record(raw, b"k", ERROR, "t", 0, 1)
    record = orjson.loads(data)
    assert len(data) < 1024 * 1024 and record["truncated"] and record["original_size"] == len(raw)
    assert raw.startswith(base64.b64decode(record["original_b64"]))
    assert record["original_sha256"] == hashlib.sha256(raw).hexdigest()


#: The producer's limit for one record (``max_request_size``: aiokafka's and Faust's default).
PRODUCER_MAX_REQUEST = 1_000_000


def test_a_dead_letter_fits_the_producer_whatever_the_original_key() -> None:
    """An outside review's case (finding 22): a 430 KB key on a tombstone or on bytes that are
    not JSON, and a 720 KB value under a 20 KB key, each a record the broker took, made dead letters
    the producer refused at every restart.  Record and key are sized as aiokafka sizes them."""
    for raw, key in ((b"", b"k" * 430_000), (b"{not json", b"k" * 430_000), (b"x" * 720 * 1024, b"k" * 20_000)):
        data = dlq_record(raw, key, ERROR, "loan-events", 0, 1)
        assert DefaultRecordBatchBuilder.estimate_size_in_bytes(dlq_key(key), data, []) < PRODUCER_MAX_REQUEST
        record = orjson.loads(data)
        assert record["key_truncated"] and record["key_size"] == len(key)
        assert base64.b64decode(record["key_b64"]) == key[:MAX_KEY_BYTES] == dlq_key(key)
