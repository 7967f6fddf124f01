"""Work-arounds for faust-streaming 0.15.3 and aiokafka 0.14 bugs: seven that lose events or state or stall the worker,
one that adds latency, one that leaves a topic created late unread for 5 minutes.

Fixes 1-3, 5 and 6 were found by the kill -9 / failover tests (``tests/integration/test_faults.py``),
fix 4 by the latency benchmark (``riskmon bench``), fixes 8 and 9 by the broker tests
run two at a time (as ``make test`` ran them then), fix 10 by starting a worker before its topics; fixes 1-9
are installed on every app by :func:`install`, fix 10 is called by the worker's topic check.  They touch private Faust
methods, so ``pyproject.toml`` pins faust-streaming to 0.15.x; re-check them
(the fault tests do) before moving to another release.

1. **Input fetched before the seek is dropped** (upstream faust-streaming#216).
   ``Recovery.on_recovery_completed`` resumes the input partitions *before* it
   seeks them to the committed offsets.  While the seek request is in flight the
   running fetcher reads from the position the consumer had at assignment,
   delivers some of those records to the agent (processed before the table is
   marked restored), moves Faust's read offset past the rest, which the flow
   control then clears from the agent's queue.  After the seek Faust drops
   everything below that read offset and later commits over the hole as a
   "gap": events lost for good (one in ~4 kill -9 restarts here).  Fix: seek
   first, then resume.

2. **Partitions taken over without a committed offset are skipped** (found
   in ~1 of 4 failovers where the dead worker had not committed yet).  Faust
   marks all newly assigned partitions active before it pauses them, and a
   fetch already in flight drains their records from the start while the flow
   is suspended: not delivered, yet aiokafka's position is now at the end.
   The seek to committed offsets leaves a partition without a commit there,
   so the survivor never processes it (lag grows, the watchdog fires).  Fix:
   after the seek, put such partitions back at the beginning, as
   ``auto_offset_reset=earliest`` says.

3. **Committed offsets stuck after a restart** (upstream robinhood/faust#625).
   Filling such gaps into the list of acked offsets can duplicate offsets;
   ``Consumer._new_offset`` stops its run of consecutive offsets at the first
   duplicate, so commits advance about one offset per commit interval and the
   group's lag stays high for minutes (a false backlog, and a long replay on
   the next crash).  Fix: drop duplicates before Faust computes the offset.

4. **Input waits behind a 1.5 s long poll.**  Faust hard-codes aiokafka's
   ``fetch_max_wait_ms=1500``, and aiokafka keeps one fetch in flight per
   broker.  A fetch sent while the input partitions still had records to
   hand over leaves them out and long-polls the others for up to 1.5 s, so at
   2,000 events/s the agent got its input in bursts about once a second
   (latency p50 1.1 s, p99 1.7 s; with 50 ms: 67 / 163 ms).  Fix: the
   ``fetch_max_wait_ms`` setting (default 50 ms).

5. **Input drained while every partition is paused.**  Faust hands aiokafka
   its *live* set of active partitions, and aiokafka's ``fetched_records``
   re-reads it each time new data arrives while it waits (up to 1 s); an
   empty set means "every partition" there.  At the end of a recovery Faust
   pauses the changelog partitions while the input partitions are still
   paused, so the set becomes empty during such a wait: aiokafka hands over
   the input records it prefetched from the committed offsets, moves its
   positions to their end, and Faust drops them as not active.  When that
   happens after the seek to the committed offsets the partitions are
   skipped until the next rebalance (the worker stalls with lag; ~2 in 5
   kill -9 restarts on a loaded machine, and the cause of a CI failure).
   Fix: fetch for a copy of the set, and never for an empty one.

6. **Fetched records dropped without putting them back.**  ``Consumer.getmany``
   throws away records aiokafka already handed over (its position moved past
   them) when the flow stopped meanwhile (a rebalance began), the generation
   changed, or their partition is paused.  Faust then seeks to the committed
   offsets, which leaves a partition without a commit where it is: a
   changelog partition that recovery had just rewound to its start stayed at
   its end, so the restore waited forever for records it had dropped (a
   failover stuck "still fetching changelog topics"; ~1 in 20 loaded runs once
   fix 5 was in).  Fix: after such a drop, put each partition back to its
   first undelivered record, unless something has moved its position since.

7. **A record batch the client cannot decode stops the worker for good**
   (aiokafka 0.14).  A batch with a bad CRC, or compressed with a codec whose
   library is missing, raises out of ``getmany``; Faust crashes, restarts at
   the committed offset and fails on the same batch again: a crash loop that
   stops every partition of the worker.  Fix: such a batch becomes one
   placeholder record at the batch's last offset, marked with the
   ``UNDECODABLE_HEADER`` header that names the offsets and the error; the
   worker dead-letters it (``undecodable_batch``) and the partition moves on.
   Its messages stay in the topic for a client that can read them.

8. **A record waits 20 minutes for a topic its producer forgot** (aiokafka
   0.14).  aiokafka's client asks the broker for metadata of the topics in
   its list only, and replaces what it knew with the answer; but a send to a
   topic whose partitions it already knows (from the all-topics metadata it
   fetched at start) does not put that topic on the list.  The first send to
   a topic it did not know (a changelog Faust creates at start) then narrows
   the metadata to that topic: records of the dead-letter, alert or sightings
   topics still waiting to be sent lose their partitions' leader, and the
   sender only asks again for the listed topics, until the records expire
   (Faust's ``producer_request_timeout``, 20 minutes).  The worker, which
   waits for those deliveries, stalled with its input unread, or hung on
   shutdown (4 end-to-end runs in 17, most two at a time; 20 of 20 passed with the fix).
   Fix: put every topic on the list at its first send.

9. **A changelog created a moment after the worker subscribed is left out of
   every assignment** (aiokafka 0.14).  The group leader re-lists the
   subscribed topics before it assigns partitions, but refreshes the metadata
   only when that list gained a topic, not when a listed topic is still
   unknown; the assignor then skips it ("Ignoring missing topic") at every
   rebalance until the periodic refresh (5 minutes).  Two workers started
   together, each creating the table changelogs: the leader's assignments
   held no partition of the device and merchant changelogs, so when the other
   worker was killed the survivor restored none of its entity states (22
   devices differed from the offline replay; 1 fault-test run in 3 with two at
   a time).  Fix: re-listing topics of which one is unknown refreshes the
   metadata, which the leader waits for before it assigns.
10. **A topic created after the worker subscribed waits 5 minutes** (aiokafka
    0.14).  A worker started before ``riskmon topics`` names the missing topics
    and waits (``stream.worker.app``), but once they exist the group leader
    learns of them only at the periodic metadata refresh (``metadata_max_age_ms``,
    5 minutes; measured 4 min 48 s), so the input stayed unassigned that long.
    Fix: when the topic check sees a missing topic appear, the consumer's
    metadata is refreshed on its own thread (:func:`refresh_consumer_metadata`);
    the leader sees the new partitions and rebalances to assign them.
"""

from __future__ import annotations

import asyncio
import logging
import types
import weakref
from collections import Counter
from contextlib import contextmanager
from typing import Any, AsyncIterator, Awaitable, Callable, Iterator, Mapping, Optional, Set, Tuple

import aiokafka
import faust
from aiokafka import errors as kafka_errors
from aiokafka.consumer.fetcher import PartitionRecords
from aiokafka.structs import ConsumerRecord, TopicPartition
from faust.streams import _current_event  # the context Faust's stores read the partition from
from faust.tables.recovery import Recovery
from faust.transport.consumer import RecordMap
from faust.transport.drivers.aiokafka import AIOKafkaConsumerThread
from faust.transport.drivers.aiokafka import Consumer as AIOKafkaConsumer
from faust.transport.drivers.aiokafka import Producer as AIOKafkaProducer
from faust.types import TP, EventT, Message

from stream.core.admission import UNDECODABLE_HEADER

log = logging.getLogger(__name__)


class RiskmonConsumer(AIOKafkaConsumer):
    """Faust's aiokafka consumer with fixes 3 (duplicate acked offsets), 4 (fetch wait), 5 (live partition set) and 6 (put back)."""

    fetch_max_wait_ms: int = 1500  # Faust's value; ``install`` sets the configured one

    def _new_offset(self, tp: TP) -> Optional[int]:
        acked = self._acked[tp]
        if len(acked) > 1:
            unique = sorted(set(acked))
            if len(unique) != len(acked):
                acked[:] = unique
        return super()._new_offset(tp)

    def _new_consumer_thread(self) -> AIOKafkaConsumerThread:
        return _ConsumerThread(self, loop=self.loop, beacon=self.beacon)

    async def getmany(self, timeout: float) -> AsyncIterator[Tuple[TP, Message]]:
        """Faust 0.15.3's ``Consumer.getmany``, putting back the records it does not hand on (fix 6)."""
        records, active_partitions = await self._wait_next_records(timeout)
        generation_id = self.app.consumer_generation_id
        if records is None or self.should_stop:
            return
        handed: Counter[TP] = Counter()
        if self.flow_active:
            for tp, record in self.scheduler.iterate(records):
                if not self.flow_active or self.app.consumer_generation_id != generation_id:
                    break
                if active_partitions is None or tp in active_partitions or tp in self._buffered_partitions:
                    self.app.monitor.track_tp_end_offset(tp, self.highwater(tp))
                    handed[tp] += 1
                    yield tp, self._to_message(tp, record)
        else:
            try:  # what Faust does here: back to the committed offsets
                await self.perform_seek()
            except Exception as exc:  # noqa: BLE001 - Faust's own handling
                self.log.warning(f"exception performing seek when flow not active {exc}")
        if not self.should_stop:
            await self._put_back(records, handed)

    async def _put_back(self, records: RecordMap, handed: Counter[TP]) -> None:
        """Rewind each partition to its first record not handed on, if nothing moved it since."""
        undelivered = {
            tp: (batch[handed[tp]].offset, batch[-1].offset + 1)
            for tp, batch in records.items()
            if handed[tp] < len(batch)
        }
        if undelivered:
            thread: _ConsumerThread = self._thread
            await thread.put_back(undelivered)


class _ConsumerThread(AIOKafkaConsumerThread):
    def _create_worker_consumer(self, transport: Any) -> Any:
        consumer = super()._create_worker_consumer(transport)
        # Read by aiokafka when it builds its fetcher in start(), i.e. after this.
        consumer._fetch_max_wait_ms = self.consumer.fetch_max_wait_ms
        refresh_unknown_topics(consumer._client)
        return consumer

    async def getmany(self, active_partitions: Optional[Set[TP]], timeout: float) -> RecordMap:
        """Fetch for a snapshot of the active partitions, never for an empty set (fix 5)."""
        if active_partitions is not None:
            active_partitions = set(active_partitions)
            if not active_partitions:  # aiokafka would read "every partition"
                await asyncio.sleep(min(timeout, 0.1))
                return {}
        return await super().getmany(active_partitions, timeout)

    def live_assignment(self) -> Any:
        """aiokafka's current assignment (the fetch position of each partition), None between assignments."""
        consumer = self._consumer
        subscription = consumer._subscription.subscription if consumer is not None else None
        return subscription.assignment if subscription is not None else None

    async def put_back(self, positions: Mapping[TP, Tuple[int, int]]) -> None:
        """For ``tp: (first, end)``: seek ``tp`` to ``first`` if its position is still ``end`` (fix 6)."""
        await self.call_thread(self._put_back, positions)

    async def _put_back(self, positions: Mapping[TP, Tuple[int, int]]) -> None:
        # Runs on the consumer's own loop without awaiting: nothing can move a position meanwhile.
        consumer = self._ensure_consumer()
        assignment = self.live_assignment()
        if assignment is None or not assignment.active:
            return  # a new assignment starts from committed offsets anyway
        for tp, (first, end) in positions.items():
            partition = TopicPartition(tp.topic, tp.partition)
            if partition not in assignment.tps:
                continue
            state = assignment.state_value(partition)
            if state.has_valid_position and state.position == end:
                consumer.seek(partition, first)


def refresh_unknown_topics(client: Any) -> None:
    """Have ``client`` (an aiokafka consumer's) refresh its metadata whenever it is given a topic list
    with a topic it has no partitions for (fix 9)."""
    set_topics = client.set_topics

    def set_topics_refreshing(topics: Any) -> Any:
        listed = set_topics(topics)
        if any(client.cluster.partitions_for_topic(topic) is None for topic in topics):
            return client.force_metadata_update()  # what the leader waits for before it assigns
        return listed

    client.set_topics = set_topics_refreshing


class TopicListingProducer(aiokafka.AIOKafkaProducer):
    """aiokafka's producer, putting each topic on its client's metadata list at the first send (fix 8)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listed: Set[str] = set()

    def _list(self, topic: str) -> None:
        if topic not in self._listed:
            self._listed.add(topic)
            self.client.add_topic(topic)  # public; refreshes the metadata once when the topic is new to the list

    async def send(self, topic: str, *args: Any, **kwargs: Any) -> Any:
        self._list(topic)
        return await super().send(topic, *args, **kwargs)

    async def send_batch(self, batch: Any, topic: str, *, partition: int) -> Any:
        self._list(topic)
        return await super().send_batch(batch, topic, partition=partition)


class RiskmonProducer(AIOKafkaProducer):
    """Faust's aiokafka producer, on :class:`TopicListingProducer` (fix 8)."""

    @property
    def _producer_type(self) -> type:
        return TopicListingProducer


def _unpack_records_tolerant(self: PartitionRecords) -> Any:
    """aiokafka 0.14's ``PartitionRecords._unpack_records`` for read_uncommitted consumers,
    turning a batch it cannot decode into one placeholder record (fix 7)."""
    tp = self._tp
    records = self._records
    while records.has_next():
        batch = records.next_batch()
        if batch.is_control_batch:
            self.next_fetch_offset = batch.next_offset
            continue
        try:
            if self._check_crcs and not batch.validate_crc():
                raise kafka_errors.CorruptRecordException(f"invalid CRC in {tp}")
            decoded = [self._consumer_record(tp, r) for r in batch if r.offset >= self.next_fetch_offset]
        except Exception as exc:  # noqa: BLE001 - any decoding failure: codec missing, corrupt data
            last = batch.next_offset - 1
            text = str(exc) if str(exc).startswith(type(exc).__name__) else f"{type(exc).__name__}: {exc}"
            error = f"offsets {batch.base_offset}-{last}: {text}"
            log.error("a record batch of %s could not be decoded (%s); dead-lettering it as undecodable_batch and "
                      "moving on: read those offsets with a client that has the codec", tp, error)
            self.next_fetch_offset = batch.next_offset
            yield ConsumerRecord(tp.topic, tp.partition, last, -1, 0, None, None, None, -1, -1,
                                 ((UNDECODABLE_HEADER, error.encode()),))
            continue
        for record in decoded:
            self.next_fetch_offset = record.offset + 1
            yield record
        self.next_fetch_offset = batch.next_offset


async def _on_recovery_completed_seek_first(self: Recovery, generation_id: int = 0) -> None:
    """``Recovery.on_recovery_completed`` of faust-streaming 0.15.3 with the seek moved before the resume."""
    app: Any = self.app
    consumer = app.consumer
    self.log.info("Restore complete!")
    await app.on_rebalance_complete.send()
    self._set_recovery_ended()
    callbacks = [
        asyncio.ensure_future(table.on_recovery_completed(self.actives_for_table[table], self.standbys_for_table[table]))
        for table in self.tables.values()
    ]
    if callbacks:
        await asyncio.wait(callbacks)
    assignment = consumer.assignment()
    if app.consumer_generation_id != generation_id:
        self.log.warning(f"Recovery rebalancing again app id {app.consumer_generation_id} param {generation_id}")
        return
    inputs = {tp for tp in assignment if not self._is_changelog_tp(tp)}
    if assignment:
        self.log.info("Seek stream partitions to committed offsets.")
        await self._wait(consumer.perform_seek(), timeout=app.conf.broker_request_timeout)
        # aiokafka leaves a partition without a committed offset where it is, which
        # can be past records an earlier fetch drained and Faust dropped (fix 2).
        never_committed = [tp for tp in inputs if consumer._committed_offset.get(tp) is None]
        if never_committed and app.conf.consumer_auto_offset_reset == "earliest":
            self.log.info("Seek %d partitions without a committed offset to the beginning.", len(never_committed))
            partitions = [TopicPartition(tp.topic, tp.partition) for tp in never_committed]  # aiokafka's own type
            await self._wait(consumer._thread.seek_to_beginning(*partitions), timeout=app.conf.broker_request_timeout)
    # Only now may the fetcher read input partitions: from the committed offsets.
    consumer.resume_partitions(inputs)
    self.completed.set()
    app.flow_control.resume()
    consumer.resume_flow()
    await app._fetcher.maybe_start()
    self.tables.on_actives_ready()
    if not app.assignor.assigned_standbys():
        self.tables.on_standbys_ready()
    app.on_rebalance_end()
    self.log.info("Worker ready")


def install(app: faust.App, fetch_max_wait_ms: int = 50) -> None:
    """Apply the fixes to ``app`` (before it starts)."""
    # Fix 7 leaves out read_committed's aborted-batch filtering: the worker is at-least-once (read_uncommitted).
    PartitionRecords._unpack_records = _unpack_records_tolerant  # type: ignore[method-assign]
    app.transport.Consumer = type("ConfiguredRiskmonConsumer", (RiskmonConsumer,), {"fetch_max_wait_ms": fetch_max_wait_ms})
    app.transport.Producer = RiskmonProducer
    recovery = app.tables.recovery
    recovery.on_recovery_completed = types.MethodType(_on_recovery_completed_seek_first, recovery)  # type: ignore[method-assign]


# --------------------------------------------------------------------------- private reads, in one place
# The rest of the worker reads Faust's and aiokafka's internals only through these,
# so a Faust upgrade is checked here (and by the fault tests), not hunted in every module.


def committed_offsets(app: faust.App) -> Mapping[TP, Optional[int]]:
    """The consumer's last committed offset per partition (None before the first commit)."""
    return app.consumer._committed_offset


def paused_partitions(app: faust.App) -> Set[TP]:
    return set(app.consumer._paused_partitions)


def fetch_positions(app: faust.App, topic: str) -> dict[int, int]:
    """Where aiokafka will fetch next, per partition of ``topic`` (empty between assignments)."""
    thread = app.consumer._thread
    assignment = thread.live_assignment() if isinstance(thread, _ConsumerThread) else None
    if assignment is None:
        return {}
    return {tp.partition: assignment.state_value(tp)._position for tp in assignment.tps if tp.topic == topic}


async def refresh_consumer_metadata(app: faust.App) -> None:
    """Refresh the consumer's cluster metadata now, on Faust's consumer thread, which owns the client (fix 10)."""
    thread = app.consumer._thread
    await thread.call_thread(lambda: thread._ensure_consumer()._client.force_metadata_update())


def aiokafka_producer(app: faust.App) -> Any:
    """The aiokafka producer Faust started (for record batches Faust's own API cannot send)."""
    return app.producer._ensure_producer()


@contextmanager
def as_current_event(event: EventT) -> Iterator[None]:
    """Make ``event`` Faust's current event, so a partition-aware store (RocksDB) files the key under its partition."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


def hand_over_topic(app: faust.App, topic: str, callback: Callable[[Any], Awaitable[None]]) -> None:
    """Give ``topic``'s partitions ``callback`` as their consumer callback instead of the conductor's
    (which decodes each message into an ``Event`` for the topic's channels); every other topic keeps
    Faust's own.  ``stream.worker.input_feed`` takes the input this way, in batches."""
    conductor: Any = app.topics
    build = conductor._build_handler

    def build_handler(tp: TP, channels: Any) -> Any:
        return callback if tp.topic == topic else build(tp, channels)

    conductor._build_handler = build_handler
