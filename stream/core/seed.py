"""``riskmon seed``'s decisions: whether seeding is safe, which state goes where, where the worker starts.

A worker whose changelog is empty reads every account as new: no earlier
loan to be repaid with a new one, no usual device, no lateness record.  On
the simulator's held-out stream, a worker started without state at the 14-day
window caught 49 % of the misbehaving users there instead of 99 %, and no
borrow-to-repay at all (``bench/cold_start.sh``; docs/operations.md, "First
deployment").  Seeding
folds the lender's history offline through the stream's own path
(``stream.offline.replay``) and writes each final state where the worker
would have written it, so the first worker recovers them as after a restart:

* a user's state to the changelog partition of the input partition its key
  maps to (``stream.core.routing``, the producers' partitioner);
* a device's or merchant's view to the partition of its sighting topic that
  the worker forwards its sightings to (murmur2 of the id,
  ``stream.worker.batch``).

The worker must then start reading the input where the history ends, or it
folds some events twice (its duplicate filter keeps only the last 16 per
user).  ``START_FROM`` names the choices; the operator picks the one that
matches how the history was exported.

Seeding is for a first deployment only: never while a worker runs, never
once one has committed input offsets (it would overwrite states newer than
the history), never after a rescale.  The seed commits its start offsets with
``SEED_METADATA``, which tells its own commits from a worker's.  Until a
worker has committed, seeding again is allowed, and finishes one killed
half-way: the changelogs are compacted, so writing the states again leaves one
last value per key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable, Iterator, Mapping

from stream.core.entities import EntityState
from stream.core.features import UserState
from stream.core.routing import partition_for

AFTER_HISTORY = "after-history"
END = "end"
EARLIEST = "earliest"
#: Where the first worker starts reading the input topic, per partition:
#: the first record stamped after the history's last event (the topic holds the history's events too,
#: and its record timestamps follow event time, as a live producer fleet's do); the end as of seeding
#: (the history was exported just now, up to the topic's newest events); the earliest record kept
#: (the topic holds only events after the history).
START_FROM = (AFTER_HISTORY, END, EARLIEST)
#: The metadata of the start offsets the seed commits (a worker's commits carry other metadata).
SEED_METADATA = "riskmon-seed"


class SeedRefused(RuntimeError):
    """Seeding would overwrite or fork state a worker already owns."""


@dataclass(frozen=True)
class Observed:
    """What the broker holds for the app, read before anything is written."""

    app_id: str
    input_topic: str
    members: int  # active members of the consumer group
    committed: Mapping[int, tuple[int, str] | None]  # input partition -> committed (offset, metadata); None: never
    changelog_records: Mapping[str, int]  # changelog topic -> records it holds (0: empty or absent)
    rescaled: bool  # a rescale marker exists


def refusal(seen: Observed) -> str | None:
    """Why seeding must not go on (None: it may)."""
    if seen.members:
        return (f"{seen.members} worker(s) of {seen.app_id} are running; stop them first (seeding is for a first "
                "deployment, before any worker has run)")
    done = sorted(p for p, c in seen.committed.items() if c is not None and c[1] != SEED_METADATA)
    if done:
        return (f"the consumer group {seen.app_id} has committed offsets on {seen.input_topic} (partitions "
                f"{done[:8]}): a worker has run, and its states are newer than any history; seed a new app_id "
                "instead (RISKMON_APP_ID), or keep the states the worker has")
    if seen.rescaled:
        return f"{seen.app_id} was rescaled (riskmon rescale), so a worker has run; seed a new app_id instead"
    return None


def resuming(seen: Observed) -> bool:
    """An earlier seed wrote states (and maybe its offsets) and no worker has committed since: seeding again."""
    return any(seen.changelog_records.values()) or any(c is not None for c in seen.committed.values())


def user_records(states: Mapping[str, UserState], partitions: int, partitioner: str,
                 encode: Callable[[UserState], bytes]) -> Iterator[tuple[int, bytes, bytes]]:
    """``(changelog partition, key, value)`` of every user state: the partition its key's input partition has."""
    for user_id, state in states.items():
        key = user_id.encode()
        yield partition_for(key, partitions, partitioner), key, encode(state)


def entity_records(entities: Mapping[tuple[str, str], EntityState], entity_type: str, partitions: int,
                   version: int) -> Iterator[tuple[int, bytes, bytes]]:
    """``(changelog partition, key, value)`` of every view of ``entity_type``: where its sightings arrive."""
    for (kind, entity_id), state in entities.items():
        if kind == entity_type:
            key = entity_id.encode()
            yield partition_for(key, partitions), key, state.to_bytes(version)


def left_over(written: Iterable[tuple[int, bytes | None, bytes | None]],
              keep: Iterable[bytes]) -> list[tuple[int, bytes, None]]:
    """Tombstones for the keys an earlier seed left in a changelog (``written``: its records as
    ``(partition, key, value)``, in order) that this seed does not write (``keep``).  Seeding again
    replaces the first seed: a user or view of a wrong or longer history must not come back as a
    real past (an outside review found 132 of 274 users left from the first history)."""
    latest: dict[bytes, tuple[int, bytes | None]] = {}
    for partition, key, value in written:
        if key is not None:
            latest[key] = (partition, value)
    kept = set(keep)
    return [(partition, key, None) for key, (partition, value) in latest.items() if value is not None and key not in kept]


def start_warnings(start_from: str, first: Mapping[int, int], end: Mapping[int, int],
                   after_history: Mapping[int, int | None]) -> list[str]:
    """What the chosen start gets wrong by the records' timestamps (``after_history`` as for
    ``start_offsets``): records stamped after the history that ``end`` skips, or records of the
    history's time that ``earliest`` folds a second time.  Empty when the start agrees with them."""
    by_time = start_offsets(AFTER_HISTORY, first, end, after_history)
    chosen = start_offsets(start_from, first, end, after_history)
    skipped = sum(max(chosen[p] - by_time[p], 0) for p in end)
    again = sum(max(by_time[p] - chosen[p], 0) for p in end)
    warnings = []
    if skipped:
        warnings.append(f"{skipped} records are stamped after the history's last event: --start-from {start_from} "
                        "skips them (their events never reach the states or the alerts)")
    if again:
        warnings.append(f"{again} records are stamped at or before the history's last event: --start-from "
                        f"{start_from} folds them into states that already hold them (counted twice, unless among "
                        "a user's last 16 events)")
    if warnings:
        warnings.append("--start-from after-history starts where the records' timestamps say the history ends, "
                        "if they follow event time")
    return warnings


def start_offsets(start_from: str, first: Mapping[int, int], end: Mapping[int, int],
                  after_history: Mapping[int, int | None]) -> dict[int, int]:
    """The offset the first worker reads from on each input partition.

    ``after_history``: per partition, the first offset stamped after the history's last event
    (None: no such record yet, so the end).
    """
    if start_from == EARLIEST:
        return dict(first)
    if start_from == END:
        return dict(end)
    if start_from == AFTER_HISTORY:
        return {p: end[p] if after_history.get(p) is None else max(first[p], after_history[p]) for p in end}
    raise ValueError(f"start_from must be one of {', '.join(START_FROM)}, got {start_from!r}")
