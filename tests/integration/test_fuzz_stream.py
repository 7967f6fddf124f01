"""Hostile input against the running worker: >= 10,000 malformed messages mixed
with valid ones (seeded, so a failure reproduces).

The worker must never stop; every malformed message lands on the DLQ with a
reason and its original bytes (well-formed events far in the future or past
included: the event-time policy refuses them); every valid one is scored
exactly once, a re-sent event id counts as a duplicate; memory stays bounded.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest
from kafka import KafkaProducer

from stream.core.contract import InvalidEvent, parse_event
from stream.settings import Settings
from stream.kafka.config import kafka_client_config
from tests.conftest import free_ports
from tests.faults_support import (
    Workers,
    assert_same_as_offline,
    http_status,
    offline_expectation,
    rss_bytes,
    sim_events,
    train_model,
    wait_until,
)
from tests.support import decode_dlq, metric_sum, read_topic, scrape

pytestmark = pytest.mark.slow

SEED = 20260301
N_MALFORMED = 10_500
BROKER_MAX = 1_000_000  # below the broker's default max.message.bytes (1 MiB + overhead)

#: Event times a few days old, as a live producer sends them (stream.core.event_time refuses far-off ones).
_RECENT = datetime.now(timezone(timedelta(hours=8))).replace(microsecond=0) - timedelta(days=6)
GOOD_LOAN = {
    "event_id": "x", "event_type": "loan", "user_id": "x", "ts": _RECENT.isoformat(), "amount": 1200.0,
    "loan_id": "l-77", "product": "credit_line", "term_days": 30, "credit_limit": 8000, "credit_score": 702,
    "segment": "individual", "purpose": "consumption", "channel": "app", "device_id": "d-9f2",
}
GOOD_REPAYMENT = {
    "event_id": "x", "event_type": "repayment", "user_id": "x", "ts": (_RECENT + timedelta(days=4)).isoformat(), "amount": 1200.0,
    "loan_id": "l-77", "days_late": 0, "outstanding": 0,
}


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_model(tmp_path_factory.mktemp("model"))


# --------------------------------------------------------------------------- generators


def _base(rng: random.Random, i: int) -> dict:
    doc = dict(rng.choice((GOOD_LOAN, GOOD_REPAYMENT)))
    doc["event_id"] = f"bad-{i}"
    doc["user_id"] = "fz-bad"
    return doc


def _malformed(rng: random.Random, i: int, max_bytes: int) -> tuple[str, bytes, bytes | None]:
    """(expected reason or '' for any, key, value) of the i-th malformed message."""
    kind = i % 25
    doc = _base(rng, i)
    key = b"fz-bad"
    if kind == 0:  # random bytes
        return "", key, rng.randbytes(rng.randint(0, 300))
    if kind == 1:  # text that is not JSON
        return "not_json", key, rng.choice([b"{", b"nul", b"{'a': 1}", b"event_id=1", b"{\"a\":1,}"]) + str(i).encode()
    if kind == 2:  # deeply nested JSON, under the size limit
        depth = rng.choice([600, 5_000, 30_000])
        return "", key, b"[" * depth + b"]" * depth
    if kind == 3:
        depth = rng.choice([600, 20_000])
        return "", key, b'{"a":' * depth + b"1" + b"}" * depth
    if kind == 4:  # over max_message_bytes (up to 700 kB; near the broker's 1 MB limit: see below)
        size = max_bytes + 1 if (i // 24) % 50 else rng.randint(max_bytes + 2, 700_000)
        return "too_large", key, orjson.dumps({**doc, "pad": "x" * size})
    if kind == 5:  # just under the limit, but invalid
        doc["amount"] = -1
        raw = orjson.dumps({**doc, "pad": ""})
        return "out_of_range", key, orjson.dumps({**doc, "pad": "y" * (max_bytes - len(raw) - rng.randint(0, 16))})
    if kind == 6:  # NaN / Infinity literals (not JSON)
        lit = rng.choice(["NaN", "Infinity", "-Infinity", "nan", "1e999"])
        raw = orjson.dumps(doc).replace(b'"amount":1200.0', f'"amount":{lit}'.encode())
        return "", key, raw
    if kind == 7:  # amounts out of range
        doc["amount"] = rng.choice([0, -0.0, -5, 10_000_000.01, 1e300, 12.345])
        return "", key, orjson.dumps(doc)
    if kind == 8:  # wrong types
        field = rng.choice(["amount", "event_id", "user_id", "ts", "loan_id", "event_type", "term_days", "days_late"])
        doc[field] = rng.choice([True, [], {}, "12", 12.5, None])
        return "", key, orjson.dumps(doc)
    if kind == 9:  # bad timestamps
        doc["ts"] = rng.choice(["yesterday", "2026-03-01", "2026-03-01T10:00:00", "2026-02-30T10:00:00+08:00",
                                "2026-03-01T25:00:00Z", "1710000000", "2026-13-01T00:00:00Z", "+002026-03-01T00:00:00Z"])
        return "bad_format", key, orjson.dumps(doc)
    if kind == 10:
        doc["event_type"] = rng.choice(["refund", "LOAN", "", "loan ", "withdrawal"])
        return "unknown_event_type", key, orjson.dumps(doc)
    if kind == 11:
        del doc[rng.choice(["event_id", "user_id", "ts", "amount", "loan_id"])]
        return "missing_field", key, orjson.dumps(doc)
    if kind == 12:  # a tombstone
        return "null_value", key, None
    if kind == 13:  # invalid UTF-8 inside a JSON string
        return "bad_encoding", key, orjson.dumps(doc).replace(b'"l-77"', b'"l-\xff\xfe"')
    if kind == 14:  # not an object
        return "not_object", key, rng.choice([b"[]", b"1", b'"loan"', b"null", b"true", b"[{}]"])
    if kind == 15:  # ids outside the alphabet / too long
        doc[rng.choice(["event_id", "user_id", "loan_id"])] = rng.choice(["", "a" * 65, "a b", "x/y", "\u00e9", "<script>"])
        return "", key, orjson.dumps(doc)
    if kind == 16:
        doc["currency"] = rng.choice(["USD", "cny", 1, ""])
        return "", key, orjson.dumps(doc)
    if kind == 17:  # huge integers and floats in int fields
        doc["term_days" if doc["event_type"] == "loan" else "days_late"] = rng.choice([10**30, -1, 2**64, 1.5, 1e20])
        return "", key, json.dumps(doc).encode()
    if kind == 18:  # enumerations
        if doc["event_type"] == "loan":
            doc[rng.choice(["product", "segment", "channel", "purpose"])] = rng.choice(["", "other", "APP", 3])
        else:
            doc["outstanding"] = rng.choice([-1, "0", float("inf")]) if i % 2 else -0.5
        return "", key, json.dumps(doc).encode()
    if kind == 19:  # duplicate keys, trailing garbage, BOM
        raw = orjson.dumps(doc)
        return "", key, rng.choice([raw + b"garbage", b"\xef\xbb\xbf" + raw, raw[:-1], raw + raw])
    if kind == 20:  # control characters and surrogates
        return "", key, rng.choice([b'"\\ud800"', b'{"event_type":"loan\x00"}', b"\x00" * 50, b'{"a":"\\u0000"}'])
    if kind == 21:  # empty value
        return "", key, b""
    if kind == 22:  # a loan with out-of-range credit score / negative limit
        doc.update(event_type="loan", product="cash_loan", term_days=30, credit_limit=rng.choice([-1, 1e400 if False else -1e9]),
                   segment="individual", channel="app")
        return "", key, orjson.dumps(doc)
    if kind == 24:  # well-formed, but dated far from now
        reason, doc["ts"] = rng.choice([
            ("future_ts", "2099-12-31T23:59:59+08:00"), ("future_ts", "2200-01-01T00:00:00Z"),
            ("future_ts", (_RECENT + timedelta(days=8)).isoformat()), ("stale_ts", "1971-01-01T00:00:00Z"),
            ("stale_ts", "1969-07-20T20:17:40Z"), ("stale_ts", (_RECENT - timedelta(days=200)).isoformat()),
        ])
        return reason, key, orjson.dumps(doc)
    # kind 23: random mutation of a good document's bytes
    raw = bytearray(orjson.dumps(doc))
    for _ in range(rng.randint(1, 4)):
        raw[rng.randrange(len(raw))] = rng.choice(b'{}[]":,\\\x00\xff')
    return "", key, bytes(raw)


def _nanos(moment: datetime) -> str:
    """RFC 3339 with nanoseconds, e.g. 2026-11-25T10:02:11.123456789-03:30."""
    text = moment.isoformat()
    return text[:19] + ".123456789" + text[19:]


def _valid_specials(i: int) -> list[dict]:
    """Well-formed edge cases the contract accepts: each on a user of its own."""
    out = []
    cases = [
        ("ts", _nanos(_RECENT.astimezone(timezone(-timedelta(hours=3, minutes=30))))),  # half-hour offset
        ("amount", 0.01),
        ("amount", 10_000_000),
        ("amount", 9_999_999.99),
        ("extra", {"nested": [1, 2, {"deep": "x" * 1000}]}),
    ]
    for j, (field, value) in enumerate(cases):
        for base in (GOOD_LOAN, GOOD_REPAYMENT):
            doc = dict(base, event_id=f"sp-{i}-{j}-{base['event_type']}", user_id=f"fz-sp-{i}-{j}-{base['event_type']}")
            doc[field] = value
            out.append(doc)
    return out


def _near_limit_valid(max_bytes: int) -> dict:
    doc = dict(GOOD_LOAN, event_id="sp-big", user_id="fz-sp-big")
    raw = orjson.dumps({**doc, "note": ""})
    return {**doc, "note": "z" * (max_bytes - len(raw) - 10)}


# --------------------------------------------------------------------------- the test


def _stream(settings: Settings) -> tuple[list[tuple[bytes, bytes]], list[dict], list[tuple[str, bytes, bytes]], int]:
    """(messages to send in order, valid documents in order, malformed, duplicates sent)."""
    rng = random.Random(SEED)
    valid = sim_events(users=250, days=14, seed=31, prefix="fz")
    valid += [doc for i in range(3) for doc in _valid_specials(i)]
    valid.append(_near_limit_valid(settings.max_message_bytes))
    malformed = []
    i = 0
    while len(malformed) < N_MALFORMED:
        item = _malformed(rng, i, settings.max_message_bytes)
        i += 1
        try:  # a random mutation can still be a valid event: keep only real rejects
            if item[0] in ("null_value", "future_ts", "stale_ts"):
                raise InvalidEvent(item[0], "refused by the worker after parsing")
            parse_event(item[2], max_bytes=settings.max_message_bytes)
        except InvalidEvent:
            malformed.append(item)
        except Exception:  # noqa: BLE001 - the parser must not raise anything else
            malformed.append(item)
    # Interleave: malformed messages at random places, valid ones in their order;
    # some valid events are sent twice (same event id), right away or a little later.
    messages: list[tuple[bytes, bytes]] = []
    bad = iter(malformed)
    per_valid = len(malformed) / len(valid)
    dup_pending: list[tuple[bytes, bytes]] = []
    duplicates = 0
    for doc in valid:
        for _ in range(int(per_valid) + (rng.random() < per_valid % 1)):
            item = next(bad, None)
            if item is not None:
                messages.append(item[1:])
        message = (doc["user_id"].encode(), orjson.dumps(doc))
        messages.append(message)
        if dup_pending and rng.random() < 0.5:
            messages.append(dup_pending.pop())
        if rng.random() < 0.03:
            dup_pending.append(message)
            duplicates += 1
    messages.extend(dup_pending)
    messages.extend(item[1:] for item in bad)
    return messages, valid, malformed, duplicates


def test_fuzz_stream(unique_topics: Settings, model_dir: Path, tmp_path: Path) -> None:
    (port,) = free_ports(1)
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "worker", metrics_port=port)
    messages, valid, malformed, duplicates = _stream(settings)
    assert len(malformed) >= 10_000
    expected = offline_expectation(model_dir, valid, settings.suppress_window_s)
    assert expected.scored == len(valid)

    log = tmp_path / "worker.log"
    workers = Workers()
    producer = KafkaProducer(**kafka_client_config(settings), acks="all", linger_ms=5, max_request_size=2 * 1024 * 1024)
    try:
        worker = workers.start(settings, log)
        wait_until(lambda: http_status(port, "/ready") == 200, 60, "worker ready", [log], [worker])
        half = len(messages) // 2
        rss = []
        for part in (messages[:half], messages[half:]):
            for key, value in part:
                producer.send(settings.input_topic, key=key, value=value)
            producer.flush()
            done = half if not rss else len(messages)
            wait_until(lambda: _handled(port) >= done, 180, f"{done} messages handled", [log], [worker])
            rss.append(rss_bytes(worker.pid))
        samples = scrape(port)
        assert worker.poll() is None and http_status(port, "/healthy") == 200
    finally:
        producer.close()
        workers.close()

    # Memory: bounded between the middle and the end of the run.
    assert rss[1] - rss[0] < 150 * 1024 * 1024, f"RSS grew from {rss[0] >> 20} MiB to {rss[1] >> 20} MiB"

    # Valid: every one scored exactly once; the re-sent ones are duplicates.
    scored = sum(v for k, v in samples.items() if k.startswith("riskmon_events_processed_total{") and 'outcome="scored"' in k)
    dups = sum(v for k, v in samples.items() if k.startswith("riskmon_events_processed_total{") and 'outcome="duplicate"' in k)
    assert (scored, dups) == (len(valid), duplicates)
    assert_same_as_offline(settings, expected)

    # Malformed: all on the DLQ, with a reason, original bytes intact.
    assert metric_sum(samples, "riskmon_events_invalid_total") == len(malformed)
    dlq = [decode_dlq(v) for _, v in read_topic(settings, settings.dlq_topic)]
    assert len(dlq) == len(malformed)
    assert Counter(original for _, original in dlq) == Counter(value or b"" for _, _, value in malformed)
    reasons = {}
    for record, original in dlq:
        assert record["reason"] and record["error"]
        reasons.setdefault(original, set()).add(record["reason"])
    for want, _, value in malformed:
        if want and value:  # (an empty original is shared by the null and empty values)
            assert reasons[value] == {want}, (want, reasons[value], value[:80])
    print(f"\nfuzz: {len(malformed)} malformed, {len(valid)} valid, {duplicates} duplicates; "
          f"RSS {rss[0] >> 20} -> {rss[1] >> 20} MiB; reasons {Counter(r['reason'] for r, _ in dlq)}")


def _handled(port: int) -> float:
    s = scrape(port)
    return metric_sum(s, "riskmon_events_processed_total") + metric_sum(s, "riskmon_events_invalid_total")


# --------------------------------------------------------------------------- known crashes


def _far_future() -> list[tuple[bytes, bytes]]:
    doc = dict(GOOD_REPAYMENT, event_id="edge-1", user_id="fz-edge-future", ts="2200-01-01T00:00:00+08:00")
    return [(b"fz-edge-future", orjson.dumps(doc))]


def _pre_1970() -> list[tuple[bytes, bytes]]:
    doc = dict(GOOD_LOAN, event_id="edge-2", user_id="fz-edge-old", ts="1969-07-20T20:17:40Z")
    return [(b"fz-edge-old", orjson.dumps(doc))]


def _near_broker_limit() -> list[tuple[bytes, bytes]]:
    return [(b"fz-bad", orjson.dumps({**GOOD_LOAN, "pad": "x" * (BROKER_MAX - 2_000)}))]


@pytest.mark.parametrize(
    "case",
    [(_far_future, "future_ts"), (_pre_1970, "stale_ts"), (_near_broker_limit, "too_large")],
    ids=["far_future_ts", "pre_1970_ts", "near_broker_limit"],
)
def test_edge_input_does_not_stop_the_worker(case, unique_topics: Settings, model_dir: Path, tmp_path: Path) -> None:
    """One edge message, then ordinary events: all of them handled, the edge one as it should be.

    Well-formed events far in the future or before 1970 are dead-lettered by the
    event-time policy with their original bytes; a ~1 MB message is too large
    (dead-lettered with its size and sha256, the original truncated so the DLQ
    record fits a Kafka message)."""
    make, outcome = case
    (port,) = free_ports(1)
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "worker", metrics_port=port)
    after = [dict(GOOD_REPAYMENT, event_id=f"after-{i}", user_id=f"fz-after-{i}") for i in range(20)]
    messages = make() + [(d["user_id"].encode(), orjson.dumps(d)) for d in after]
    log = tmp_path / "worker.log"
    workers = Workers()
    producer = KafkaProducer(**kafka_client_config(settings), acks="all", max_request_size=2 * 1024 * 1024)
    try:
        worker = workers.start(settings, log)
        wait_until(lambda: http_status(port, "/ready") == 200, 60, "worker ready", [log], [worker])
        for key, value in messages:
            producer.send(settings.input_topic, key=key, value=value)
        producer.flush()
        wait_until(lambda: _handled(port) >= len(messages), 15, "every message handled", [log], [worker])
        samples = scrape(port)
        assert http_status(port, "/healthy") == 200
    finally:
        producer.close()
        workers.close()
    scored = sum(v for k, v in samples.items() if k.startswith("riskmon_events_processed_total{") and 'outcome="scored"' in k)
    assert scored == len(after)
    assert samples.get(f'riskmon_events_invalid_total{{reason="{outcome}"}}') == 1
    (record, original), = [decode_dlq(v) for _, v in read_topic(settings, settings.dlq_topic)]
    edge = messages[0][1]
    assert record["reason"] == outcome and record["original_size"] == len(edge)
    assert record["truncated"] == (outcome == "too_large")
    assert edge.startswith(original) and record["original_sha256"] == hashlib.sha256(edge).hexdigest()
