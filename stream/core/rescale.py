"""Rescaling: moving the monitor to more input partitions without losing state (``riskmon rescale``).

Pure: the decisions of a rescale, its progress record, and the one rule the
worker and the tool share.  The Kafka side is ``stream.ops.rescale``.

A user's state lives on the changelog partition of the input partition their
key hashes to (``stream.core.routing``), so adding input partitions moves
users.  With the workers stopped, a rescale to N partitions

1. records its plan in the **marker** (a compacted topic ``<app_id>-rescale``):
   from then on a worker refuses to start, and a running one stops consuming;
2. copies the latest state of every user from the current changelog into a new
   changelog with N partitions, each at ``partition_for(user, N)``; the new
   changelog belongs to a new table (``user-state-p<N>``), so Faust restores it
   like any other table and no local store holds stale offsets for it;
3. raises the input topic to N partitions (Kafka cannot remove partitions);
4. copies the **tail** (records the group has not consumed yet) of every
   record whose key now hashes to another partition there, in order, marked
   with ``MOVED_HEADER``; the originals stay where they are and the worker
   skips them (:class:`Moved`), so each is processed once, after the user's
   earlier events and before the later ones;
5. commits the group's offset on partitions it never consumed (the new ones:
   their first offset); the others keep theirs;
6. marks the rescale done: workers start on the new table.

Every step is idempotent and recorded in the marker, so an interrupted rescale
is finished by running the same command again.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Iterable, Mapping

from stream.core.features import UserState, covers, position
from stream.core.routing import header_items, parse_origin_header, partition_for
from stream.core.entities import SOURCE_SLOTS
from stream.core.state_layout import StateFormatError

#: The state table's name before any rescale (its changelog: ``<app_id>-user-state-changelog``).
BASE_TABLE = "user-state"
#: The marker's record key in ``<app_id>-rescale``.
MARKER_KEY = b"rescale"
#: Header on a tail record copied to its new partition: where the original sat (``routing.origin_header``).
MOVED_HEADER = "riskmon-rescaled-from"

IN_PROGRESS = "in_progress"
DONE = "done"
#: The steps of a rescale, in order (each recorded in the marker once complete).
STATES, PARTITIONS, TAIL, OFFSETS = "states", "partitions", "tail", "offsets"
STEPS = (STATES, PARTITIONS, TAIL, OFFSETS)


class RescaleRefused(Exception):
    """The rescale cannot run now; the message says why and what to do."""


def table_name(partitions: int | None) -> str:
    """The state table after a rescale to ``partitions`` (None: never rescaled)."""
    return BASE_TABLE if partitions is None else f"{BASE_TABLE}-p{partitions}"


def changelog_topic(app_id: str, table: str) -> str:
    """Faust's changelog topic of ``table`` in app ``app_id``."""
    return f"{app_id}-{table}-changelog"


def marker_topic(app_id: str) -> str:
    return f"{app_id}-rescale"


def moves(key: bytes | None, partition: int, partitions: int, partitioner: str) -> bool:
    """Whether a record with ``key`` on ``partition`` belongs elsewhere among ``partitions``:
    what the rescale copies from the tail, and what the worker then skips.  Records without a
    key stay (the worker re-keys them by their ``user_id`` as always)."""
    return bool(key) and partition_for(key, partitions, partitioner) != partition


def _ints(d: Mapping) -> dict[int, int]:
    return {int(k): int(v) for k, v in d.items()}


@dataclass(frozen=True)
class Marker:
    """The rescale's plan and progress; the last one written is in force."""

    status: str
    input_topic: str
    from_partitions: int  # the state's partition count before (its changelog's)
    to_partitions: int
    source_table: str
    target_table: str
    partitioner: str
    #: Input partitions that existed at the plan -> where the tail starts (the group's committed offset, or the
    #: partition's first offset if the group never committed there).
    tail_start: dict[int, int]
    #: -> where the tail ends: the end offsets just before the partitions were added (None until then).
    tail_end: dict[int, int] | None = None
    #: Input partition -> its end offset before the first tail record was copied (None until then).
    copy_start: dict[int, int] | None = None
    steps: tuple[str, ...] = ()
    states: int = 0  # users whose state is in the new changelog
    moved: int = 0  # tail records copied to their new partition
    started_at: str = ""
    finished_at: str = ""

    def with_step(self, step: str, **changes) -> "Marker":
        return replace(self, steps=self.steps + ((step,) if step not in self.steps else ()), **changes)

    def to_bytes(self) -> bytes:
        d = {k: v for k, v in self.__dict__.items()}
        d["steps"] = list(self.steps)
        d["format"] = 1
        return json.dumps(d, sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> "Marker":
        try:
            d = json.loads(raw)
            if d.pop("format", None) != 1:
                raise ValueError("unknown format")
            d["tail_start"] = _ints(d["tail_start"])
            for name in ("tail_end", "copy_start"):
                d[name] = _ints(d[name]) if d.get(name) is not None else None
            d["steps"] = tuple(d.get("steps", ()))
            return cls(**d)
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"unreadable rescale marker ({exc}): {raw[:200]!r}") from exc

    def moved_records(self) -> "Moved | None":
        """What a worker skips after this rescale (None: nothing)."""
        if self.status != DONE or not self.tail_end:
            return None
        ranges = {p: (start, self.tail_end[p]) for p, start in self.tail_start.items()
                  if p in self.tail_end and start < self.tail_end[p]}
        return Moved(ranges, self.to_partitions, self.partitioner) if ranges else None

    def describe(self) -> str:
        return (f"rescale of {self.input_topic} from {self.from_partitions} to {self.to_partitions} partitions "
                f"(state table {self.source_table} -> {self.target_table}, started {self.started_at or '?'})")


@dataclass(frozen=True)
class Moved:
    """Tail records a rescale copied to their new partition: the worker skips the originals."""

    ranges: dict[int, tuple[int, int]]  # input partition -> [first, end) offsets of the tail
    partitions: int
    partitioner: str

    def __call__(self, partition: int, offset: int, key: bytes | None) -> bool:
        span = self.ranges.get(partition)
        return span is not None and span[0] <= offset < span[1] and moves(key, partition, self.partitions, self.partitioner)


# --------------------------------------------------------------------------- the worker's view


class RescaleInProgress(Exception):
    """A worker must not start: the state is being moved."""


@dataclass(frozen=True)
class StateLocation:
    """Where a worker keeps its state, by the marker in force."""

    table: str = BASE_TABLE
    partitions: int | None = None  # the partition count the state was rescaled to (None: never rescaled)
    moved: Moved | None = None


def state_location(marker: Marker | None) -> StateLocation:
    """For a starting worker; raises :class:`RescaleInProgress` with what to do."""
    if marker is None:
        return StateLocation()
    if marker.status != DONE:
        raise RescaleInProgress(
            f"a {marker.describe()} has not finished: the worker does not start until it has (its state is being "
            f"moved). Finish it by running `riskmon rescale --partitions {marker.to_partitions}` again"
        )
    return StateLocation(marker.target_table, marker.to_partitions, marker.moved_records())


def running_problem(marker: Marker | None, table: str) -> str | None:
    """Why a running worker on ``table`` must stop consuming now (None: it may go on)."""
    if marker is None:
        return None
    if marker.status != DONE:
        return (f"a {marker.describe()} is in progress: this worker has stopped consuming; stop it, and start the "
                f"workers again once `riskmon rescale --partitions {marker.to_partitions}` has finished")
    if marker.target_table != table:
        return (f"the state was moved to table {marker.target_table} ({marker.to_partitions} partitions) by "
                f"riskmon rescale while this worker ran on {table}: it has stopped consuming; restart it")
    return None


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class Observed:
    """What the tool sees before it starts (or resumes)."""

    input_topic: str
    input_partitions: int | None  # None: no such topic
    changelog_partitions: int | None  # the current state table's changelog (None: no such topic yet)
    members: int  # active members of the workers' consumer group
    committed: dict[int, int | None]  # input partition -> the group's committed offset
    beginnings: dict[int, int]  # input partition -> first offset


@dataclass(frozen=True)
class Plan:
    marker: Marker
    todo: tuple[str, ...]  # steps left
    resumed: bool = False

    @property
    def nothing_to_do(self) -> bool:
        return not self.todo and self.marker.status == DONE


def current_table(marker: Marker | None) -> str:
    return marker.target_table if marker is not None and marker.status == DONE else (
        marker.source_table if marker is not None else BASE_TABLE)


def plan(marker: Marker | None, target: int, seen: Observed, partitioner: str, now: str) -> Plan:
    """What to do to reach ``target`` partitions from ``marker`` (the one in force, or None) and what the
    tool sees; raises :class:`RescaleRefused` when it must not run."""
    if seen.members:
        raise RescaleRefused(
            f"{seen.members} worker(s) are in the consumer group: stop every worker first (scale them to 0 and wait "
            "until they have left the group); a worker refuses to start while a rescale is in progress"
        )
    if seen.input_partitions is None:
        raise RescaleRefused(f"the input topic {seen.input_topic} does not exist")
    if not 1 <= target <= SOURCE_SLOTS:  # the entity views tell this many input partitions apart
        raise RescaleRefused(f"--partitions must be between 1 and {SOURCE_SLOTS} (the most the monitor runs on), "
                             f"got {target}")
    if marker is not None and marker.status != DONE:
        if marker.to_partitions != target:
            raise RescaleRefused(
                f"a {marker.describe()} has not finished: finish it first with --partitions {marker.to_partitions}")
        if seen.input_partitions > target:
            raise RescaleRefused(f"{seen.input_topic} has {seen.input_partitions} partitions, more than the "
                                 f"rescale in progress aims at ({target})")
        return Plan(marker, tuple(s for s in STEPS if s not in marker.steps), resumed=True)

    if marker is not None and marker.to_partitions == target and seen.input_partitions == target:
        return Plan(marker, ())  # done before: running it again changes nothing
    state_partitions = seen.changelog_partitions or seen.input_partitions
    if seen.input_partitions > target or state_partitions > target:
        raise RescaleRefused(
            f"Kafka cannot remove partitions: {seen.input_topic} has {seen.input_partitions} and the state "
            f"{state_partitions}, more than {target}")
    if state_partitions == target and seen.input_partitions == target:
        raise RescaleRefused(f"{seen.input_topic} and the state already have {target} partitions: nothing to do")
    if marker is not None and marker.moved_records() is not None:
        behind = {p: (seen.committed.get(p), end) for p, (_, end) in marker.moved_records().ranges.items()
                  if (seen.committed.get(p) or 0) < end}
        if behind:
            raise RescaleRefused(
                "the workers have not yet consumed past the records the previous rescale moved (partition: "
                "committed/needed " + ", ".join(f"{p}: {c}/{e}" for p, (c, e) in sorted(behind.items()))
                + "); run them until they have caught up, then rescale again")
    tail_start = {p: (c if c is not None else seen.beginnings.get(p, 0))
                  for p, c in sorted(seen.committed.items())}
    fresh = Marker(
        status=IN_PROGRESS, input_topic=seen.input_topic, from_partitions=state_partitions, to_partitions=target,
        source_table=current_table(marker), target_table=table_name(target), partitioner=partitioner,
        tail_start=tail_start, started_at=now,
    )
    return Plan(fresh, STEPS)


# --------------------------------------------------------------------------- the states


@dataclass
class StateSnapshot:
    """The latest state per user read from a changelog (compacted semantics), and what was odd about it."""

    states: dict[bytes, bytes] = field(default_factory=dict)
    conflicts: int = 0  # users found on more than one partition (the owning partition's state was kept)


def latest_states(records: Iterable[tuple[int, bytes | None, bytes | None]], partitions: int,
                  partitioner: str) -> StateSnapshot:
    """``(partition, key, value)`` in offset order per partition -> the newest value of each key.

    A tombstone (value None) deletes the key on its partition.  A key on more
    than one partition (a partitioner changed once) keeps the state on the
    partition its key hashes to, as the worker would read it, else the lowest.
    """
    per_partition: dict[bytes, dict[int, bytes]] = {}
    for partition, key, value in records:
        if key is None:
            continue
        if value is None:
            per_partition.get(key, {}).pop(partition, None)
        else:
            per_partition.setdefault(key, {})[partition] = value
    out = StateSnapshot()
    for key, found in per_partition.items():
        if not found:
            continue
        if len(found) > 1:
            out.conflicts += 1
        owner = partition_for(key, partitions, partitioner)
        out.states[key] = found[owner] if owner in found else found[min(found)]
    return out


def state_writes(source: Mapping[bytes, bytes], target: Mapping[bytes, bytes], partitions: int,
                 partitioner: str) -> list[tuple[int, bytes, bytes | None]]:
    """``(partition, key, value)`` to produce so that the new changelog holds exactly ``source``:
    missing or different states, and tombstones for keys the source does not have.  ``target`` is
    what an interrupted earlier run already wrote (empty the first time)."""
    writes = [(partition_for(k, partitions, partitioner), k, v) for k, v in source.items() if target.get(k) != v]
    writes += [(partition_for(k, partitions, partitioner), k, None) for k in target if k not in source]
    return sorted(writes, key=lambda w: (w[0], w[1]))


# --------------------------------------------------------------------------- the tail


def copy_target(partition: int, offset: int, key: bytes | None, copied: set[tuple[int, int]], partitions: int,
                partitioner: str) -> int | None:
    """The partition a tail record is copied to, None when it stays: its key does not move, or an
    earlier run copied it already (``copied``: ``(partition, offset)`` read back from ``MOVED_HEADER``)."""
    if not moves(key, partition, partitions, partitioner) or (partition, offset) in copied:
        return None
    return partition_for(key, partitions, partitioner)  # type: ignore[arg-type]


def folded_positions(states: Mapping[bytes, bytes]) -> dict[bytes, int]:
    """User -> stored state (``latest_states``) -> user -> the input position the state has folded
    through (``stream.core.features.position``), for the states that have one.  Bytes that are not a
    state, or a state from before positions, give none."""
    out = {}
    for key, value in states.items():
        try:
            through = UserState.from_bytes(value).folded_through
        except StateFormatError:
            continue
        if through:
            out[key] = through
    return out


def already_folded(folded: Mapping[bytes, int], partition: int, offset: int, key: bytes | None) -> bool:
    """A tail record its user's state has folded already (``folded``: ``folded_positions``), so it is
    not copied.  A tail starts at the group's committed offset, but a worker killed before it
    committed had folded some of it; their copies would be new messages on the new partitions,
    whose replay only the user's recent event ids could recognise.  The worker skips the
    originals as it skips every moved record, and their effects are in the state."""
    return key is not None and covers(folded.get(key, 0), position(partition, offset))


def copied_from(headers: Iterable[tuple[str, bytes]], topic: str) -> tuple[int, int] | None:
    """``(partition, offset)`` of the tail record a copy of ``topic`` was made from (None: not a
    copy).  The last header: a record an earlier rescale copied and this one copies again carries
    both, and only the last names the record this rescale read (the first, the original before it;
    read, a resumed run copied such records twice: docs/reliability.md, finding 26)."""
    origin = None
    for name, value in header_items(headers):
        if name == MOVED_HEADER:
            parsed = parse_origin_header(value)
            if parsed is not None and parsed[0] == topic:
                origin = parsed[1], parsed[2]
    return origin


def offsets_to_commit(committed: Mapping[int, int | None], beginnings: Mapping[int, int]) -> dict[int, int]:
    """The group's offsets to commit: each partition it never consumed starts at its first offset;
    partitions it consumed keep their committed offset (not touched)."""
    return {p: beginnings.get(p, 0) for p, c in sorted(committed.items()) if c is None}
