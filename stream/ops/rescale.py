"""``riskmon rescale --partitions N``: the input topic and the state to N partitions, with the workers stopped.

The steps and why they are safe are in ``stream.core.rescale`` (which decides
everything); this module reads and writes Kafka.  Each step is recorded in
the marker topic once complete, and each is idempotent, so a rescale killed
anywhere is finished by running the command again.  ``progress`` is called
after every record sent (step, count): the tests kill the process from it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Callable

from stream.core import rescale as core
from stream.core.rescale import Marker, Observed, Plan, RescaleRefused
from stream.core.routing import origin_header
from stream.kafka import ops
from stream.kafka.topics import partition_counts
from stream.settings import Settings

log = logging.getLogger(__name__)

Progress = Callable[[str, int], None]


def _noop(step: str, count: int) -> None:
    return None


@dataclass
class Report:
    plan: Plan
    marker: Marker
    lines: list[str]


def read_marker(settings: Settings) -> Marker | None:
    """The rescale marker in force for ``settings.app_id`` (None: never rescaled)."""
    raw = ops.read_last(settings, core.marker_topic(settings.app_id), core.MARKER_KEY)
    return None if raw is None else Marker.from_bytes(raw)


def _write_marker(settings: Settings, marker: Marker) -> Marker:
    ops.write_value(settings, core.marker_topic(settings.app_id), core.MARKER_KEY, marker.to_bytes())
    return marker


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def observe(settings: Settings, marker: Marker | None) -> Observed:
    table = core.current_table(marker)
    changelog = core.changelog_topic(settings.app_id, table)
    counts = partition_counts(settings, [settings.input_topic, changelog])
    n = counts[settings.input_topic]
    committed: dict[int, int | None] = {}
    beginnings: dict[int, int] = {}
    if n:
        committed = ops.committed_offsets(settings, settings.app_id, settings.input_topic, n)
        beginnings, _ = ops.offsets(settings, settings.input_topic, n)
    return Observed(settings.input_topic, n, counts[changelog], ops.group_members(settings, settings.app_id),
                    committed, beginnings)


def rescale(settings: Settings, partitions: int, dry_run: bool = False, progress: Progress = _noop,
            say: Callable[[str], None] = print) -> Report:
    """Move ``settings``' monitor to ``partitions`` input partitions (or finish a rescale in progress)."""
    marker = read_marker(settings)
    seen = observe(settings, marker)
    plan = core.plan(marker, partitions, seen, settings.key_partitioner, _now())
    m = plan.marker
    lines: list[str] = []

    def note(line: str) -> None:
        lines.append(line)
        say(line)

    if plan.nothing_to_do:
        note(f"{m.input_topic} was rescaled to {m.to_partitions} partitions already ({m.finished_at}): nothing to do")
        return Report(plan, m, lines)
    note(f"{'resuming' if plan.resumed else 'plan'}: {m.describe()}; steps left: {', '.join(plan.todo)}")
    if dry_run:
        _, ends = ops.offsets(settings, m.input_topic, seen.input_partitions or 0)
        waiting = {p: (m.tail_end or ends)[p] - s for p, s in m.tail_start.items()}
        note(f"unprocessed records per input partition (the tail, moved where their key now hashes): {waiting}")
        return Report(plan, m, lines)
    if not plan.resumed:
        m = _write_marker(settings, m)
    _no_worker_joined(settings, m)  # one that read no marker at start-up, and joined the group since
    for step in plan.todo:
        m = STEP_RUNNERS[step](settings, m, progress, note)
        m = _write_marker(settings, m.with_step(step))
    _no_worker_joined(settings, m)
    m = _write_marker(settings, replace(m, status=core.DONE, finished_at=_now()))
    old = core.changelog_topic(settings.app_id, m.source_table)
    note(f"done: {m.input_topic} has {m.to_partitions} partitions; {m.states} user states are in "
         f"{core.changelog_topic(settings.app_id, m.target_table)}; {m.moved} unprocessed records were moved to their "
         f"new partition. Start the workers (set RISKMON_PARTITIONS={m.to_partitions}). The old changelog {old} is "
         "no longer read: delete it once the workers run")
    return Report(plan, m, lines)


def _no_worker_joined(settings: Settings, m: Marker) -> None:
    """Refuse to go on when a worker is in the group: it may have written states since they were copied.

    A worker checks the marker before it processes anything and then every
    ``partition_check_s``, so only one whose first check came just before the
    marker can join; the steps are then forgotten and the next run does them
    again (the states are copied again; records already moved are not).
    """
    if ops.group_members(settings, settings.app_id):
        _write_marker(settings, replace(m, steps=()))
        raise RescaleRefused("a worker joined the consumer group during the rescale and may have written states: "
                             "stop it, then run the same command again (it copies the states again)")


def _copy_states(settings: Settings, m: Marker, progress: Progress, note: Callable[[str], None]) -> Marker:
    source = core.changelog_topic(settings.app_id, m.source_table)
    target = core.changelog_topic(settings.app_id, m.target_table)
    snapshot = core.latest_states(((r.partition, r.key, r.value) for r in ops.read_all(settings, source)),
                                  m.from_partitions, m.partitioner)
    if snapshot.conflicts:
        log.warning("%d users had a state on more than one partition of %s; kept the one on their own partition",
                    snapshot.conflicts, source)
    n = ops.create_topic(settings, target, m.to_partitions, {"cleanup.policy": "compact"})
    if n != m.to_partitions:
        raise RescaleRefused(f"{target} exists with {n} partitions, not {m.to_partitions}: it is not this "
                             "rescale's; delete it, then run the same command again")
    already = core.latest_states(((r.partition, r.key, r.value) for r in ops.read_all(settings, target)),
                                 m.to_partitions, m.partitioner).states
    writes = core.state_writes(snapshot.states, already, m.to_partitions, m.partitioner)
    writer = ops.Writer(settings)
    try:
        for i, (partition, key, value) in enumerate(writes, start=1):
            writer.send(target, partition, key, value)
            progress(core.STATES, i)
        writer.flush()
    finally:
        writer.close()
    rewritten = sum(1 for w in writes if w[2] is not None)
    note(f"states: {len(snapshot.states)} users from {source} -> {target} ({rewritten} written, "
         f"{len(snapshot.states) - rewritten} there already)")
    return replace(m, states=len(snapshot.states))


def _add_partitions(settings: Settings, m: Marker, progress: Progress, note: Callable[[str], None]) -> Marker:
    n = partition_counts(settings, [m.input_topic])[m.input_topic] or 0
    if n < m.to_partitions:
        # Where the tail ends: everything sent with the old partition count up to now.
        _, ends = ops.offsets(settings, m.input_topic, n)
        m = _write_marker(settings, replace(m, tail_end={p: ends[p] for p in m.tail_start}))
        ops.add_partitions(settings, m.input_topic, m.to_partitions)
        note(f"partitions: {m.input_topic} raised from {n} to {m.to_partitions}")
    else:
        if m.tail_end is None:  # raised before the rescale started (e.g. by hand)
            _, ends = ops.offsets(settings, m.input_topic, n)
            m = replace(m, tail_end={p: ends[p] for p in m.tail_start})
        note(f"partitions: {m.input_topic} has {n} already")
    return m


def _move_tail(settings: Settings, m: Marker, progress: Progress, note: Callable[[str], None]) -> Marker:
    topic = m.input_topic
    assert m.tail_end is not None
    if m.copy_start is None:  # recorded before the first copy: where to look for copies on a resume
        _, ends = ops.offsets(settings, topic, m.to_partitions)
        m = _write_marker(settings, replace(m, copy_start=ends))
    _, ends = ops.offsets(settings, topic, m.to_partitions)
    copied = set()
    for record in ops.read_range(settings, topic, {p: (m.copy_start[p], ends[p]) for p in range(m.to_partitions)}):
        origin = core.copied_from(record.headers, topic)
        if origin is not None:
            copied.add(origin)
    spans = {p: (s, m.tail_end[p]) for p, s in m.tail_start.items()}
    movers = {r.key for r in ops.read_range(settings, topic, spans)
              if core.moves(r.key, r.partition, m.to_partitions, m.partitioner)}
    changelog = core.changelog_topic(settings.app_id, m.target_table)  # the states step wrote it
    moving_states = core.latest_states(((r.partition, r.key, r.value) for r in ops.read_all(settings, changelog)
                                        if r.key in movers), m.to_partitions, m.partitioner).states if movers else {}
    folded = core.folded_positions(moving_states)
    read = sent = skipped = 0
    writer = ops.Writer(settings)
    try:
        for r in ops.read_range(settings, topic, spans):  # in offset order per partition: a user's order is kept
            read += 1
            if core.already_folded(folded, r.partition, r.offset, r.key):
                skipped += 1
                continue
            target = core.copy_target(r.partition, r.offset, r.key, copied, m.to_partitions, m.partitioner)
            if target is None:
                continue
            headers = list(r.headers or []) + [(core.MOVED_HEADER, origin_header(topic, r.partition, r.offset))]
            writer.send(topic, target, r.key, r.value, headers,
                        r.timestamp if r.timestamp is not None and r.timestamp >= 0 else None)
            sent += 1
            progress(core.TAIL, sent)
        writer.flush()
    finally:
        writer.close()
    total = len(copied) + sent
    note(f"tail: {read} unprocessed records on the old partitions, {total} of them moved to their new "
         f"partition ({len(copied)} by an earlier run), {skipped} left: already in their user's state")
    return replace(m, moved=total)


def _commit_offsets(settings: Settings, m: Marker, progress: Progress, note: Callable[[str], None]) -> Marker:
    committed = ops.committed_offsets(settings, settings.app_id, m.input_topic, m.to_partitions)
    beginnings, _ = ops.offsets(settings, m.input_topic, m.to_partitions)
    todo = core.offsets_to_commit(committed, beginnings)
    ops.commit_offsets(settings, settings.app_id, m.input_topic, todo)
    note(f"offsets: group {settings.app_id} starts partitions {sorted(todo)} at their first offset; "
         f"the others keep their committed offsets")
    return m


STEP_RUNNERS = {core.STATES: _copy_states, core.PARTITIONS: _add_partitions, core.TAIL: _move_tail,
                core.OFFSETS: _commit_offsets}
