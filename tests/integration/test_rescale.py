"""``riskmon rescale`` on the real broker, killed twice on the way: no state lost, no event lost or scored twice.

A worker scores the first 40 % of a stream on 4 partitions and is stopped; the
next 20 % arrive while no worker runs (the tail a rescale must carry over:
about half of it belongs to users whose partition changes).  ``rescale
--partitions 8`` is then killed with SIGKILL while copying the states, a worker
started meanwhile refuses to, the next run is killed while moving the tail, and
a third run finishes (a fourth has nothing to do).  A worker on the rescaled
state scores the tail and the last 40 %, sent with 8 partitions.  At the end
every user's state (in the new changelog) and the set of alert ids equal the
offline replay of the whole stream in order, which is what ``riskmon score``
computes; nothing was dead-lettered, no state reset.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from stream.core import rescale as core
from stream.kafka.producer import make_producer, publish
from stream.kafka.topics import delete_topics, partition_counts
from stream.ops.rescale import read_marker
from stream.settings import Settings
from tests.conftest import free_ports
from tests.faults_support import (
    Workers,
    assert_same_as_offline,
    commits_caught_up,
    http_status,
    offline_expectation,
    partition_offsets,
    processed,
    sim_events,
    state_mismatches,
    train_model,
    wait_until,
)
from tests.support import ROOT, decode_dlq, metric_sum, read_topic, scrape, stop_worker

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _rescale(settings: Settings, *args: str, kill_at: tuple[str, int] | None = None) -> subprocess.CompletedProcess:
    """``riskmon rescale --partitions 8`` as an operator runs it, or killed at ``(step, records sent)``."""
    if kill_at is None:
        cmd = [sys.executable, "-m", "stream.cli", "rescale", *args]
    else:
        cmd = [sys.executable, "-m", "tests.rescale_kill", kill_at[0], str(kill_at[1]), "8"]
    return subprocess.run(cmd, env=settings.environment(), cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_rescale_4_to_8_killed_twice_matches_the_offline_replay(unique_topics: Settings, tmp_path: Path) -> None:
    started = time.monotonic()
    (port,) = free_ports(1)
    model_dir = train_model(tmp_path / "model")
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "worker", metrics_port=port,
                                     partition_check_s=2.0)
    events = sim_events(users=600, days=14, seed=61, prefix="rs")
    first, tail, rest = events[: len(events) * 2 // 5], events[len(events) * 2 // 5: len(events) * 3 // 5], \
        events[len(events) * 3 // 5:]
    expected = offline_expectation(model_dir, events, settings.suppress_window_s)
    old_changelog = core.changelog_topic(settings.app_id, core.BASE_TABLE)
    new_changelog = core.changelog_topic(settings.app_id, core.table_name(8))
    logs = [tmp_path / f"worker-{i}.log" for i in range(3)]
    workers = Workers()
    try:
        # 1. A worker on 4 partitions scores the first part, and is stopped.
        worker = workers.start(settings, logs[0])
        wait_until(lambda: http_status(port, "/ready") == 200, 60, "first worker ready", logs[:1], [worker])
        producer = make_producer(settings)
        publish(producer, settings.input_topic, first)
        wait_until(lambda: processed(port) >= len(first), 60, "first part processed", logs[:1], [worker])
        assert commits_caught_up(settings) is None
        assert stop_worker(worker) == 0
        # 2. The producers go on while no worker runs: the tail.
        publish(producer, settings.input_topic, tail)
        producer.close()
        users = len(set(e["user_id"] for e in first))

        # 3. Rescale, killed while copying the states.
        killed = _rescale(settings, kill_at=(core.STATES, users // 3))
        assert killed.returncode == -9, killed.stdout + killed.stderr
        marker = read_marker(settings)
        assert marker is not None and marker.status == core.IN_PROGRESS and marker.steps == ()
        assert partition_counts(settings, [settings.input_topic])[settings.input_topic] == 4

        # 4. A worker refuses to start in the middle of a rescale, and says how to finish it.
        refused = workers.start(settings, logs[1])
        assert refused.wait(timeout=60) == 1
        assert "riskmon rescale --partitions 8" in logs[1].read_text()

        # 5. Killed again while moving the tail (the states and the new partitions are done).
        killed = _rescale(settings, kill_at=(core.TAIL, 40))
        assert killed.returncode == -9, killed.stdout + killed.stderr
        assert "resuming" in killed.stdout
        states_kept = int(re.search(r"(\d+) there already", killed.stdout).group(1))
        assert states_kept >= users // 6, killed.stdout
        marker = read_marker(settings)
        assert marker.steps == (core.STATES, core.PARTITIONS) and marker.copy_start is not None
        assert partition_counts(settings, [settings.input_topic])[settings.input_topic] == 8

        # 6. Run again to completion; once more, nothing to do.
        done = _rescale(settings, "--partitions", "8")
        assert done.returncode == 0, done.stdout + done.stderr
        tail_kept = int(re.search(r"\((\d+) by an earlier run\)", done.stdout).group(1))
        assert tail_kept >= 20, done.stdout
        assert "done:" in done.stdout, done.stdout
        again = _rescale(settings, "--partitions", "8")
        assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout + again.stderr
        marker = read_marker(settings)
        assert marker.status == core.DONE and marker.states == users
        assert marker.moved > 40, marker  # about half of the tail belongs to users on new partitions

        # 7. A worker on the rescaled state (RISKMON_PARTITIONS left at 4: the marker says 8), then the rest.
        worker = workers.start(settings, logs[2])
        wait_until(lambda: http_status(port, "/ready") == 200, 60, "worker on 8 partitions ready", logs[2:], [worker])
        producer = make_producer(settings)  # a fresh producer sees 8 partitions
        publish(producer, settings.input_topic, rest)
        producer.close()

        def finished() -> bool:
            lag = [v for k, v in scrape(port).items() if k.startswith("riskmon_consumer_lag_messages{")]
            return len(lag) == 8 and sum(lag) == 0 and not state_mismatches(settings, expected, new_changelog)

        wait_until(finished, 90, "tail and rest processed, state == offline replay", logs[2:], [worker],
                   describe=lambda: f"{partition_offsets(settings)}; {state_mismatches(settings, expected, new_changelog)}")
        samples = scrape(port)
        stuck = commits_caught_up(settings)
        workers.close()

        counts = assert_same_as_offline(settings, expected, new_changelog)
        dlq = [decode_dlq(v)[0]["reason"] for _, v in read_topic(settings, settings.dlq_topic)]
        assert dlq == [], dlq
        assert metric_sum(samples, "riskmon_state_resets_total") == 0
        assert samples["riskmon_partition_contract_broken"] == 0.0
        assert samples['riskmon_topic_partitions{role="changelog"}'] == 8.0
        # Each event after the first part was scored exactly once by the new worker; each moved original skipped.
        scored = sum(v for k, v in samples.items()
                     if k.startswith("riskmon_events_processed_total{") and 'outcome="scored"' in k)
        assert scored == len(tail) + len(rest), (scored, len(tail), len(rest))
        assert samples["riskmon_events_moved_by_rescale_total"] == marker.moved
        assert metric_sum(samples, "riskmon_events_rekeyed_total") == 0
        assert stuck is None, stuck
    finally:
        workers.close()
        delete_topics(settings, [old_changelog, new_changelog, core.marker_topic(settings.app_id)])
    print(f"\nrescale 4 -> 8: {marker.states} states ({states_kept} written before the first kill), {marker.moved} "
          f"of {len(tail)} tail events moved ({tail_kept} before the second); {counts}; "
          f"{time.monotonic() - started:.0f}s")
