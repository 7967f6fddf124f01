"""Fault tests against the real local broker and the real worker process.

Each fault test compares the end state with the *no-fault expectation*, the
offline replay of the same events (see tests/faults_support.py):

(a) per user, the last changelog value == ``UserState.to_bytes()`` offline;
(b) the set of alert ids sent == the offline set of non-suppressed alert ids
    (duplicates of one alert id are allowed: delivery is at-least-once);
(c) counts (events processed by the surviving/restarted worker, users, alerts).
"""

from __future__ import annotations

import re
import subprocess
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import orjson
import pytest

from stream.core.features import RECENT_IDS, UserState
from stream.kafka.ops import commit_offsets
from stream.local import broker
from stream.worker.health import EXIT_STALLED, Health
from stream.kafka.producer import make_producer
from stream.settings import Settings
from stream.kafka.topics import delete_topics, ensure_topics
from tests.conftest import free_ports
from tests.faults_support import (
    Publisher,
    Workers,
    assert_same_as_offline,
    changelog_topic,
    commits_caught_up,
    describe_progress,
    events_reflected,
    fresh_settings,
    group_offsets,
    http_status,
    kill9,
    last_changelog_values,
    log_tail,
    offline_expectation,
    processed,
    sim_events,
    state_mismatches,
    train_model,
    wait_until,
)
from tests.support import metric_sum, read_topic, scrape

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_model(tmp_path_factory.mktemp("model"))


def _finished(settings: Settings, expected, port: int) -> bool:
    """Every event processed (the worker's own lag is 0) and the changelog equal to the offline states."""
    samples = scrape(port)
    lag = [v for k, v in samples.items() if k.startswith("riskmon_consumer_lag_messages{")]
    return bool(lag) and sum(lag) == 0 and not state_mismatches(settings, expected)


# --------------------------------------------------------------------------- kill -9 and restart


def test_kill9_mid_stream_then_restart(unique_topics: Settings, model_dir: Path, tmp_path: Path) -> None:
    events = sim_events(users=800, days=14, seed=21, prefix="k9")
    (port,) = free_ports(1)
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "worker", metrics_port=port)
    expected = offline_expectation(model_dir, events, settings.suppress_window_s)
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers = Workers()
    publisher = Publisher(settings, events, rate=700.0)
    try:
        first = workers.start(settings, logs[0])
        wait_until(lambda: http_status(port, "/ready") == 200, 60, "first worker ready", logs[:1], [first])
        publisher.start()
        wait_until(lambda: processed(port) >= len(events) // 3, 60, "a third of the events processed", logs[:1], [first])
        before_kill = processed(port)
        scored_before_kill = _scored(scrape(port))
        kill9(first)
        assert before_kill < len(events), "the worker finished before it could be killed mid-stream"

        offsets = group_offsets(settings)
        assert offsets is not None
        committed_at_restart = offsets[0]
        assert committed_at_restart < len(events)
        t_kill = time.monotonic()
        restored = last_changelog_values(settings)
        restored_users = len(restored)
        assert restored_users > 0

        second = workers.start(settings, logs[1])
        # /ready must not say 200 before the restarted worker has restored its table.
        statuses: list[int] = []
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline and second.poll() is None:
            code = http_status(port, "/ready")
            if code is not None:
                statuses.append(code)
                if code == 200:
                    break
            time.sleep(0.02)
        assert statuses and statuses[-1] == 200, f"restarted worker never became ready: {statuses[-5:]}"
        assert statuses[0] == 503, f"/ready answered {statuses[0]} before the table was restored"
        t_ready = time.monotonic() - t_kill
        # Once ready, the whole restored table is there (the gauge is refreshed each second).
        wait_until(lambda: scrape(port)["riskmon_state_users"] >= restored_users, 10,
                   f"state_users >= {restored_users} restored users", logs[1:], [second])

        publisher.join()
        wait_until(lambda: _finished(settings, expected, port), 120, "all processed and state == offline", logs[1:],
                   [second], describe=describe_progress(settings, expected, port))
        samples = scrape(port)
        # Then the group's committed offsets must catch up too: a stuck commit shows
        # as a false backlog and makes the next restart replay all of it.
        stuck = commits_caught_up(settings)
    finally:
        workers.close()
        publisher.producer.close()

    counts = assert_same_as_offline(settings, expected)
    assert counts["entity_alerts"] > 0, "the farm's device never alerted: the entity stage's check proved nothing"
    # (c) The restarted worker saw exactly the uncommitted tail: redelivered events
    # (recognised as duplicates, not rescored) plus the ones never processed.
    scored = _scored(samples)
    total = metric_sum(samples, "riskmon_events_processed_total")
    replayed = len(events) - committed_at_restart
    # >=, not ==: a rebalance while the dead member still held the group can hand
    # the restarted worker a partition twice (at-least-once); the state check above
    # proves the repeats were recognised.
    assert total >= replayed, f"restarted worker handled {total} events, {replayed} were uncommitted or new"
    # Exactly the events missing from the restored state were scored again; the rest
    # of what was redelivered was recognised as duplicates.  (The killed worker may
    # have scored more than its changelog kept: those effects died with it.)
    reflected = events_reflected(model_dir, events, restored, settings.suppress_window_s)
    assert scored == expected.scored - reflected, (
        f"restarted worker scored {scored}, but {expected.scored - reflected} events were not in the restored state")
    assert samples["riskmon_state_users"] == counts["users"]
    assert stuck is None, stuck
    print(f"\nkill -9 after {before_kill:.0f}/{len(events)} events; ready {t_ready:.1f}s after the kill; "
          f"{reflected} events in the restored changelog, {scored_before_kill:.0f} scored by the killed worker "
          f"when last scraped; restart handled {total:.0f} ({total - scored:.0f} duplicates); {counts}")


# --------------------------------------------------------------------------- the whole log read again


def test_the_whole_log_read_again_changes_no_state(unique_topics: Settings, model_dir: Path, tmp_path: Path) -> None:
    """The longest replay there is (finding 20): every event of every user redelivered in order,
    many users with more events than the state's recent ids.  All are recognised by position: no
    state changes, nothing is scored or alerted again."""
    events = sim_events(users=80, days=60, seed=24, prefix="rw")
    per_user = Counter(e["user_id"] for e in events)
    assert sum(1 for n in per_user.values() if n > RECENT_IDS) >= 10, "test data: too few users beyond the id ring"
    (port,) = free_ports(1)
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "worker", metrics_port=port)
    expected = offline_expectation(model_dir, events, settings.suppress_window_s)
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers = Workers()
    Publisher(settings, events, rate=5000.0).start().join()
    try:
        first = workers.start(settings, logs[0])
        wait_until(lambda: http_status(port, "/ready") == 200 and _finished(settings, expected, port), 120,
                   "all processed, state == offline", logs[:1], [first], describe=describe_progress(settings, expected, port))
        assert commits_caught_up(settings) is None
        workers.close()
        alerts_before = len(read_topic(settings, settings.alerts_topic))
        # As an operator's ``kafka-consumer-groups --reset-offsets --to-earliest``: the next worker reads it all again.
        commit_offsets(settings, settings.app_id, settings.input_topic, {p: 0 for p in range(settings.partitions)})
        wait_until(lambda: group_offsets(settings) == (0, len(events)), 30, "the group's offsets at 0", logs[:1], [])

        second = workers.start(settings, logs[1])
        wait_until(lambda: http_status(port, "/ready") == 200 and _finished(settings, expected, port)
                   and processed(port) >= len(events), 120, "the whole log read again", logs[1:], [second],
                   describe=describe_progress(settings, expected, port))
        samples = scrape(port)
    finally:
        workers.close()

    assert_same_as_offline(settings, expected)
    assert _scored(samples) == 0, f"{_scored(samples):.0f} replayed events scored again"
    assert metric_sum(samples, "riskmon_events_processed_total") == len(events)
    assert len(read_topic(settings, settings.alerts_topic)) == alerts_before, "a replayed event alerted again"


def test_a_keyless_log_read_again_changes_no_state(unique_topics: Settings, model_dir: Path, tmp_path: Path) -> None:
    """Finding 25 on the broker: a producer without keys (every event re-keyed to its user's
    partition), then the whole log read again: the originals are sent on a second time, as new
    copies at new offsets, and the first copies are read again.  Every one is recognised: no state
    changes, nothing is scored or alerted again, and no user lost or doubled an event."""
    events = sim_events(users=60, days=60, seed=25, prefix="kl")
    per_user = Counter(e["user_id"] for e in events)
    assert sum(1 for n in per_user.values() if n > RECENT_IDS) >= 10, "test data: too few users beyond the id ring"
    (port,) = free_ports(1)
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "worker", metrics_port=port)
    producer = make_producer(settings)
    for e in events:
        producer.send(settings.input_topic, value=orjson.dumps(e))  # no key: the client spreads them
    producer.flush()
    producer.close()
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers = Workers()

    def caught_up(done: float) -> bool:
        samples = scrape(port)
        lag = [v for k, v in samples.items() if k.startswith("riskmon_consumer_lag_messages{")]
        return bool(lag) and sum(lag) == 0 and metric_sum(samples, "riskmon_events_processed_total") >= done

    try:
        first = workers.start(settings, logs[0])
        wait_until(lambda: http_status(port, "/ready") == 200 and caught_up(len(events)), 120,
                   "every copy folded", logs[:1], [first])
        assert commits_caught_up(settings) is None
        workers.close()
        stored = last_changelog_values(settings)
        alerts_before = len(read_topic(settings, settings.alerts_topic))
        commit_offsets(settings, settings.app_id, settings.input_topic, {p: 0 for p in range(settings.partitions)})
        wait_until(lambda: group_offsets(settings) == (0, 2 * len(events)), 30, "the group's offsets at 0", logs[:1], [])

        second = workers.start(settings, logs[1])
        wait_until(lambda: http_status(port, "/ready") == 200 and caught_up(2 * len(events)), 120,
                   "the originals sent on again and the first copies read again", logs[1:], [second])
        samples = scrape(port)
    finally:
        workers.close()

    loans = Counter(e["user_id"] for e in events if e["event_type"] == "loan")
    for user, n in per_user.items():
        state = UserState.from_bytes(stored[user])
        assert (state.n_loans, state.n_repayments) == (loans[user], n - loans[user]), user
    assert last_changelog_values(settings) == stored
    assert _scored(samples) == 0, f"{_scored(samples):.0f} events scored again"
    assert len(read_topic(settings, settings.alerts_topic)) == alerts_before, "an event alerted again"


# --------------------------------------------------------------------------- two workers, one killed


@pytest.fixture
def eight_partitions(kafka_settings: Settings) -> Iterator[Settings]:
    settings = fresh_settings(kafka_settings, uuid.uuid4().hex[:10], partitions=8)
    ensure_topics(settings)
    yield settings
    delete_topics(settings, [settings.input_topic, settings.alerts_topic, settings.dlq_topic, changelog_topic(settings)])


def test_two_workers_one_killed(eight_partitions: Settings, model_dir: Path, tmp_path: Path) -> None:
    events = sim_events(users=800, days=14, seed=22, prefix="tw")
    ports = free_ports(2)
    cfg = [
        eight_partitions.replace(model_dir=model_dir, data_dir=tmp_path / f"worker-{i}", metrics_port=ports[i])
        for i in range(2)
    ]
    expected = offline_expectation(model_dir, events, cfg[0].suppress_window_s)
    logs = [tmp_path / "worker-0.log", tmp_path / "worker-1.log"]
    workers = Workers()
    publisher = Publisher(cfg[0], events, rate=500.0)
    try:
        procs = [workers.start(cfg[i], logs[i]) for i in range(2)]
        wait_until(lambda: all(http_status(p, "/ready") == 200 for p in ports), 90, "both workers ready", logs, procs)
        # Both in the group with partitions of their own before the stream starts.
        wait_until(lambda: all(_assigned(p) for p in ports), 60, "partitions spread over both workers", logs, procs)
        publisher.start()
        wait_until(lambda: processed(ports[0]) > 200 and processed(ports[1]) > 200, 60,
                   "both workers processing", logs, procs)
        kill9(procs[0])
        survivor = procs[1]
        publisher.join()
        # The dead member's partitions move after the group session times out.
        wait_until(lambda: _finished(cfg[1], expected, ports[1]) and len(_lag_partitions(scrape(ports[1]))) == 8, 120,
                   "survivor took over all 8 partitions, processed all, state == offline", logs[1:], [survivor],
                   describe=describe_progress(cfg[1], expected, ports[1]))
        samples = scrape(ports[1])
        stuck = commits_caught_up(cfg[1])
    finally:
        workers.close()
        publisher.producer.close()

    counts = assert_same_as_offline(cfg[1], expected)
    assert len(_lag_partitions(samples)) == 8, "survivor should own all 8 partitions"
    assert samples["riskmon_state_users"] == counts["users"]
    assert stuck is None, stuck
    print(f"\ntwo workers, one killed: {counts}")


def _scored(samples: dict[str, float]) -> float:
    return sum(v for k, v in samples.items() if k.startswith("riskmon_events_processed_total{") and 'outcome="scored"' in k)


def _lag_partitions(samples: dict[str, float]) -> set[str]:
    return {k for k in samples if k.startswith("riskmon_consumer_lag_messages{")}


def _assigned(port: int) -> bool:
    return 0 < len(_lag_partitions(scrape(port))) < 8


# --------------------------------------------------------------------------- broker restart


def test_broker_restart_mid_stream(private_kafka_settings: Settings, model_dir: Path, tmp_path: Path) -> None:
    base = private_kafka_settings
    events = sim_events(users=1000, days=14, seed=23, prefix="br")
    half = len(events) // 2
    (port,) = free_ports(1)
    settings = fresh_settings(base, "br", model_dir=model_dir, data_dir=tmp_path / "worker", metrics_port=port)
    expected = offline_expectation(model_dir, events, settings.suppress_window_s)
    log = tmp_path / "worker.log"
    workers = Workers()
    try:
        broker.start(settings, tie_to_parent=True)
        ensure_topics(settings)
        worker = workers.start(settings, log)
        wait_until(lambda: http_status(port, "/ready") == 200, 60, "worker ready", [log], [worker])
        first = Publisher(settings, events[:half], rate=800.0).start()
        wait_until(lambda: processed(port) >= half // 2, 60, "some events processed", [log], [worker])
        broker.stop(settings)
        time.sleep(3)  # the worker (and the publisher, which buffers and retries) run with no broker
        assert worker.poll() is None, "worker died while the broker was down"
        broker.start(settings, tie_to_parent=True)
        first.join()
        producer = make_producer(settings)
        try:
            for event in events[half:]:
                producer.send(settings.input_topic, key=event["user_id"].encode(), value=_dumps(event))
            producer.flush()
        finally:
            producer.close()
        wait_until(lambda: _finished(settings, expected, port), 150, "reconnected: all processed, state == offline",
                   [log], [worker], describe=describe_progress(settings, expected, port))
        stuck = commits_caught_up(settings)
        counts = assert_same_as_offline(settings, expected)
        assert http_status(port, "/ready") == 200 and http_status(port, "/healthy") == 200
        assert stuck is None, stuck
        print(f"\nbroker restart: {counts}")
    finally:
        workers.close()
        broker.stop(settings)


def _dumps(event: dict) -> bytes:
    import orjson

    return orjson.dumps(event)


# --------------------------------------------------------------------------- stalled-consumer watchdog


def _stall_a_worker(workers: Workers, base: Settings, log: Path, events: list[dict],
                    **settings: Any) -> tuple[Settings, int, subprocess.Popen]:
    """Start a worker, delete its dead-letter topic, then send a message it must dead-letter and
    ``events`` behind it: its batch waits on the DLQ send, and the events queue up.  The topic goes
    after the worker's start-up check of its topics, which would have held it not ready instead
    (``test_partition_contract``), and before its next check (``partition_check_s`` an hour)."""
    (port,) = free_ports(1)
    configured = base.replace(data_dir=log.parent / "worker", metrics_port=port, stall_timeout_s=3.0,
                              partition_check_s=3600.0, **settings)
    worker = workers.start(configured, log)
    wait_until(lambda: http_status(port, "/ready") == 200, 60, "worker ready", [log], [worker])
    assert http_status(port, "/healthy") == 200
    delete_topics(configured, [configured.dlq_topic])
    _poison_then(configured, events)
    return configured, port, worker


def _poison_then(settings: Settings, events: list[dict]) -> None:
    """A message that must be dead-lettered (the stall's cause while the DLQ topic is missing), then ``events``."""
    producer = make_producer(settings)
    try:
        producer.send(settings.input_topic, key=b"st-poison", value=b"not json at all")
        producer.flush()
        time.sleep(1.0)
        for event in events:
            producer.send(settings.input_topic, key=event["user_id"].encode(), value=_dumps(event))
        producer.flush()
    finally:
        producer.close()


def test_watchdog_reports_a_stalled_worker(unique_topics: Settings, model_dir: Path, tmp_path: Path) -> None:
    """A real stall without any test hook: the dead-letter topic is missing, so the
    worker's batch waits on the DLQ send (metadata for a topic that does not exist)
    while the event loop, the lag timer and the HTTP server keep running.  Valid
    events queue up behind it: lag grows, no batch finishes -> /healthy 503 and
    riskmon_worker_stalled 1.  Recreating the topic un-sticks it -> 200, and the
    held message reaches the DLQ."""
    events = sim_events(users=200, days=14, seed=24, prefix="st")
    log = tmp_path / "worker.log"
    workers = Workers()
    try:
        settings, port, worker = _stall_a_worker(workers, unique_topics, log, events, model_dir=model_dir)
        try:
            wait_until(lambda: http_status(port, "/healthy") == 503, 15, "/healthy 503 while stalled", [log], [worker])
        except AssertionError as exc:
            wanted = ("riskmon_worker", "riskmon_consumer_lag", "riskmon_events")
            raise AssertionError(f"{exc}\nmetrics: {[(k, v) for k, v in scrape(port).items() if k.startswith(wanted)]}") from None
        # The HTTP thread judges /healthy itself; the gauge follows at the event loop's next lag check.
        wait_until(lambda: scrape(port)["riskmon_worker_stalled"] == 1.0, 5, "riskmon_worker_stalled 1", [log], [worker])
        samples = scrape(port)
        assert metric_sum(samples, "riskmon_consumer_lag_messages") > 0
        assert processed(port) < len(events)
        stall_line = next(line for line in log.read_text(errors="replace").splitlines() if "worker stalled" in line)
        # Where each partition stands, for whoever is paged: processed/committed/fetch position/end.
        assert re.search(r"partitions processed/committed/fetch/end: p0 [-\d]+/[-\d]+/[-\d]+/\d+", stall_line), stall_line

        ensure_topics(settings)  # the operator fixes the cause
        wait_until(lambda: processed(port) >= len(events), 120, "all events processed after the fix", [log], [worker])
        wait_until(lambda: http_status(port, "/healthy") == 200, 15, "/healthy back to 200", [log], [worker])
        assert scrape(port)["riskmon_worker_stalled"] == 0.0
        wait_until(lambda: len(read_topic(settings, settings.dlq_topic)) >= 1, 30, "poison message on the DLQ", [log], [worker])
    finally:
        workers.close()


def test_a_worker_stuck_for_stall_exit_s_exits_and_its_restart_loses_nothing(
        unique_topics: Settings, model_dir: Path, tmp_path: Path) -> None:
    """The same real stall, with ``stall_exit_s``: the worker ends itself with status 75 (what Docker
    Compose's ``restart:`` policy needs, having no liveness probe); started again once the cause is
    fixed, it processes every event and dead-letters the poison message."""
    events = sim_events(users=100, days=7, seed=25, prefix="sx")
    log = tmp_path / "worker.log"
    workers = Workers()
    try:
        settings, port, worker = _stall_a_worker(workers, unique_topics, log, events, model_dir=model_dir,
                                                 stall_exit_s=3.0)
        assert worker.wait(timeout=90) == EXIT_STALLED, log_tail(log)
        assert "exiting with status 75" in log.read_text(errors="replace")

        ensure_topics(settings)  # the operator fixes the cause; the supervisor starts the worker again
        again = workers.start(settings, tmp_path / "worker-again.log")
        wait_until(lambda: processed(port) >= len(events), 120, "all events processed after the restart",
                   [tmp_path / "worker-again.log"], [again])
        wait_until(lambda: len(read_topic(settings, settings.dlq_topic)) >= 1, 30, "poison message on the DLQ",
                   [tmp_path / "worker-again.log"], [again])
        assert scrape(port)["riskmon_worker_stalled"] == 0.0
    finally:
        workers.close()


def test_watchdog_logic_unit() -> None:
    """Health.observe_lag alone: stalled only when ready, lag > 0 and no progress for the timeout."""
    h = Health(stall_timeout_s=5.0)
    h.progressed(now=1000.0)
    h.observe_lag({0: 10}, now=1100.0)
    assert not h.stalled, "not ready yet (restoring): never stalled"
    h.set_ready(True)
    h.observe_lag({0: 10, 1: 0}, now=1004.0)
    assert not h.stalled, "within the timeout"
    h.observe_lag({0: 0, 1: 0}, now=1100.0)
    assert not h.stalled, "no lag: idle, not stalled"
    h.observe_lag({0: 3, 1: 0}, now=1100.0)
    assert not h.stalled, "idle for 100 s, but the messages only began to wait now"
    h.observe_lag({0: 3, 1: 0}, now=1105.5)
    assert h.stalled
    from stream.worker import metrics

    assert metrics.STALLED._value.get() == 1.0
    assert metrics.CONSUMER_LAG.labels("0")._value.get() == 3
    h.observe_lag({1: 4}, now=1106.0)  # partition 0 revoked: its series goes away
    assert ("0",) not in metrics.CONSUMER_LAG._metrics
    assert h.stalled
    h.progressed(now=1107.0)
    assert not h.stalled and metrics.STALLED._value.get() == 0.0
    h.observe_lag({1: 4}, now=1111.0)
    assert not h.stalled
    h.observe_lag({1: 4}, now=1112.5, describe=lambda: 1 / 0)
    assert h.stalled, "a failing description does not change the verdict"


def test_healthy_endpoint_sees_a_stall_without_the_event_loop() -> None:
    """The HTTP thread must judge staleness itself: ready, lag known > 0, and the last
    progress older than the timeout -> 503, even if observe_lag is not called again."""
    import urllib.error
    import urllib.request

    from stream.worker.health import serve

    h = Health(stall_timeout_s=2.0)
    h.set_ready(True)
    h.progressed()
    h.observe_lag({0: 50})  # the last lag the timer saw before the loop got stuck
    (port,) = free_ports(1)
    server = serve(h, port, host="127.0.0.1")
    try:
        h.last_progress = h.waiting_since = time.time() - 30  # 30 s of waiting, no batch; the timer has not run since
        try:
            code = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthy", timeout=3).status
        except urllib.error.HTTPError as exc:
            code = exc.code
        assert code == 503
    finally:
        server.shutdown()


def test_restore_watchdog_logic_unit() -> None:
    """Health.observe_restore alone: stuck only when changelog records remain unread, unchanged, for the timeout."""
    from stream.worker import metrics

    h = Health(stall_timeout_s=5.0)
    h.observe_restore(None, now=1000.0)
    assert not h.restore_stuck and not h.is_stalled(now=1000.0)
    h.observe_restore(300, now=1000.0)
    h.observe_restore(120, now=1004.0)
    h.observe_restore(120, now=1008.0)
    assert not h.restore_stuck, "read 180 records 4 s ago: moving"
    h.observe_restore(120, now=1009.5)
    assert h.restore_stuck and h.is_stalled(now=1009.5) and metrics.STALLED._value.get() == 1.0
    h.observe_restore(500, now=1010.0)  # a rebalance started a new restore
    assert not h.restore_stuck and metrics.STALLED._value.get() == 0.0
    h.observe_restore(0, now=1011.0)
    assert not h.restore_stuck and h.restore_left is None
    h.observe_restore(40, now=1020.0)
    h.observe_restore(40, now=1030.0)
    assert h.restore_stuck
    h.observe_restore(None, now=1031.0)  # restore over: the batch watchdog takes it from here
    assert not h.restore_stuck and not h.is_stalled(now=1031.0)
