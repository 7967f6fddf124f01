"""The stall exit of ``stream.worker.health``: when a stuck worker ends itself (no broker); and a
metrics port already taken, refused in words.

``tests/integration/test_faults.py`` stalls a real worker and watches it exit and
come back; the watchdog's own verdict is tested there too (``test_watchdog_logic_unit``).
"""

from __future__ import annotations

import logging
import socket
import threading
import time

import pytest

from stream.worker.health import EXIT_STALLED, Health, StallExit, exit_when_stalled, serve


def _stuck(health: Health, now: float) -> None:
    health.set_ready(True)
    health.progressed(now=now - 100)
    health.observe_lag({0: 5}, now=now - 100)  # messages waiting since the last batch
    health.observe_lag({0: 5}, now=now)


def test_a_stuck_worker_is_due_to_exit_once_stuck_for_the_whole_span() -> None:
    health = Health(stall_timeout_s=10)
    decision = StallExit(health, after_s=30)
    assert not decision.due(1000.0)  # nothing waiting: idle, not stuck
    _stuck(health, 1000.0)
    assert not decision.due(1000.0) and not decision.due(1029.0)
    assert decision.due(1030.0)


def test_progress_starts_the_span_again() -> None:
    health = Health(stall_timeout_s=10)
    decision = StallExit(health, after_s=30)
    _stuck(health, 1000.0)
    assert not decision.due(1020.0)
    health.progressed(now=1021.0)
    health.observe_lag({0: 5}, now=1021.0)
    assert not decision.due(1021.0)
    _stuck(health, 1040.0)
    assert not decision.due(1040.0) and not decision.due(1069.0) and decision.due(1070.0)


def test_a_stuck_table_restore_counts_and_a_broken_partition_contract_does_not() -> None:
    health = Health(stall_timeout_s=10)
    decision = StallExit(health, after_s=5)
    health.observe_contract("the input topic has 8 partitions, the changelog 4: ...")
    assert health.is_stalled(2000.0) and not decision.due(2000.0) and not decision.due(3000.0)
    health.observe_contract(None)
    health.observe_restore(400, now=3000.0)
    health.observe_restore(400, now=3011.0)  # nothing read for longer than the stall timeout
    assert not decision.due(3011.0) and decision.due(3016.0)


def test_the_watch_ends_the_process_with_the_stalled_status_even_when_its_log_cannot_be_written(tmp_path) -> None:
    # Found by a full run: a root handler on a closed stream raised from flush() and the thread died.
    closed = open(tmp_path / "gone.log", "w")  # noqa: SIM115
    closed.close()
    broken = logging.StreamHandler(closed)
    logging.getLogger().addHandler(broken)
    health = Health(stall_timeout_s=1)
    ended: list[int] = []
    done = threading.Event()

    def end(status: int) -> None:
        ended.append(status)
        done.set()

    try:
        _stuck(health, time.time())
        exit_when_stalled(health, after_s=0.05, interval_s=0.01, end=end)
        assert done.wait(10), "the watch never ended the stuck worker"
    finally:
        logging.getLogger().removeHandler(broken)
    assert ended == [EXIT_STALLED]


def test_a_metrics_port_already_taken_is_named_with_what_to_do() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError) as caught:
            serve(Health(stall_timeout_s=10), port, host="127.0.0.1")
    assert f"metrics port {port} is already in use" in str(caught.value)
    assert "RISKMON_METRICS_PORT" in str(caught.value)


def test_a_worker_idle_for_long_is_not_stuck_the_moment_messages_reach_it() -> None:
    """An input topic created late, or a rebalance handing an idle worker a partition: the stall clock
    starts when messages begin to wait, not at the last batch an hour before."""
    health = Health(stall_timeout_s=10)
    health.set_ready(True)
    health.progressed(now=0.0)
    health.observe_lag({}, now=3600.0)  # nothing assigned
    health.observe_lag({0: 45}, now=3700.0)
    assert not health.stalled and not health.is_stuck(3700.0) and not health.is_stuck(3709.0)
    assert health.is_stuck(3711.0)
    health.observe_lag({0: 45}, now=3711.0)
    assert health.stalled


def test_messages_that_waited_for_a_long_restore_start_the_stall_clock_when_the_worker_is_ready() -> None:
    """An outside review's case: after a 10-minute restore the first check declared the worker
    stalled for 600 s before its first batch could run."""
    health = Health(stall_timeout_s=60)
    health.progressed(now=0.0)  # the last batch before the restart's restore
    health.observe_lag({0: 1000}, now=10.0)  # not ready: restoring
    health.set_ready(True, now=610.0)
    health.observe_lag({0: 1000}, now=611.0)
    assert not health.stalled and not health.is_stuck(611.0) and not health.is_stuck(669.0)
    assert health.is_stuck(671.0)  # a real stall after it is still one


def test_an_entity_stage_stuck_while_the_input_flows_is_a_stall_named_by_its_stage(caplog) -> None:
    """An outside review's case: the entity stages' batches are not the worker's progress, so a stuck
    device stage with the input flowing went unseen, its ring alerts silently not sent."""
    from stream.worker import metrics

    health = Health(stall_timeout_s=10)
    health.set_ready(True, now=0.0)
    health.stage_progressed("merchant", now=0.0)
    health.observe_stage("merchant", 0, now=500.0)  # an idle stage never stalls
    for now in (0.0, 5.0, 11.0):
        health.progressed(now=now)  # the input stage keeps finishing batches
        health.observe_lag({0: 3}, now=now)
        health.observe_stage("device", 40, now=now)  # sightings wait since 0.0, no device batch
    assert not health.stalled and health.stages["device"].stalled and not health.stages["merchant"].stalled
    assert health.is_stuck(11.0) and health.is_stalled(11.0) and metrics.STALLED._value.get() == 1.0
    assert any("the device stage stalled" in r.getMessage() and "40 sightings" in r.getMessage()
               for r in caplog.records if r.levelno == logging.ERROR)
    health.stage_progressed("device", now=12.0)
    assert not health.is_stuck(12.0) and metrics.STALLED._value.get() == 0.0


def test_the_http_thread_sees_an_entity_stage_stuck_between_checks() -> None:
    health = Health(stall_timeout_s=10)
    health.set_ready(True, now=0.0)
    health.stage_progressed("device", now=0.0)
    health.observe_stage("device", 7, now=1.0)
    assert not health.is_stuck(10.5) and health.is_stuck(11.5)  # the event loop has not checked since 1.0


def test_sightings_that_waited_for_a_restore_start_their_stage_clock_when_the_worker_is_ready() -> None:
    health = Health(stall_timeout_s=60)
    health.stage_progressed("device", now=0.0)
    health.observe_stage("device", 500, now=10.0)  # not ready: restoring
    health.set_ready(True, now=610.0)
    health.observe_stage("device", 500, now=611.0)
    assert not health.stages["device"].stalled and not health.is_stuck(669.0) and health.is_stuck(671.0)


def test_what_waits_on_a_topic_is_counted_from_the_last_processed_offset_else_the_committed_one() -> None:
    """``stream.worker.app._waiting``, which feeds both the input's and the entity stages' clocks."""
    import asyncio
    from types import SimpleNamespace

    from faust.types import TP

    from stream.worker.app import _waiting

    topic = "riskmon-device-sightings"
    assigned = [TP(topic, 0), TP(topic, 1), TP("loan-events", 0)]

    async def highwaters(*tps: TP) -> dict[TP, int]:
        assert set(tps) == {TP(topic, 0), TP(topic, 1)}  # only the topic's own partitions are asked for
        return {TP(topic, 0): 100, TP(topic, 1): 50}

    consumer = SimpleNamespace(assignment=lambda: assigned, highwaters=highwaters,
                               _committed_offset={TP(topic, 1): 20, TP("loan-events", 0): 1})
    processed = {0: 90, 7: 5}  # partition 7 is no longer assigned
    lag, ends = asyncio.run(_waiting(SimpleNamespace(consumer=consumer), topic, processed))
    assert lag == {0: 10, 1: 30} and ends == {0: 100, 1: 50} and processed == {0: 90}

    async def broken(*tps: TP) -> dict[TP, int]:
        raise ConnectionError("broker away")

    consumer.highwaters = broken
    assert asyncio.run(_waiting(SimpleNamespace(consumer=consumer), topic, processed)) is None
    consumer.assignment = lambda: []
    assert asyncio.run(_waiting(SimpleNamespace(consumer=consumer), topic, processed)) == ({}, {})
