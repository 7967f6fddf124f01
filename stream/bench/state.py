"""Bytes of per-user state: what one user costs the table and its changelog.

Two views:
* ``struct``: the mean serialised ``UserState`` over the stream's users after it
  (folded offline as the worker folds it: ``COMPACT_STATE_BYTES``, or
  ``STATE_BYTES`` for a user whose early-warning watch follows loans beyond the
  open-loan slots) plus the mean key length: the size of one live table entry /
  one compacted changelog record payload, independent of how the run went;
* ``changelog``: read the monitor's changelog topic after the run; payload
  bytes (key + value) of the latest record per user (should equal the above),
  and everything written / distinct users (what the topic holds before
  compaction, which depends on how many batches touched each user).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from stream.core.contract import InvalidEvent, parse_document
from stream.core.features import UserState
from stream.core.pipeline import fold
from stream.core.rescale import BASE_TABLE
from stream.settings import Settings
from stream.kafka.config import kafka_client_config


@dataclass(frozen=True)
class StateSize:
    state_bytes: float  # mean over the users
    mean_key_bytes: float
    users: int  # distinct users in the bench stream
    changelog_topic: str = ""
    changelog_records: int = 0
    changelog_users: int = 0
    changelog_live_bytes_per_user: float = 0.0
    changelog_written_bytes_per_user: float = 0.0

    @property
    def bytes_per_user(self) -> float:
        return self.state_bytes + self.mean_key_bytes


def struct_size(events: list[dict]) -> StateSize:
    states: dict[str, UserState] = {}
    for doc in events:
        try:
            fold(states, parse_document(doc))
        except InvalidEvent:
            continue  # the bench's poison share: dead-lettered, no state
    users = {e["user_id"] for e in events}
    mean_key = sum(len(u.encode()) for u in users) / max(1, len(users))
    mean_state = sum(len(s.to_bytes()) for s in states.values()) / max(1, len(states))
    return StateSize(state_bytes=mean_state, mean_key_bytes=mean_key, users=len(users))


def changelog_topic(settings: Settings, app_id: str) -> str:
    """The user-state table's: Faust names it ``<app id>-<table>-changelog`` (the entity views'
    tables have theirs too); found by listing so a rename is noticed."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(**kafka_client_config(settings))
    try:
        found = sorted(t for t in admin.list_topics()
                       if t.startswith(f"{app_id}-{BASE_TABLE}") and t.endswith("-changelog"))
    finally:
        admin.close()
    if not found:
        raise RuntimeError(f"no user-state changelog topic for app {app_id}")
    return found[0]


def with_changelog(size: StateSize, settings: Settings, app_id: str, timeout_s: float = 120.0) -> StateSize:
    """Add the changelog view by reading the whole topic once."""
    from kafka import KafkaConsumer, TopicPartition

    topic = changelog_topic(settings, app_id)
    consumer = KafkaConsumer(
        **kafka_client_config(settings), enable_auto_commit=False, fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=16 * 1024 * 1024,
    )
    try:
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or [])]
        consumer.assign(tps)
        consumer.seek_to_beginning(*tps)
        end = consumer.end_offsets(tps)
        latest: dict[bytes, int] = {}
        written = records = 0
        deadline = time.monotonic() + timeout_s
        while any(consumer.position(tp) < end[tp] for tp in tps) and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=500, max_records=50_000).values():
                for r in batch:
                    n = len(r.key or b"") + len(r.value or b"")
                    written += n
                    records += 1
                    latest[r.key or b""] = n
    finally:
        consumer.close()
    users = max(1, len(latest))
    return StateSize(
        state_bytes=size.state_bytes, mean_key_bytes=size.mean_key_bytes, users=size.users,
        changelog_topic=topic, changelog_records=records, changelog_users=len(latest),
        changelog_live_bytes_per_user=sum(latest.values()) / users, changelog_written_bytes_per_user=written / users,
    )
