"""Publishing events to the input topic (the simulator's producer and test clients).

Messages are keyed by ``user_id`` as the contract requires, so each user's events
stay in order on one partition.  ``malformed`` makes the broken messages a real
producer sends sooner or later, for demos and end-to-end tests of the
dead-letter path.
"""

from __future__ import annotations

import time
from typing import Iterable

import orjson
from kafka import KafkaProducer

from stream.settings import Settings
from stream.kafka.config import kafka_client_config

#: Each malformed kind, as (name, bytes) — one of every rejection the contract names.
MALFORMED: tuple[tuple[str, bytes], ...] = (
    ("not_json", b"this is not json {"),
    ("not_object", b"[1, 2, 3]"),
    ("wrong_type", b'{"event_id":"bad-1","event_type":"loan","user_id":"u-x","ts":"2026-03-01T10:00:00+08:00","amount":"12","loan_id":"l-1","product":"cash_loan","term_days":30,"credit_limit":1000,"segment":"individual","channel":"app"}'),
    ("negative_amount", b'{"event_id":"bad-2","event_type":"repayment","user_id":"u-x","ts":"2026-03-01T10:00:00+08:00","amount":-5,"loan_id":"l-1","days_late":0}'),
    ("missing_field", b'{"event_id":"bad-3","event_type":"repayment","user_id":"u-x","ts":"2026-03-01T10:00:00+08:00","loan_id":"l-1","days_late":0}'),
    ("unknown_event_type", b'{"event_id":"bad-4","event_type":"refund","user_id":"u-x","ts":"2026-03-01T10:00:00+08:00","amount":5,"loan_id":"l-1"}'),
    ("bad_timestamp", b'{"event_id":"bad-5","event_type":"repayment","user_id":"u-x","ts":"yesterday","amount":5,"loan_id":"l-1","days_late":0}'),
    ("oversize", b'{"event_id":"bad-6","pad":"' + b"x" * 70_000 + b'"}'),
)


def make_producer(settings: Settings) -> KafkaProducer:
    return KafkaProducer(
        **kafka_client_config(settings),
        acks="all",
        linger_ms=5,
        batch_size=64 * 1024,
        max_request_size=1024 * 1024,
    )


def publish(
    producer: KafkaProducer,
    topic: str,
    events: Iterable[dict],
    rate: float = 0.0,
    malformed_every: int = 0,
) -> tuple[int, int]:
    """Send events (keyed by user) at ``rate`` per second (0 = unpaced).

    Every ``malformed_every``-th message (when > 0) is followed by one malformed
    message.  Returns (valid sent, malformed sent).
    """
    sent = bad = 0
    started = time.monotonic()
    for event in events:
        producer.send(topic, key=event["user_id"].encode(), value=orjson.dumps(event))
        sent += 1
        if malformed_every and sent % malformed_every == 0:
            name, payload = MALFORMED[bad % len(MALFORMED)]
            producer.send(topic, key=b"u-x", value=payload)
            bad += 1
        if rate > 0:
            ahead = sent / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    producer.flush()
    return sent, bad
