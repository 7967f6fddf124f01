"""The batch protocol of the worker: the delivery guarantee, in one class that needs no Faust.

For each micro-batch of input messages, in this order:

1. **Admit** every message (``stream.core.admission``): refused ones are queued for
   the dead-letter topic, mis-keyed ones are queued to be sent on to their
   user's partition, valid ones go on.
2. **Process** the valid events: load each touched user's state once, run the
   shared pipeline (fold, score, alert), sweep a few quiet users of the same
   partitions for loans left unpaid (``stream.worker.quiet_sweep``), **send
   the alerts and wait for the broker**, then **write the states and wait for
   the broker**.  Alerts go
   first, so a crash between the two replays the events and re-sends the alerts
   (same ``alert_id``) instead of finding them folded into the state already.
3. If that fails, retry the events **one by one**; an event that still fails is
   dead-lettered as ``processing_error``, the others go on.
4. **Deliver** the queued dead letters and re-keyed copies, re-sending any the
   broker refused, until all are acknowledged.
5. Only then mark the batch's offsets as processed; the caller acknowledges
   them to Faust, which commits.

A crash anywhere before step 5 replays the whole batch; redelivered events are
recognised by the input position each user's state keeps of the last event folded
into it, written with it (``stream.core.features.replayed``), re-keyed copies sent
again by the position of their originals (``stream.core.features.Copy``), and other
copies by the state's recent ids (at-least-once delivery with idempotent effects).
The Faust app (``stream.worker.app``) only wires topics, the table and timers to
this class; tests drive it with fakes.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any, Awaitable, Callable, Protocol, Sequence

import orjson

from stream.worker import metrics
from stream.core.admission import Admission, Admitted, Rekey, admit
from stream.core.contract import Event, InvalidEvent
from stream.core.dlq import PROCESSING_ERROR, dlq_key, dlq_record
from stream.core.entities import Sighting, pack
from stream.core.features import UserState, position
from stream.core.outcome_watch import Realised
from stream.core.pipeline import Outcome, process, sweep_quiet
from stream.core.routing import copy_headers, copy_of, partition_for
from stream.core.rule_storm import StormWatch, yardsticks
from stream.core.state_epoch import StateEpoch
from stream.core.rules import RuleConfig
from stream.worker.quiet_sweep import QuietSweep

log = logging.getLogger(__name__)


class Message(Protocol):
    """What the handler reads of a Kafka message (Faust's ``Message``)."""

    topic: str
    partition: int
    offset: int
    timestamp: float | None
    headers: Any


class InputEvent(Protocol):
    """One input record as Faust hands it over (``EventT``)."""

    key: bytes | None
    value: bytes | None
    message: Message


class Sink(Protocol):
    """A topic to send to (``faust.Topic``): ``send`` queues and returns the delivery to await."""

    def send(self, *, key: Any = None, value: Any = None, partition: int | None = None,
             timestamp: float | None = None, headers: Any = None) -> Awaitable[Awaitable[Any]]: ...


class StateStore(Protocol):
    """The per-user state table (``stream.worker.state_table``)."""

    def load(self, user_ids: list[str]) -> dict[str, UserState]: ...

    def to_store(self, states: dict[str, UserState]) -> dict[str, bytes]:
        """The bytes each state is written as: computed with the batch, so a state that cannot be
        stored fails its events, not the write."""

    async def write(self, states: dict[str, UserState], stored: dict[str, bytes],
                    last_event: dict[str, InputEvent]) -> None:
        """Write ``stored`` durably (acknowledged by the broker) before returning."""

    def forget_unwritten(self) -> None:
        """Drop cached states a failed batch may have half-updated."""

    def epoch(self, newest: float, unknown_past_s: float) -> StateEpoch:
        """When the whole table's states began (``stream.core.state_epoch``), for a batch reaching
        ``newest`` under a model whose span is ``unknown_past_s``."""


#: A record on its way to the broker: (sink, what was sent, its delivery).
Pending = tuple[Sink, dict[str, Any], Awaitable[Any]]


@dataclass(frozen=True)
class Computed:
    """A batch's effects, computed and not yet written: what ``_publish`` sends."""

    valid: list[tuple[Event, InputEvent]]
    model: Any  # the model that scored it (a newer one may be in force by the time it is published)
    outcomes: list[Outcome]
    states: dict[str, UserState]  # the batch's users and the quiet sweep's
    stored: dict[str, bytes]  # their bytes
    last_event: dict[str, InputEvent]  # an input event of each one's partition, to write it with
    realised: list[Realised]


@dataclass
class Sinks:
    alerts: Sink
    dead_letters: Sink
    input: Sink  # for re-keyed copies
    sightings: dict[str, Sink] = field(default_factory=dict)  # entity type -> its through-topic (none: no entity views)
    #: entity type -> its through-topic's partition count; with it, sightings go in packs, one record per
    #: partition and batch (``entities.pack``); without it (or ``pack_sightings`` off), one record each
    sighting_partitions: dict[str, int] = field(default_factory=dict)


class BatchHandler:
    """Runs the batch protocol above; one instance per worker."""

    def __init__(
        self,
        sinks: Sinks,
        store: StateStore,
        model: Callable[[], Any],
        rules: RuleConfig,  # as configured; each model says which are in force with it
        admission: Callable[[], Admission],
        suppress_window_s: float,
        on_outcomes: Callable[[list[Outcome], Any], None] = lambda outcomes, model: None,
        clock: Callable[[], float] = time.time,
        resend_delay_s: float = 1.0,
        give_up_s: float | None = None,
        moved: Callable[[int, int, bytes | None], bool] | None = None,
        lateness_sightings: bool = True,
        pack_sightings: bool = True,
        storms: StormWatch | None = None,
        quiet: QuietSweep | None = None,
    ) -> None:
        self.sinks = sinks
        self.store = store
        self.model = model
        self.rules = rules
        self.admission = admission
        self.suppress_window_s = suppress_window_s
        self.on_outcomes = on_outcomes
        self.clock = clock
        self.resend_delay_s = resend_delay_s
        #: how long a batch waits for the broker before the worker stops (None: for ever; ``until_acknowledged``)
        self.give_up_s = give_up_s
        self.moved = moved  # (partition, offset, key) -> copied to its new partition by riskmon rescale
        self.next_offset: dict[int, int] = {}  # input partition -> offset after the last processed message
        #: False while older workers, which know no lateness sightings, may fold this worker's
        #: sightings (a rolling upgrade's first bounce: ``entities.write_version`` 1).
        self.lateness_sightings = lateness_sightings
        #: False while older entity stages, which read one sighting per record, may consume them.
        self.pack_sightings = pack_sightings
        #: Each rule's rate over this worker's last day of event time (``stream.core.rule_storm``).
        self.storms = storms
        #: Stored users to sweep for loans their quiet borrowers left unpaid (None: no sweep).
        self.quiet = quiet
        self._sweep_failed = False  # its error is logged once

    async def handle(self, batch: Sequence[InputEvent]) -> None:
        """Steps 1-5 for one batch; returns once its offsets may be acknowledged."""
        now = self.clock()
        admission = self.admission()
        valid: list[tuple[Event, InputEvent]] = []
        pending: list[Pending] = []
        chain: dict[tuple[str, int], int] = {}  # the batch's re-keyed copies (``routing.copy_headers``)
        for ev in batch:
            msg = ev.message
            if self.moved is not None and self.moved(msg.partition, msg.offset, ev.key):
                metrics.RESCALE_MOVED.inc()  # its copy, on its key's new partition, is processed there
                continue
            verdict = admit(ev.key, ev.value, msg.headers, msg.partition, msg.timestamp, now, admission)
            if isinstance(verdict, Admitted):
                valid.append((verdict.event, ev))
            elif isinstance(verdict, Rekey):
                pending.append(await self._rekey(ev, verdict.event.user_id, verdict.reason, admission, chain))
            else:
                pending.append(await self._dead_letter(ev, verdict.error))
        if valid:
            pending += await self._process_or_isolate(valid)
        await self._deliver(pending)
        self._mark_processed(batch)

    async def _process_or_isolate(self, valid: list[tuple[Event, InputEvent]]) -> list[Pending]:
        """Compute the batch's effects, and if that fails each event's alone (step 3), dead-lettering
        the events that fail; publish what was computed.  Returns the dead letters.

        Only computing can fail an event.  Publishing (alerts, sightings, states) waits for the
        broker (``until_acknowledged``): a broker that times out or refuses
        says nothing about the events, and dead-lettering them would drop them from their users'
        states for good (docs/reliability.md, finding 21); past ``give_up_s`` the worker restarts."""
        try:
            computed = self._compute(valid)
        except Exception as exc:  # noqa: BLE001 - one bad event must not stop the stream
            self.store.forget_unwritten()
            log.error("a batch of %d events failed (%s); retrying its events one by one, dead-lettering any that fail",
                      len(valid), type(exc).__name__)
        else:
            await self._publish(computed)
            return []
        failed: list[Pending] = []
        for item in valid:
            try:
                one = self._compute([item])
            except Exception as exc:  # noqa: BLE001
                self.store.forget_unwritten()
                failed.append(await self._dead_letter(item[1], InvalidEvent(
                    PROCESSING_ERROR, f"the monitor failed on this event: {type(exc).__name__}: {exc}")))
                continue
            await self._publish(one)  # before the next event's state is loaded
        return failed

    async def _publish(self, computed: Computed) -> None:
        """Alerts and sightings (acknowledged), then the states (acknowledged), each until the broker has them."""
        messages = self._count(computed.outcomes, self.clock()) + self._sightings(computed.outcomes, computed.valid)
        await until_acknowledged("alerts and entity sightings", sent_all(messages), self.resend_delay_s, self.give_up_s)
        await until_acknowledged("user states", lambda: self.store.write(
            computed.states, computed.stored, computed.last_event), self.resend_delay_s, self.give_up_s)
        self.on_outcomes(computed.outcomes, computed.model)
        metrics.count_realised(computed.realised)

    def _compute(self, valid: list[tuple[Event, InputEvent]]) -> Computed:
        """Fold and score the batch (alerts decided, nothing sent) and encode the states: nothing is
        written before every state is computed."""
        last_event = {e.user_id: ev for e, ev in valid}
        states = self.store.load(list(last_event))
        model = self.model()  # read once: the batch's model and the rules in force with it (RiskModel.rules)
        epoch = self.store.epoch(max(e.ts for e, _ in valid), model.entity_thresholds.unknown_past_s)
        outcomes = process(model, model.rules(self.rules), states, [e for e, _ in valid], self.suppress_window_s,
                           storms=self.storms, epoch=epoch,
                           positions=[position(ev.message.partition, ev.message.offset) for _, ev in valid],
                           copies=[copy_of(ev.message.headers, ev.message.topic) for _, ev in valid])
        if self.storms is not None and outcomes:
            rates = yardsticks(self.storms.policy, model.expected_rule_rates, model.expected_model_rate)
            metrics.set_storming(self.storms.storming(outcomes[-1].event.ts, rates), rates)
            metrics.set_surge(self.storms.surge(outcomes[-1].event.ts))
        quiet_states, quiet_events, realised = self._sweep_quiet(model, valid, last_event)
        states = {**states, **quiet_states}
        return Computed(valid, model, outcomes, states, self.store.to_store(states), {**last_event, **quiet_events},
                        realised)

    def _sweep_quiet(self, model: Any, valid: list[tuple[Event, InputEvent]], last_event: dict[str, InputEvent],
                     ) -> tuple[dict[str, UserState], dict[str, InputEvent], list[Realised]]:
        """The quiet sweep of this batch (``stream.worker.quiet_sweep``): the swept users' changed states,
        for each an input event of its partition to write it with, and what was realised.  A failure
        here is logged and costs only this batch's sweep, never the batch."""
        if self.quiet is None or model.early_warning is None:
            return {}, {}, []
        try:
            admission = self.admission()
            at: dict[int, tuple[float, InputEvent]] = {}  # partition -> (latest event time, one of its events)
            for event, ev in valid:
                partition = ev.message.partition
                at[partition] = (max(event.ts, at[partition][0]) if partition in at else event.ts, ev)
            home, turns = {}, self.quiet.turns
            for user_id in self.quiet.take():
                partition = partition_for(user_id.encode(), admission.partitions, admission.partitioner)
                if partition in at and user_id not in last_event:
                    home[user_id] = partition
            loaded = self.store.load(list(home))
            states: dict[str, UserState] = {}
            events: dict[str, InputEvent] = {}
            realised: list[Realised] = []
            for partition, (ts, ev) in at.items():
                group = {u: s for u, s in loaded.items() if home[u] == partition}
                for user_id, found in sweep_quiet(model, group, ts).items():
                    states[user_id], events[user_id] = group[user_id], ev
                    realised += found
            metrics.QUIET_SWEEP_TURNS.inc(self.quiet.turns - turns)
            return states, events, realised
        except Exception as exc:  # noqa: BLE001 - a metric's input must not stop the stream
            self.store.forget_unwritten()  # a swept state may be half-changed in the cache
            if not self._sweep_failed:
                self._sweep_failed = True
                log.error("the quiet sweep of the early warning's outcomes failed (%s: %s); batches go on without "
                          "it, so realised outcomes of borrowers who went quiet are missing", type(exc).__name__, exc)
            return {}, {}, []

    def _count(self, outcomes: list[Outcome], now: float) -> list[tuple[Sink, dict[str, Any]]]:
        """Count the outcomes (label look-ups once per batch, not per event); the alerts to send."""
        counts: Counter[tuple[str, str]] = Counter()
        scores: dict[str, list[float]] = {}
        alerts: list[tuple[Sink, dict[str, Any]]] = []
        for outcome in outcomes:
            event = outcome.event
            if outcome.duplicate:
                counts[event.event_type, "duplicate"] += 1
                continue
            assert outcome.decision is not None
            counts[event.event_type, "scored"] += 1
            scores.setdefault(event.event_type, []).append(outcome.decision.score)
            metrics.count_early_warning(outcome)
            metrics.EVENT_LAG.observe(max(0.0, now - event.ts))
            alert = outcome.alert
            if alert is None:
                continue
            if outcome.suppressed:
                metrics.ALERTS_SUPPRESSED.labels(alert["severity"]).inc()
                continue
            if outcome.held:
                for source in alert["fired_by"]:
                    metrics.ALERTS_HELD.labels(source).inc()
                continue
            metrics.ALERTS.labels(alert["severity"]).inc()
            for source in alert["fired_by"]:
                metrics.ALERT_SOURCES.labels(source).inc()
            alerts.append((self.sinks.alerts, {"key": event.user_id.encode(), "value": orjson.dumps(alert)}))
        for (event_type, result), n in counts.items():
            metrics.EVENTS.labels(event_type, result).inc(n)
        for event_type, values in scores.items():
            histogram = metrics.SCORES.labels(event_type)
            for value in values:
                histogram.observe(value)
        return alerts

    def _sightings(self, outcomes: list[Outcome], valid: list[tuple[Event, InputEvent]]) -> list[tuple[Sink, dict[str, Any]]]:
        """The loans' sightings for their entity type's through-topic.

        Each carries its input message's (partition, offset), by which the entity
        stage recognises the copies a replayed batch sends again.  Packed: one
        record per entity type and partition, sent to the partition the
        producer's default partitioner (murmur2) gives each entity id, where the
        entity's state lives.  Unpacked (older entity stages read only that, a
        rolling upgrade's first bounce): one record per sighting, keyed by the entity.
        """
        packs: dict[tuple[str, int], list[Sighting]] = {}
        messages: list[tuple[Sink, dict[str, Any]]] = []
        for outcome, (_, ev) in zip(outcomes, valid):
            for s in outcome.sightings:
                if s.late_days and not self.lateness_sightings:
                    continue
                sink = self.sinks.sightings.get(s.entity_type)
                if sink is None:
                    continue
                sourced = replace(s, source=(ev.message.partition, ev.message.offset))
                key = s.entity_id.encode()
                partitions = self.sinks.sighting_partitions.get(s.entity_type) if self.pack_sightings else None
                if partitions:
                    packs.setdefault((s.entity_type, partition_for(key, partitions)), []).append(sourced)
                else:
                    messages.append((sink, {"key": key, "value": sourced.to_bytes()}))
        for (entity_type, partition), sightings in packs.items():
            messages.append((self.sinks.sightings[entity_type], {"value": pack(sightings), "partition": partition}))
        return messages

    async def _dead_letter(self, ev: InputEvent, error: InvalidEvent) -> Pending:
        """Queue the DLQ record; the batch waits for its delivery before its offsets are marked."""
        return await dead_letter(self.sinks.dead_letters, ev, error)

    async def _rekey(self, ev: InputEvent, user_id: str, reason: str, admission: Admission,
                     chain: dict[tuple[str, int], int]) -> Pending:
        """Send the message on to its user's partition (``stream.core.routing``), as the producer should
        have, saying where it sat and which copy went before it (``chain``: the batch's)."""
        msg = ev.message
        metrics.REKEYED.labels(reason).inc()
        key = user_id.encode()
        headers = copy_headers(msg.headers, msg.topic, msg.partition, msg.offset, user_id, chain)
        return await _send(self.sinks.input, key=key, value=ev.value, headers=headers,
                           partition=partition_for(key, admission.partitions, admission.partitioner),
                           timestamp=msg.timestamp if msg.timestamp and msg.timestamp > 0 else None)

    async def _deliver(self, pending: list[Pending]) -> None:
        """Wait until the broker has every dead letter and re-keyed copy, re-sending refused ones.

        A crash after the batch's commit must not lose one, and a broker that
        keeps refusing them stalls the worker visibly (watchdog) instead of
        dropping them.
        """
        await until_acknowledged("dead letters and re-keyed copies", sent_all([], in_flight=pending),
                                 self.resend_delay_s)

    def _mark_processed(self, batch: Sequence[InputEvent]) -> None:
        now = self.clock()
        for ev in batch:
            msg = ev.message
            self.next_offset[msg.partition] = max(self.next_offset.get(msg.partition, 0), msg.offset + 1)
            if msg.timestamp and msg.timestamp > 0:
                metrics.LATENCY.observe(max(0.0, now - msg.timestamp))


async def until_acknowledged(what: str, attempt: Callable[[], Awaitable[None]], delay_s: float,
                             give_up_s: float | None = None) -> None:
    """Run ``attempt`` until it returns: while the broker times out or refuses, the batch waits
    (an error line every ``delay_s``; the stall watchdog sees no progress), and its offsets are not
    marked, so nothing it computed is lost or counted twice (docs/reliability.md, finding 21).

    After ``give_up_s`` (the worker's session timeout) it raises instead, and the worker stops and
    restarts from its last commit: by then the group may have handed the batch's partitions to
    another worker, and states this one wrote after that one's would undo them."""
    failures, started = 0, time.monotonic()
    while True:
        try:
            await attempt()
            return
        except Exception as exc:  # noqa: BLE001 - whatever the client raised, the effects must land
            failures += 1
            if give_up_s is not None and time.monotonic() - started >= give_up_s:
                raise RuntimeError(f"the broker did not take the batch's {what} for {give_up_s:g} s "
                                   f"({failures} tries, the last: {type(exc).__name__}: {exc})") from exc
            log.error("writing the batch's %s failed (%s: %s); trying again in %g s (%d failed so far)",
                      what, type(exc).__name__, exc, delay_s, failures)
            await asyncio.sleep(delay_s)


def sent_all(messages: list[tuple[Sink, dict[str, Any]]], in_flight: Sequence[Pending] = ()
             ) -> Callable[[], Awaitable[None]]:
    """An attempt (``until_acknowledged``) that sends ``messages`` and waits for each, and for the
    deliveries already ``in_flight``; the next attempt sends only the ones the broker has not
    acknowledged."""
    left = list(messages)
    flying = list(in_flight)

    async def attempt() -> None:
        nonlocal left, flying
        sent: list[Pending] = flying
        flying = []
        refused: list[tuple[Sink, dict[str, Any]]] = []
        for sink, message in left:
            try:
                sent.append((sink, message, await sink.send(**message)))
            except Exception:  # noqa: BLE001 - refused before it left: sent again with the rest
                refused.append((sink, message))
        results = await asyncio.gather(*(delivery for _, _, delivery in sent), return_exceptions=True)
        refused += [(sink, message) for (sink, message, _), r in zip(sent, results) if isinstance(r, BaseException)]
        left = refused
        if refused:
            raise RuntimeError(f"{len(refused)} of them not acknowledged")
    return attempt


def dead_letter_message(sink: Sink, ev: InputEvent, error: InvalidEvent) -> tuple[Sink, dict[str, Any]]:
    """Count ``ev`` as invalid; its dead letter (reason and original bytes) as a message for ``sink``."""
    msg = ev.message
    metrics.INVALID.labels(error.code).inc()
    return sink, {"key": dlq_key(ev.key),
                  "value": dlq_record(ev.value or b"", ev.key, error, msg.topic, msg.partition, msg.offset)}


async def dead_letter(sink: Sink, ev: InputEvent, error: InvalidEvent) -> Pending:
    """Queue ``ev``'s dead letter (``dead_letter_message``) on ``sink``."""
    sink, message = dead_letter_message(sink, ev, error)
    return await _send(sink, **message)


async def _send(sink: Sink, **message: Any) -> Pending:
    return sink, message, await sink.send(**message)
