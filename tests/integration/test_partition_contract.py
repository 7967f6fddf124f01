"""Adding input partitions under a running worker: it stops, says so, and loses nothing.

Before the check, 4 -> 8 input partitions left the new partitions unconsumed for
minutes while /ready and /healthy said 200, then dead-lettered every event on
them as processing_error (half the stream).  Now the worker sees the mismatch
with its changelog within ``partition_check_s``, stops consuming, answers 503
on /ready and /healthy, sets ``riskmon_partition_contract_broken`` and logs one
error that says what to do; nothing is dead-lettered or committed meanwhile.

A worker started before its topics exist (``riskmon topics`` forgotten) said
ready and healthy and processed nothing, its batches waiting on sends to
topics that were not there; now it names them, reports not ready (still
healthy: a restart would not create them) and holds its input until they exist.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewPartitions

from stream.kafka.producer import make_producer, publish
from stream.kafka.config import kafka_client_config
from stream.kafka.topics import default_topics, delete_topics, ensure_topics
from stream.settings import Settings
from tests.conftest import free_ports
from tests.faults_support import (
    Workers,
    group_offsets,
    http_status,
    processed,
    sim_events,
    train_model,
    wait_until,
)
from tests.support import read_topic, scrape

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_model(tmp_path_factory.mktemp("model"))


def test_adding_input_partitions_stops_the_worker_loudly(unique_topics: Settings, model_dir: Path,
                                                         tmp_path: Path) -> None:
    (port,) = free_ports(1)
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "worker",
                                     metrics_port=port, partition_check_s=1.0)
    events = sim_events(users=200, days=14, seed=51, prefix="pc")
    first, second = events[: len(events) // 2], events[len(events) // 2 :]
    log = tmp_path / "worker.log"
    workers = Workers()
    try:
        worker = workers.start(settings, log)
        wait_until(lambda: http_status(port, "/ready") == 200, 60, "worker ready", [log], [worker])
        producer = make_producer(settings)
        publish(producer, settings.input_topic, first)
        wait_until(lambda: processed(port) >= len(first), 60, "first half processed", [log], [worker])
        assert scrape(port)["riskmon_partition_contract_broken"] == 0.0

        admin = KafkaAdminClient(**kafka_client_config(settings))
        try:
            admin.create_partitions({settings.input_topic: NewPartitions(total_count=8)})
        finally:
            admin.close()
        publish(make_producer(settings), settings.input_topic, second)  # a fresh producer sees 8 partitions

        wait_until(lambda: scrape(port).get("riskmon_partition_contract_broken") == 1.0, 30,
                   "the broken partition contract reported", [log], [worker])
        assert http_status(port, "/ready") == 503 and http_status(port, "/healthy") == 503
        samples = scrape(port)
        assert samples['riskmon_topic_partitions{role="input"}'] == 8.0
        assert samples['riskmon_topic_partitions{role="changelog"}'] == 4.0
        assert worker.poll() is None, "the worker must stay up (and say why), not crash-loop"
        committed = group_offsets(settings)
    finally:
        workers.close()
    text = log.read_text()
    assert text.count("partition contract broken") == 1, text[-3000:]
    assert "has 8 partitions" in text and "docs/operations.md" in text
    assert not read_topic(settings, settings.dlq_topic), "events were dead-lettered instead of waiting"
    assert committed is not None and committed[0] < len(events), "events on the new partitions were committed"


def test_topics_missing_at_start_are_named_and_hold_the_worker_not_ready(kafka_settings: Settings, model_dir: Path,
                                                                          tmp_path: Path) -> None:
    (port,) = free_ports(1)
    suffix = uuid.uuid4().hex[:10]
    settings = kafka_settings.replace(
        input_topic=f"missing-{suffix}", alerts_topic=f"missing-alerts-{suffix}", dlq_topic=f"missing-dlq-{suffix}",
        app_id=f"missing-{suffix}", model_dir=model_dir, data_dir=tmp_path / "worker",
        metrics_port=port, partition_check_s=1.0)
    log = tmp_path / "worker.log"
    workers = Workers()
    try:
        worker = workers.start(settings, log)
        wait_until(lambda: "topics missing on" in log.read_text(), 60, "the missing topics named", [log], [worker])
        assert http_status(port, "/ready") == 503 and http_status(port, "/healthy") == 200
        ensure_topics(settings)
        wait_until(lambda: http_status(port, "/ready") == 200, 30, "ready once the topics exist", [log], [worker])
        # ... and reads them at once, not at the consumer's periodic metadata refresh (5 minutes; fix 10).
        events = sim_events(users=20, days=3, seed=43, prefix="late")
        producer = make_producer(settings)
        sent, _ = publish(producer, settings.input_topic, events)
        producer.close()
        wait_until(lambda: processed(port) >= sent, 60, f"{sent} events processed", [log], [worker])
        assert worker.poll() is None
    finally:
        workers.close()
        delete_topics(settings, list(default_topics(settings)))
    text = log.read_text()
    named = next(line for line in text.splitlines() if "topics missing on" in line)
    assert all(topic in named for topic in default_topics(settings)) and "riskmon topics" in named
    assert text.count("topics missing on") == 1 and "topics exist now" in text, text[-3000:]
