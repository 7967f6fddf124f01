"""``riskmon seed`` on the real broker: a first worker starts from the history's states, where the history ends.

The input topic holds the history (stamped with its event times, as a live
fleet's records are) when the monitor is first deployed.  A dry run starting
at the earliest record warns that it would fold the history twice.  ``riskmon seed``
folds the same history from a file, offline, and is run twice (as after a
kill: the second run writes the same states and offsets again).  A worker started then reads no
history record again, scores the events that follow, and ends with every
user's and entity's state equal to the offline replay of history and live
events together; it sends exactly the alerts that replay raises on the live
events.  Once the worker has committed, seeding again is refused.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from stream.core.rescale import BASE_TABLE, changelog_topic
from stream.kafka.producer import make_producer
from stream.kafka.topics import _admin, delete_topics
from stream.offline.jsonl import write_jsonl
from stream.ops.seed import entity_changelog
from stream.settings import Settings
from stream.sim import SimConfig, generate
from stream.sim.retime import retime
from tests.conftest import free_ports
from tests.faults_support import (
    Workers,
    commits_caught_up,
    http_status,
    offline_expectation,
    processed,
    sent_alerts,
    state_mismatches,
    train_model,
    wait_until,
)
from tests.support import ROOT, metric_sum, scrape, with_device_farm, with_late_merchant

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _seed(settings: Settings, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "stream.cli", "seed", *args], env=settings.environment(), cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def _publish_stamped(settings: Settings, events: list[dict]) -> None:
    """Keyed by user and stamped with the event's time, as a producer fleet sends them live."""
    import orjson
    from datetime import datetime

    producer = make_producer(settings)
    for e in events:
        stamp = int(datetime.fromisoformat(e["ts"]).timestamp() * 1000)
        producer.send(settings.input_topic, key=e["user_id"].encode(), value=orjson.dumps(e), timestamp_ms=stamp)
    producer.flush()
    producer.close()


def _stream() -> tuple[list[dict], int]:
    """Two simulated weeks and a loan farm on day 15, a merchant whose day-2 borrowers repay 16 days
    late on day 13, moved to the present; and where day 11 starts (the history ends before it)."""
    events, labels = generate(SimConfig(users=900, days=14, seed=71, anomaly_rate=0.1, user_prefix="sd",
                                        anomaly_start_day=2))
    events, labels = with_device_farm(*with_late_merchant(events, labels))
    cut = next(i for i, e in enumerate(events) if e["ts"] >= "2026-03-11")
    return retime(events), cut


def _keep_forever(settings: Settings, topic: str) -> None:
    """No time retention on ``topic``: its records are stamped up to three weeks back."""
    from kafka.admin import ConfigResource, ConfigResourceType

    admin = _admin(settings, 30.0, "test")
    try:
        admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, topic, configs={"retention.ms": "-1"})])
    finally:
        admin.close()


def test_a_seeded_worker_continues_the_offline_replay_of_the_history(unique_topics: Settings, tmp_path: Path) -> None:
    (port,) = free_ports(1)
    model_dir = train_model(tmp_path / "model")
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "worker", metrics_port=port)
    _keep_forever(settings, settings.input_topic)
    events, cut = _stream()
    history, live = events[:cut], events[cut:]
    write_jsonl(tmp_path / "history.jsonl", history)
    expected = offline_expectation(model_dir, events, settings.suppress_window_s)
    before = offline_expectation(model_dir, history, settings.suppress_window_s)
    live_alerts = expected.alert_ids - before.alert_ids
    assert live_alerts and before.alert_ids, "the stream should alert in both parts"
    changelogs = [changelog_topic(settings.app_id, BASE_TABLE)] + [
        entity_changelog(settings.app_id, t) for t in settings.sighting_topics()]
    log = tmp_path / "worker.log"
    workers = Workers()
    try:
        _publish_stamped(settings, history)
        careless = _seed(settings, "--input", str(tmp_path / "history.jsonl"), "--start-from", "earliest", "--dry-run")
        assert careless.returncode == 0, careless.stdout + careless.stderr
        assert f"warning: {len(history)} records are stamped at or before" in careless.stdout, careless.stdout
        assert "dry run: nothing written" in careless.stdout
        first = _seed(settings, "--input", str(tmp_path / "history.jsonl"))
        assert first.returncode == 0, first.stdout + first.stderr
        assert f"skipping {len(history)} of the {len(history)} records" in first.stdout, first.stdout
        again = _seed(settings, "--input", str(tmp_path / "history.jsonl"))  # as after a kill: allowed, same result
        assert again.returncode == 0, again.stdout + again.stderr
        assert "seeding again" in again.stdout and f"skipping {len(history)} of" in again.stdout, again.stdout

        worker = workers.start(settings, log)
        wait_until(lambda: http_status(port, "/ready") == 200, 60, "seeded worker ready", [log], [worker])
        _publish_stamped(settings, live)
        wait_until(lambda: processed(port) >= len(live) and not state_mismatches(settings, expected), 90,
                   "live events processed, state == offline replay of history + live", [log], [worker],
                   describe=lambda: "; ".join(state_mismatches(settings, expected)))
        samples = scrape(port)
        assert commits_caught_up(settings) is None
        workers.close()

        assert not state_mismatches(settings, expected)
        user_alerts, entity_alerts = sent_alerts(settings)
        assert {a["alert_id"] for a in user_alerts} == live_alerts
        standing = {a["alert_id"] for a in entity_alerts if "member_of" not in a}
        assert standing == expected.entity_alerts - before.entity_alerts
        assert any(a["entity_type"] == "merchant" for a in entity_alerts)  # from the seeded merchant view
        scored = sum(v for k, v in samples.items()
                     if k.startswith("riskmon_events_processed_total{") and 'outcome="scored"' in k)
        assert scored == len(live), (scored, len(live))  # no history record was read again
        assert metric_sum(samples, "riskmon_state_resets_total") == 0
        assert samples["riskmon_state_users"] == len(expected.states)  # the seeded users and the live ones

        refused = _seed(settings, "--input", str(tmp_path / "history.jsonl"))
        assert refused.returncode == 1
        assert "has committed offsets" in refused.stderr, refused.stderr
    finally:
        workers.close()
        delete_topics(settings, changelogs + list(settings.sighting_topics().values()))
    print(f"\nseeded {len(before.states)} users from {len(history)} history events; the worker scored "
          f"{len(live)} live events and sent {len(live_alerts)} user and {len(standing)} entity alerts, as the "
          "offline replay")
