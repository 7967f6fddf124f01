"""Adding input partitions under a running worker: it stops, says so, and loses nothing.

Before the check, 4 -> 8 input partitions left the new partitions unconsumed for
minutes while /ready and /healthy said 200, then dead-lettered every event on
them as processing_error (half the stream).  Now the worker sees the mismatch
with its changelog within ``partition_check_s``, stops consuming, answers 503
on /ready and /healthy, sets ``riskmon_partition_contract_broken`` and logs one
error that says what to do; nothing is dead-lettered or committed meanwhile.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from kafka import KafkaAdminClient
from kafka.admin import NewPartitions

from stream.kafka.producer import make_producer, publish
from stream.kafka.config import kafka_client_config
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


def test_adding_input_partitions_stops_the_worker_loudly(unique_topics: Settings, tmp_path: Path) -> None:
    (port,) = free_ports(1)
    settings = unique_topics.replace(model_dir=train_model(tmp_path / "model"), data_dir=tmp_path / "worker",
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
