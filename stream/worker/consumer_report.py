"""Where each input partition stands, for the stalled-worker log line.

A stall has a handful of causes (the broker, a partition the fetcher skipped,
a batch that never finishes), and telling them apart needs the per-partition
positions of the moment: what the worker processed, what was committed, where
the Kafka client will fetch next and whether Faust has the partition paused.
Partition numbers and offsets only; nothing about users or events.
"""

from __future__ import annotations

from typing import Any, Mapping

from stream.worker.faust_fixes import committed_offsets, fetch_positions, paused_partitions


def partition_report(app: Any, topic: str, processed: Mapping[int, int], ends: Mapping[int, int]) -> str:
    """One line per assigned input partition: ``p<n> processed/committed/fetch/end [paused]``."""
    try:
        fetch = fetch_positions(app, topic)
    except Exception:  # noqa: BLE001 - a report must never fail the health check
        fetch = {}
    committed = {tp.partition: off for tp, off in committed_offsets(app).items() if tp.topic == topic}
    paused = {tp.partition for tp in paused_partitions(app) if tp.topic == topic}
    parts = []
    for p in sorted(set(ends) | set(fetch)):
        flag = " paused" if p in paused else ""
        parts.append(f"p{p} {processed.get(p, '-')}/{committed.get(p, '-')}/{fetch.get(p, '-')}/{ends.get(p, '-')}{flag}")
    return "partitions processed/committed/fetch/end: " + ", ".join(parts)
