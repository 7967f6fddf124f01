"""``riskmon seed --input HISTORY``: a first worker's state, folded from the lender's history.

``stream.core.seed`` decides (why seeding matters, when it is safe, where each
state goes); this module replays the history and does the Kafka side, in an
order that a kill at any point leaves safe: the states first (acknowledged),
the consumer group's start offsets last.  Until the offsets are committed no
worker has a reason to trust the states, and a second run writes them again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from itertools import chain
from pathlib import Path
from typing import Callable, Iterable

from models.model import load
from stream.core import seed as core
from stream.core.entities import write_version as entity_write_version
from stream.core.features import state_encoder
from stream.core.packed_states import HOT_STATES
from stream.core.rescale import BASE_TABLE, changelog_topic
from stream.kafka import ops
from stream.kafka.topics import ensure_topics, entity_partitions, partition_counts
from stream.offline.jsonl import ReadReport, read_events
from stream.offline.replay import Replay
from stream.ops.rescale import read_marker
from stream.settings import Settings


@dataclass
class SeedReport:
    """What a seed found and did (it also says so as it goes)."""

    read: ReadReport
    users: int
    entities: dict[str, int]  # entity type -> views written (0 on a dry run)
    start: dict[int, int]  # input partition -> offset the first worker reads from
    skipped: int  # input records before those offsets (the history's own, or older)


def entity_changelog(app_id: str, entity_type: str) -> str:
    """The changelog of an entity type's table (``stream.worker.state_table.create_entity_table``)."""
    return changelog_topic(app_id, f"{entity_type}-state")


def _records_held(settings: Settings, topics: Iterable[str]) -> dict[str, int]:
    counts = partition_counts(settings, list(topics))
    held = {}
    for topic, n in counts.items():
        if n:
            first, end = ops.offsets(settings, topic, n)
            held[topic] = sum(end[p] - first[p] for p in range(n))
        else:
            held[topic] = 0
    return held


def observe(settings: Settings, partitions: int, changelogs: Iterable[str]) -> core.Observed:
    group = settings.app_id
    return core.Observed(
        settings.app_id, settings.input_topic, ops.group_members(settings, group),
        ops.commits(settings, group, settings.input_topic, partitions),
        _records_held(settings, changelogs), read_marker(settings) is not None,
    )


def seed(settings: Settings, model_dir: Path, history: Path, start_from: str = core.AFTER_HISTORY,
         dry_run: bool = False, say: Callable[[str], None] = print) -> SeedReport:
    """Fold ``history`` with the model in ``model_dir`` and hand the states to the first worker."""
    if start_from not in core.START_FROM:
        raise ValueError(f"start_from must be one of {', '.join(core.START_FROM)}, got {start_from!r}")
    if not dry_run:
        ensure_topics(settings)  # the input and sighting topics fix the partitions the states go to
    exists = partition_counts(settings, [settings.input_topic])[settings.input_topic]
    n = exists or settings.partitions
    by_entity = entity_partitions(settings)
    user_log = changelog_topic(settings.app_id, BASE_TABLE)
    entity_logs = {t: entity_changelog(settings.app_id, t) for t in by_entity}
    seen = observe(settings, n, [user_log, *entity_logs.values()])
    problem = core.refusal(seen)
    if problem:
        raise core.SeedRefused(problem)
    again = core.resuming(seen)
    if again:
        say("an earlier seed of this app_id wrote states and no worker has committed since: seeding again "
            "(its states are replaced, and those this history lacks deleted)")

    replay = Replay.of(settings, load(model_dir, hmac_key=settings.model_hmac_key), hot=HOT_STATES)
    report = ReadReport()
    for _ in replay.run(read_events(history, report, settings.time_policy())):
        pass
    if replay.last_ts is None:
        raise ValueError(f"{history} holds no valid event to seed from")
    end_time = datetime.fromtimestamp(replay.last_ts, timezone.utc).isoformat(timespec="seconds")
    views = "".join(f", {sum(1 for k in replay.entities if k[0] == t)} {t}s" for t in by_entity)
    say(f"folded {report.valid} events of {history} (up to {end_time}): {len(replay.states)} users{views}")
    # The history's loans long unpaid by borrowers who went quiet are the history's outcomes: realised
    # here, the first worker's quiet sweep would count them all at once, and only bad ones.
    settled = sum(len(found) for found in replay.sweep_quiet().values())
    if settled:
        say(f"{settled} loans of the history were long past due unpaid: their early-warning tags are cleared "
            f"(the worker's calibration watch counts outcomes from here on)")

    if exists:
        first, end = ops.offsets(settings, settings.input_topic, n)
    else:  # a dry run before the topics exist
        first = end = {p: 0 for p in range(n)}
    after = (ops.offsets_after(settings, settings.input_topic, n, int(replay.last_ts * 1000) + 1)
             if any(end[p] > first[p] for p in end) else {})
    start = core.start_offsets(start_from, first, end, after)
    for warning in core.start_warnings(start_from, first, end, after):
        say(f"warning: {warning}")
    skipped = sum(start[p] - first[p] for p in start)
    say(f"the first worker will read {settings.input_topic} from {start_from}: skipping {skipped} of the "
        f"{sum(end[p] - first[p] for p in end)} records it holds")
    written = {t: 0 for t in by_entity}
    if not dry_run:
        encode = state_encoder(settings.state_write_version)
        stale = _left_over(settings, user_log, again, (u.encode() for u in replay.states))
        users = _write(settings, user_log, n, chain(
            core.user_records(replay.states, n, settings.key_partitioner, encode), stale)) - len(stale)
        deleted = len(stale)
        version = entity_write_version(settings.state_write_version)
        for t, topic in entity_logs.items():
            stale = _left_over(settings, topic, again, (e.encode() for kind, e in replay.entities if kind == t))
            written[t] = _write(settings, topic, by_entity[t], chain(
                core.entity_records(replay.entities, t, by_entity[t], version), stale)) - len(stale)
            deleted += len(stale)
        if deleted:
            say(f"deleted {deleted} states and views the earlier seed wrote that this history does not hold")
        ops.commit_offsets(settings, settings.app_id, settings.input_topic, start, metadata=core.SEED_METADATA)
        say(f"seeded {users} user states into {user_log}"
            + "".join(f", {c} {t} views into {entity_logs[t]}" for t, c in written.items())
            + f"; committed the start offsets for group {settings.app_id}. Start the workers now.")
    else:
        say("dry run: nothing written")
    return SeedReport(report, len(replay.states), written, start, skipped)


def _left_over(settings: Settings, topic: str, again: bool, keep: Iterable[bytes]) -> list[tuple[int, bytes, None]]:
    """When seeding again: tombstones for what the earlier seed wrote to ``topic`` and this one does not."""
    if not again:
        return []
    return core.left_over(((r.partition, r.key, r.value) for r in ops.read_all(settings, topic)), keep)


def _write(settings: Settings, topic: str, partitions: int,
           records: Iterable[tuple[int, bytes, bytes | None]]) -> int:
    """Write ``(partition, key, value)`` to the changelog ``topic`` (created as Faust creates one)."""
    try:
        ops.create_changelog(settings, topic, partitions)
    except ops.ChangelogMismatch as exc:
        raise core.SeedRefused(f"{exc}: it was not created for this input topic; seed a new app_id instead") from exc
    writer = ops.Writer(settings)
    count = 0
    try:
        for partition, key, value in records:
            writer.send(topic, partition, key, value)
            count += 1
            if count % 50_000 == 0:
                writer.flush()
        writer.flush()
    finally:
        writer.close()
    return count
