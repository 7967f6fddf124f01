"""Committed offsets as the benchmark's clock.

Why committed offsets: they are the one progress signal every contender
(aiokafka loop, bare Faust agent, the monitor) produces the same way, and
they are what "processed" means operationally: a committed event is never
processed again.  The clock polls them from outside the measured process
(``KafkaAdminClient.list_group_offsets``), so nothing is added to the hot path.

Throughput is ``events / (t_all_committed - t_first_output)``: from the moment
the contender first produced anything (the Kafka timestamp of the first record
of its output: the forwarded topic for the references, the table changelog
for the monitor, both written from the first batch on) to the first poll that
sees every offset committed.  Start-up (process start, group join, table
recovery) is excluded for every contender alike and reported separately.
The end includes up to one commit interval (~1 s, the same for all three),
which biases short runs down; ``eps_commit_window`` (first commit to last
commit) is kept as a cross-check that is unbiased but needs a run of many
commit intervals.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from stream.settings import Settings
from stream.kafka.config import kafka_client_config


class OffsetWatch:
    """A long-lived admin client for end and committed offsets."""

    def __init__(self, settings: Settings) -> None:
        from kafka import KafkaAdminClient

        self._admin = KafkaAdminClient(**kafka_client_config(settings), client_id="riskmon-bench-watch")

    def close(self) -> None:
        self._admin.close()

    def ends(self, topic: str, partitions: int) -> dict[int, int]:
        """Log end offset per partition (the next offset to be written)."""
        from kafka import TopicPartition
        from kafka.admin import OffsetSpec

        spec = {TopicPartition(topic, p): OffsetSpec.LATEST for p in range(partitions)}
        return {tp.partition: int(o.offset) for tp, o in self._admin.list_partition_offsets(spec).items()}

    def committed(self, group: str, topic: str) -> dict[int, int]:
        """Committed offset per partition of ``topic`` for ``group`` (absent: nothing committed).

        A group that has not committed yet may have no coordinator yet (and on
        a fresh broker ``__consumer_offsets`` may still be being created): that
        reads as "nothing committed", not as an error.
        """
        from kafka.errors import CoordinatorLoadInProgressError, CoordinatorNotAvailableError, NotCoordinatorError

        try:
            groups = self._admin.list_group_offsets({group: None})
        except (CoordinatorNotAvailableError, CoordinatorLoadInProgressError, NotCoordinatorError):
            return {}
        out: dict[int, int] = {}
        for tp, meta in groups.get(group, {}).items():
            if tp.topic == topic and meta.offset is not None and meta.offset >= 0:
                out[tp.partition] = int(meta.offset)
        return out


@dataclass
class Progress:
    """Samples of (wall time, events committed) for one contender on one topic."""

    started: float  # wall time the contender's process was started
    total: int
    samples: list[tuple[float, int]] = field(default_factory=list)
    first_output: float | None = None  # wall time of the contender's first output record
    error: str = ""

    @property
    def done(self) -> bool:
        return bool(self.samples) and self.samples[-1][1] >= self.total

    def first_commit(self) -> tuple[float, int] | None:
        return next(((t, n) for t, n in self.samples if n > 0), None)

    def eps(self) -> float:
        """Events/s from the first output to everything committed (0 if it never finished)."""
        if not self.done or self.first_output is None:
            return 0.0
        elapsed = self.samples[-1][0] - self.first_output
        return self.total / elapsed if elapsed > 0 else 0.0

    def eps_commit_window(self) -> float:
        """Events/s between the first commit and everything committed (0 if it never finished)."""
        first = self.first_commit()
        if not self.done or first is None:
            return 0.0
        t_end, n_end = self.samples[-1]
        t0, n0 = first
        if t_end <= t0:  # everything landed in one commit: no window to measure
            return 0.0
        return (n_end - n0) / (t_end - t0)

    def startup_s(self) -> float:
        """Process start to first output."""
        return self.first_output - self.started if self.first_output is not None else 0.0

    def wall_s(self) -> float:
        """Process start to everything committed, start-up included."""
        return self.samples[-1][0] - self.started if self.done else 0.0

    def measured_events(self) -> int:
        return self.total if self.done and self.first_output is not None else 0


def first_timestamp(settings: Settings, topic: str, timeout_s: float = 30.0) -> float | None:
    """Wall time (s) of the earliest record in ``topic`` by Kafka timestamp, None if empty."""
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(**kafka_client_config(settings), enable_auto_commit=False)
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        begin, end = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
        pending = {tp for tp in tps if end[tp] > begin[tp]}
        first: dict[TopicPartition, int] = {}
        deadline = time.monotonic() + timeout_s
        while pending and time.monotonic() < deadline:
            for tp, records in consumer.poll(timeout_ms=500, max_records=500).items():
                if tp in pending and records:
                    first[tp] = records[0].timestamp
                    pending.discard(tp)
                    consumer.pause(tp)
        return min(first.values()) / 1000.0 if first else None
    finally:
        consumer.close()


def watch_until_committed(
    watch: OffsetWatch,
    group: str,
    topic: str,
    ends: dict[int, int],
    started: float,
    timeout_s: float,
    alive: Callable[[], bool],
    poll_s: float = 0.05,
    on_first_commit: Callable[[], None] | None = None,
) -> Progress:
    """Poll ``group``'s committed offsets until they reach ``ends`` (or timeout / process death).

    ``on_first_commit`` runs once when the first commit is seen (e.g. to attach
    a profiler to the steady state rather than to imports and start-up).
    """
    total = sum(ends.values())
    progress = Progress(started=started, total=total)
    deadline = time.monotonic() + timeout_s
    while True:
        committed = watch.committed(group, topic)
        n = sum(min(committed.get(p, 0), end) for p, end in ends.items())
        now = time.time()
        if not progress.samples or n != progress.samples[-1][1]:
            if n > 0 and on_first_commit is not None and progress.first_commit() is None:
                on_first_commit()
            progress.samples.append((now, n))
        if n >= total:
            return progress
        if not alive():
            progress.error = "process exited before committing every offset"
            return progress
        if time.monotonic() > deadline:
            progress.error = f"timed out after {timeout_s:.0f}s with {n}/{total} committed"
            return progress
        time.sleep(poll_s)
