"""The worker's verdict on one message before any state is touched (stream.core.admission)."""

from __future__ import annotations

import orjson
import pytest

from stream.core.admission import UNDECODABLE_HEADER, Admission, Admitted, Refused, Rekey, admit
from stream.core.contract import parse_event
from stream.core.event_time import TimePolicy
from stream.core.routing import parse_origin_header
from stream.core.routing import partition_for

LOAN = {
    "event_id": "e-1", "event_type": "loan", "user_id": "u-1", "ts": "2026-03-01T10:00:00+08:00", "amount": 1200.0,
    "loan_id": "l-1", "product": "cash_loan", "term_days": 30, "credit_limit": 8000, "segment": "individual",
    "channel": "app",
}
RAW = orjson.dumps(LOAN)
TS = parse_event(RAW).ts
POLICY = TimePolicy(future_tolerance_s=3600, stale_tolerance_s=90 * 86400)
HOME = partition_for(b"u-1", 4)  # where the Java client puts user u-1's messages


def verdict(key=b"u-1", value=RAW, headers=(), record_ts=TS, now=TS + 10, policy=POLICY, partition=HOME):
    return admit(key, value, list(headers), partition, record_ts, now, Admission(policy, 64 * 1024, 4, "murmur2"))


def test_an_event_keyed_by_its_user_on_time_is_admitted() -> None:
    result = verdict()
    assert isinstance(result, Admitted) and result.event.event_id == "e-1"


def test_an_undecodable_batch_placeholder_is_refused_with_its_offsets() -> None:
    result = verdict(key=None, value=None, headers=[(UNDECODABLE_HEADER, b"offsets 3-4: UnsupportedCodecError: zstd")])
    assert isinstance(result, Refused) and result.error.code == "undecodable_batch"
    assert "offsets 3-4" in result.error.message and "codec" in result.error.message


def test_a_null_header_value_is_a_verdict_not_a_crash() -> None:
    """Kafka allows null header values; one under the placeholder's name crashed the worker on every
    restart (an outside review, 2026-12-07)."""
    result = verdict(headers=[(UNDECODABLE_HEADER, None), ("trace", None)])
    assert isinstance(result, Refused) and result.error.code == "undecodable_batch"
    assert parse_origin_header(None) is None  # type: ignore[arg-type]


def test_a_tombstone_is_refused() -> None:
    result = verdict(value=None)
    assert isinstance(result, Refused) and result.error.code == "null_value"


def test_contract_violations_keep_their_reason() -> None:
    result = verdict(value=b"{not json")
    assert isinstance(result, Refused) and result.error.code == "not_json"


@pytest.mark.parametrize(("key", "reason"), [(None, "no_key"), (b"", "no_key"), (b"u-2", "key_mismatch"),
                                              (b"x" * 16_000, "key_mismatch")])
def test_a_message_not_keyed_by_its_user_is_rekeyed(key, reason) -> None:
    result = verdict(key=key)
    assert isinstance(result, Rekey) and result.reason == reason and result.event.user_id == "u-1"


def test_a_message_keyed_right_on_another_partition_is_rekeyed() -> None:
    """A producer with another hash, or an explicit partition: the state there does not own the user."""
    for partition in set(range(4)) - {HOME}:
        result = verdict(partition=partition)
        assert isinstance(result, Rekey) and result.reason == "wrong_partition"


def test_rekeying_comes_before_the_time_check() -> None:
    """The copy is judged on its user's partition; judging the original too would count a refusal twice."""
    far = orjson.dumps({**LOAN, "ts": "2200-01-01T00:00:00+08:00"})
    assert isinstance(verdict(key=None, value=far), Rekey)


@pytest.mark.parametrize(
    ("offset_s", "expected"),
    [(3599, None), (3601, "future_ts"), (-90 * 86400 + 1, None), (-90 * 86400 - 1, "stale_ts")],
)
def test_event_time_is_judged_against_the_record_timestamp(offset_s: float, expected: str | None) -> None:
    result = verdict(record_ts=TS - offset_s, now=TS + 10 * 365 * 86400)  # the wall clock does not matter
    if expected is None:
        assert isinstance(result, Admitted)
    else:
        assert isinstance(result, Refused) and result.error.code == expected and "stream time" in result.error.message


@pytest.mark.parametrize("record_ts", [None, 0, -1.0])
def test_without_a_record_timestamp_the_wall_clock_is_stream_time(record_ts) -> None:
    assert isinstance(verdict(record_ts=record_ts, now=TS + 60), Admitted)
    result = verdict(record_ts=record_ts, now=TS - 7200)
    assert isinstance(result, Refused) and result.error.code == "future_ts"


def test_a_zero_tolerance_turns_a_check_off() -> None:
    off = TimePolicy(future_tolerance_s=0, stale_tolerance_s=0)
    assert isinstance(verdict(record_ts=TS - 10**9, policy=off), Admitted)
    assert isinstance(verdict(record_ts=TS + 10**9, policy=off), Admitted)
