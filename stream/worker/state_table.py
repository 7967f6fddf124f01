"""The per-user state table: Faust-managed for recovery, written by us for durability and speed.

Faust restores the table from its changelog topic after a crash or rebalance,
and we keep that.  Writes do not go through ``table[key] = value`` though:

* Faust sends that changelog record through a buffer whose ``flush()`` gives up
  after 0.1 s without progress (faust-streaming 0.15.3,
  ``ProducerBuffer.flush_atmost``), so a commit can go out while state writes
  are still queued.  A ``kill -9`` at that moment loses the write but keeps the
  commit: the event is gone for good (seen in ~1 of 6 kill/restart runs).
* It costs one producer coroutine per key, the largest share of a batch.

``write_states`` instead produces one record batch per changelog partition,
waits until the broker has acknowledged it (``acks=all``), and only then puts
the states in the local store.  The caller acknowledges the input offsets after
that, so a committed offset always has its state in the changelog.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict
from typing import Any, Iterator

import faust
from faust.types import TP, EventT

from stream.worker import metrics
from stream.worker.faust_fixes import aiokafka_producer, as_current_event
from stream.core.entities import STATE_VERSION as ENTITY_STATE_VERSION
from stream.core.entities import EntityState
from stream.core.features import STATE_VERSION, UserState, first_seen, state_encoder
from stream.core.rescale import BASE_TABLE
from stream.core.state_epoch import StateEpoch
from stream.core.state_layout import StateFormatError
from stream.settings import Settings

log = logging.getLogger(__name__)

#: The table's name until a rescale (``riskmon rescale`` moves the state to ``user-state-p<N>``).
STATE_TABLE = BASE_TABLE


def _bytes_table(app: faust.App, name: str, partitions: int, help: str) -> faust.Table:
    # Not schema=raw: a table given a Schema stops its app's agents from
    # receiving anything (faust-streaming 0.15.3); bytes key/value types give
    # the same raw serialisation without that.
    return app.Table(name, default=None, partitions=partitions, help=help, key_type=bytes, value_type=bytes)


def create_entity_table(app: faust.App, entity_type: str, partitions: int) -> faust.Table:
    """The changelog-backed table of serialized ``EntityState`` keyed by device or merchant id bytes,
    with its sighting topic's partition count."""
    return _bytes_table(app, f"{entity_type}-state", partitions, f"Per-{entity_type} entity view.")


def create_state_table(app: faust.App, settings: Settings, name: str = STATE_TABLE) -> faust.Table:
    """The changelog-backed table of serialized ``UserState`` keyed by user id bytes.

    ``name`` is the table the rescale marker points to (``stream.core.rescale``); its changelog is
    ``<app_id>-<name>-changelog`` with ``settings.partitions`` partitions.
    """
    return _bytes_table(app, name, settings.partitions, "Per-user feature state.")


# The reset warning and the upgrade notice are logged once per process; the metrics count every state.
_warned_resets = False
_told_upgrades = False


def load_states(table: faust.Table, user_ids: Iterator[str] | list[str]) -> dict[str, UserState]:
    """The stored state of each user that has one, in the current layout.

    A state stored by an older version is migrated as it is decoded (counted by
    version; the worker writes it back in the current layout with the user's
    event).  Unreadable states (a newer version, one older than the oldest kept,
    corrupt bytes) start afresh and are counted as resets.
    """
    states: dict[str, UserState] = {}
    reset = 0
    upgraded: dict[int, int] = {}
    for user_id in user_ids:
        stored = table.get(user_id.encode())
        if stored is not None:
            try:
                states[user_id] = UserState.from_bytes(stored)
            except StateFormatError:
                reset += 1  # a fresh state beats a worker stuck on bytes it cannot read
                continue
            if stored[0] != STATE_VERSION:
                upgraded[stored[0]] = upgraded.get(stored[0], 0) + 1
    if upgraded:
        _count_upgrades(upgraded)
    if reset:
        global _warned_resets
        if not _warned_resets:
            _warned_resets = True
            log.warning(
                "user states in the changelog are in a state version this worker cannot read (newer, or "
                "older than it keeps) or corrupt, and are being reset (counted in riskmon_state_resets_total); "
                "their features start afresh"
            )
        metrics.STATE_RESETS.inc(reset)
    return states


def _count_upgrades(upgraded: dict[int, int]) -> None:
    global _told_upgrades
    if not _told_upgrades:
        _told_upgrades = True
        log.info(
            "user states in the changelog in state version(s) %s are being migrated to version %d as they are read "
            "(counted in riskmon_state_upgrades_total)", ", ".join(map(str, sorted(upgraded))), STATE_VERSION,
        )
    for version, count in upgraded.items():
        metrics.STATE_UPGRADES.labels(str(version)).inc(count)


class StateCache:
    """Decoded states of recently active users, least recently used dropped first.

    Decoding a state from bytes was the largest single cost of a batch (~17 %
    of the worker's time in the 60k-event benchmark).  The cached objects are
    the ones the pipeline mutates, so the cache must only outlive a batch whose
    states were all written: the caller calls :meth:`clear` when a batch fails.
    It is also dropped at every rebalance, after which Faust may have restored
    the table from the changelog.
    """

    def __init__(self, max_users: int) -> None:
        self.max_users = max_users
        self._states: OrderedDict[str, UserState] = OrderedDict()
        self._generation: int | None = None

    def load(self, table: faust.Table, user_ids: list[str], generation: int) -> dict[str, UserState]:
        """States of ``user_ids`` that exist, from the cache or the table (``generation``: the app's rebalance count)."""
        if generation != self._generation:
            self.clear()
            self._generation = generation
        found: dict[str, UserState] = {}
        missing: list[str] = []
        for user_id in user_ids:
            state = self._states.get(user_id)
            if state is None:
                missing.append(user_id)
            else:
                found[user_id] = state
        if missing:
            found.update(load_states(table, missing))
        return found

    def keep(self, states: dict[str, UserState]) -> None:
        """Remember the states just written."""
        if self.max_users <= 0:
            return
        cache = self._states
        for user_id, state in states.items():
            cache[user_id] = state
            cache.move_to_end(user_id)
        while len(cache) > self.max_users:
            cache.popitem(last=False)

    def clear(self) -> None:
        self._states.clear()

    def __len__(self) -> int:
        return len(self._states)


async def write_states(app: faust.App, table: faust.Table, writes: list[tuple[bytes, bytes, EventT]]) -> None:
    """Durably write ``(key, state, event)``: changelog first (acknowledged), then the local store.

    Each state goes to the changelog partition of the input partition its event
    came from, which is where recovery will look for it.
    """
    if not writes:
        return
    topic = table.changelog_topic.get_topic_name()
    producer: Any = aiokafka_producer(app)
    by_partition: dict[int, list[tuple[bytes, bytes]]] = {}
    for key, value, event in writes:
        by_partition.setdefault(event.message.partition, []).append((key, value))
    pending: list[tuple[int, int, asyncio.Future]] = []  # (partition, records, delivery)
    for partition, records in by_partition.items():
        batch = producer.create_batch()
        count = 0
        for key, value in records:
            if batch.append(key=key, value=value, timestamp=None) is None:  # batch full: send it, start another
                pending.append((partition, count, await producer.send_batch(batch, topic, partition=partition)))
                batch, count = producer.create_batch(), 0
                batch.append(key=key, value=value, timestamp=None)
            count += 1
        pending.append((partition, count, await producer.send_batch(batch, topic, partition=partition)))
    results = await asyncio.gather(*(future for _, _, future in pending))
    for (partition, count, _), meta in zip(pending, results):
        if meta is not None:  # lets a persistent store resume recovery from here
            table.data.set_persisted_offset(TP(topic, partition), meta.offset + count - 1)
    for key, value, event in writes:
        with as_current_event(event):
            table.data[key] = value


class TableStore:
    """The worker's ``StateStore`` (``stream.worker.batch``): the Faust table behind the decoded-state cache."""

    def __init__(self, app: faust.App, table: faust.Table, cache_users: int, write_version: int = 0) -> None:
        self.app = app
        self.table = table
        self.cache = StateCache(cache_users)
        self.encode = state_encoder(write_version)
        # Writing an older layout drops the fields it lacks: keep in memory what any
        # member of the group will read back, so this worker scores as they would.
        self.reread = self.encode is not UserState.to_bytes
        self._epoch = StateEpoch()
        self._epoch_scanned_for: tuple[int, float] | None = None  # (rebalance count, span) of the last scan

    def load(self, user_ids: list[str]) -> dict[str, UserState]:
        return self.cache.load(self.table, user_ids, self.app.rebalancing_count)

    def epoch(self, newest: float, unknown_past_s: float) -> StateEpoch:
        """When this worker's states began (``stream.core.state_epoch``), for a batch reaching ``newest``
        under a model whose span is ``unknown_past_s``.  The table is scanned for its earliest
        ``first_ts`` again after each rebalance (it may have brought older states) or a model with
        another span, until the epoch is settled; the scan stops at the first state that settles it,
        and the pipeline keeps the epoch up to date in between."""
        epoch = self._epoch
        epoch.unknown_past_s = unknown_past_s
        epoch.newest = max(epoch.newest, newest)
        scan = (self.app.rebalancing_count, unknown_past_s)
        if scan != self._epoch_scanned_for:
            if not epoch.settled():
                epoch.scan(first_seen(v) for v in self.table.data.values() if v)
            self._epoch_scanned_for = scan
        return epoch

    def to_store(self, states: dict[str, UserState]) -> dict[str, bytes]:
        return {u: self.encode(s) for u, s in states.items()}

    async def write(self, states: dict[str, UserState], stored: dict[str, bytes], last_event: dict[str, EventT]) -> None:
        await write_states(self.app, self.table, [(u.encode(), b, last_event[u]) for u, b in stored.items()])
        if self.reread:
            self.cache.keep({u: UserState.from_bytes(b) for u, b in stored.items()})
        else:
            self.cache.keep(states)

    def forget_unwritten(self) -> None:
        self.cache.clear()  # its states may be half-updated in memory; the table has the last written ones


class EntityTableStore:
    """An entity type's ``EntityStore`` (``stream.worker.entity_batch``): decoded per batch, written like user states.

    No cache: an entity state decodes in microseconds and a busy merchant's
    sightings come together in one batch anyway.
    """

    def __init__(self, app: faust.App, table: faust.Table, write_version: int = ENTITY_STATE_VERSION) -> None:
        self.app = app
        self.table = table
        self.write_version = write_version  # entities.write_version(settings.state_write_version)

    def load(self, entity_ids: list[str]) -> dict[str, EntityState]:
        states: dict[str, EntityState] = {}
        for entity_id in entity_ids:
            stored = self.table.get(entity_id.encode())
            if stored is None:
                continue
            try:
                states[entity_id] = EntityState.from_bytes(stored)
            except ValueError:
                metrics.STATE_RESETS.inc()  # unreadable: a fresh view beats a stuck worker
        return states

    def to_store(self, states: dict[str, EntityState]) -> dict[str, bytes]:
        return {k: s.to_bytes(self.write_version) for k, s in states.items()}

    async def write(self, stored: dict[str, bytes], last_event: dict[str, EventT]) -> None:
        await write_states(self.app, self.table, [(k.encode(), b, last_event[k]) for k, b in stored.items()])
