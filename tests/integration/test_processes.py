"""``riskmon worker --processes 2`` on the real broker: two worker processes, one group, one command.

Checks that the two share the stream (each scores part of it, each with its own
health and metrics port), that together they process every event exactly as
the offline replay does, that SIGTERM to the command stops both (no process
left), and that a worker dying on its own takes the set down with its code, so
an orchestrator restarts it whole.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from stream.local.broker import pid_alive
from stream.settings import Settings
from stream.bench.cluster import consecutive_free_ports
from tests.faults_support import (
    Publisher,
    assert_same_as_offline,
    http_status,
    log_tail,
    offline_expectation,
    processed,
    sim_events,
    state_mismatches,
    train_model,
    wait_until,
)
from tests.support import start_worker

pytestmark = [pytest.mark.kafka, pytest.mark.slow]


def _children(pid: int) -> list[int]:
    """The supervisor's worker processes (Linux /proc)."""
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def _gone(pid: int) -> bool:
    return not pid_alive(pid)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_model(tmp_path_factory.mktemp("model"))


def test_two_processes_share_the_stream_and_stop_together(unique_topics: Settings, model_dir: Path, tmp_path: Path) -> None:
    events = sim_events(users=600, days=10, seed=41, prefix="mp")
    first_port = consecutive_free_ports(2)
    ports = [first_port, first_port + 1]
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "workers", metrics_port=first_port)
    expected = offline_expectation(model_dir, events, settings.suppress_window_s)
    log = tmp_path / "workers.log"
    supervisor = start_worker(settings, log, "--processes", "2")
    try:
        wait_until(lambda: all(http_status(p, "/ready") == 200 for p in ports), 90, "both processes ready", [log], [supervisor])
        workers = _children(supervisor.pid)
        assert len(workers) == 2, workers
        publisher = Publisher(settings, events, rate=600.0).start()
        publisher.join()
        wait_until(lambda: not state_mismatches(settings, expected), 120, "every event processed as offline", [log], [supervisor])
        shares = [processed(p) for p in ports]
        assert all(s > 0 for s in shares), f"one process did all the work: {shares}"
        assert sum(shares) >= expected.scored
        assert (tmp_path / "workers" / "process-0").is_dir() and (tmp_path / "workers" / "process-1").is_dir()
        supervisor.send_signal(signal.SIGTERM)
        assert supervisor.wait(timeout=45) == 0, log_tail(log)
        assert all(_gone(w) for w in workers), f"worker processes left behind: {workers}"
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
    counts = assert_same_as_offline(settings, expected)
    print(f"\ntwo processes: events scored per process {shares}; {counts}")


def test_a_worker_that_dies_takes_the_set_down_with_its_code(unique_topics: Settings, model_dir: Path, tmp_path: Path) -> None:
    first_port = consecutive_free_ports(2)
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "workers", metrics_port=first_port)
    log = tmp_path / "workers.log"
    supervisor = start_worker(settings, log, "--processes", "2")
    try:
        wait_until(lambda: all(http_status(p, "/ready") == 200 for p in (first_port, first_port + 1)), 90,
                   "both processes ready", [log], [supervisor])
        victim, other = _children(supervisor.pid)
        os.kill(victim, signal.SIGKILL)
        assert supervisor.wait(timeout=45) != 0
        assert _gone(other), "the surviving worker was left running"
        assert "exited with code" in log.read_text()
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
