"""The embedded broker: lifecycle, and that both Python clients work against it.

The two round trips are the compatibility proof for the pinned Kafka version
(deploy/kafka/pom.xml): kafka-python is used by our tooling, aiokafka by Faust.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from stream.local import broker
from stream.settings import Settings, load_settings
from stream.kafka.config import aiokafka_client_config, kafka_client_config
from stream.kafka.topics import ensure_topics

# Tests that need a broker ask for kafka_settings / unique_topics /
# private_kafka_settings; tests/conftest.py marks those ``kafka``.

N_MESSAGES = 10


def test_start_is_a_noop_when_a_broker_answers(kafka_settings: Settings) -> None:
    st = broker.start(kafka_settings)
    assert st.already_running and st.answers


def test_lifecycle_on_private_data_dir(private_kafka_settings: Settings) -> None:
    """start -> status -> start (no-op) -> stop -> restart on same data -> stop.

    Runs its own broker on fresh ports so the session broker is untouched.
    """
    settings = private_kafka_settings
    try:
        first = broker.start(settings, tie_to_parent=True)
        assert first.running and first.answers and not first.already_running
        assert first.pid is not None
        assert "kafka.Kafka" in Path(f"/proc/{first.pid}/cmdline").read_bytes().decode()

        st = broker.status(settings)
        assert (st.running, st.pid, st.answers) == (True, first.pid, True)
        assert broker.pid_path(settings).read_text().strip() == str(first.pid)

        again = broker.start(settings)
        assert again.already_running and again.pid == first.pid

        meta = (settings.kafka_data_dir / "logs" / "meta.properties").read_text()
        assert broker.stop(settings) is True
        _assert_gone(settings, first.pid)
        assert broker.stop(settings) is False  # no-op when not running

        # Restart reuses the formatted storage (same cluster id), no re-format.
        second = broker.start(settings, tie_to_parent=True)
        assert second.running and second.pid != first.pid
        assert (settings.kafka_data_dir / "logs" / "meta.properties").read_text() == meta
        assert broker.stop(settings) is True
        _assert_gone(settings, second.pid)
    finally:
        broker.stop(settings)


def _assert_gone(settings: Settings, pid: int) -> None:
    assert not Path(f"/proc/{pid}").exists(), f"broker pid {pid} still exists"
    assert not broker.pid_path(settings).exists()
    st = broker.status(settings)
    assert not st.running and not st.answers and st.pid is None
    assert not broker._tcp_open(broker.local_bootstrap(settings))
    assert not broker._tcp_open(f"127.0.0.1:{settings.kafka_controller_port}")


def test_stop_never_signals_a_foreign_pid(tmp_path: Path) -> None:
    """A stale pid file naming an unrelated live process must be ignored."""
    settings = load_settings().replace(kafka_data_dir=tmp_path)
    broker.pid_path(settings).write_text(f"{os.getpid()}\n")
    assert broker.stop(settings) is False
    assert not broker.pid_path(settings).exists()


def test_ensure_topics_creates_requested_partitions(kafka_settings: Settings) -> None:
    from kafka import KafkaAdminClient

    name = f"partitions-{time.monotonic_ns()}"
    assert ensure_topics(kafka_settings, {name: 3}) == [name]
    assert ensure_topics(kafka_settings, {name: 3}) == []  # idempotent
    admin = KafkaAdminClient(**kafka_client_config(kafka_settings))
    try:
        (topic,) = admin.describe_topics([name])
        assert len(topic["partitions"]) == 3
        admin.delete_topics([name])
    finally:
        admin.close()


def test_kafka_python_round_trip(unique_topics: Settings) -> None:
    from kafka import KafkaConsumer, KafkaProducer

    s = unique_topics
    producer = KafkaProducer(**kafka_client_config(s), acks="all")
    try:
        for i in range(N_MESSAGES):
            producer.send(s.input_topic, key=f"k{i}".encode(), value=f"v{i}".encode())
        producer.flush(timeout=30)
    finally:
        producer.close()

    consumer = KafkaConsumer(
        s.input_topic,
        **kafka_client_config(s),
        group_id=f"{s.app_id}-kp",  # a real group: exercises the coordinator like Faust
        auto_offset_reset="earliest",
    )
    seen: list[bytes] = []
    try:
        deadline = time.monotonic() + 30
        while len(seen) < N_MESSAGES and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                seen.extend(r.value for r in records)
        consumer.commit()
    finally:
        consumer.close()
    assert sorted(seen) == sorted(f"v{i}".encode() for i in range(N_MESSAGES))


def test_aiokafka_round_trip(unique_topics: Settings) -> None:
    asyncio.run(_aiokafka_round_trip(unique_topics))


async def _aiokafka_round_trip(s: Settings) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

    producer = AIOKafkaProducer(**aiokafka_client_config(s), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        for i in range(N_MESSAGES):
            await producer.send_and_wait(s.alerts_topic, key=f"k{i}".encode(), value=f"a{i}".encode())
    finally:
        await producer.stop()

    consumer = AIOKafkaConsumer(
        s.alerts_topic,
        **aiokafka_client_config(s),
        group_id=f"{s.app_id}-aio",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    seen: list[bytes] = []
    try:
        deadline = time.monotonic() + 30
        while len(seen) < N_MESSAGES and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                seen.extend(r.value for r in records)
        await consumer.commit()
    finally:
        await consumer.stop()
    assert sorted(seen) == sorted(f"a{i}".encode() for i in range(N_MESSAGES))
