"""The entity stage's batch protocol: sightings of one entity type -> entity views -> entity alerts.

The user stage (``stream.worker.batch``) forwards each loan's sightings to the
entity type's through-topic, packed by the entity id's partition
(``entities.pack``; one sighting per record from older workers), *before* it
writes the user states; a crash in between replays the user batch and
forwards them again.  Here, for each micro-batch of records, in this order:

1. load each touched entity's state once and fold the sightings in
   (``stream.core.entity_alerts.observe``); a sighting whose input offset the
   entity has already folded (a replayed user batch) is counted as a duplicate
   and changes nothing;
2. send the entity alerts and wait for the broker;
3. write the states and wait for the broker;
4. only then return, so the caller acknowledges the sightings' offsets.

A crash before 4 replays the batch: its sightings are in no written state,
so they fold once, and re-sent alerts keep their ``alert_id``.  So a
sighting is folded exactly once whichever stage dies, the same guarantee as
for user states.  A sighting that cannot be processed (a bug, not input:
the topic is ours) is dead-lettered with its bytes, like a bad event: the
whole record, so every sighting packed with it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from datetime import datetime, timezone
from typing import Any, Callable, Protocol, Sequence

import orjson

from stream.core.contract import InvalidEvent
from stream.core.dlq import PROCESSING_ERROR
from stream.core.entities import EntityState, unpack
from stream.core.entity_alerts import EntityOutcome, observe
from stream.worker import metrics
from stream.worker.batch import InputEvent, Sink, dead_letter_message, sent_all, until_acknowledged

log = logging.getLogger(__name__)

#: Sightings folded between two turns of the event loop (about 10 ms of work).  The user
#: stage shares the loop, and after a burst one entity batch of packed sightings holds
#: thousands of them: entity batches of up to 0.9 s were measured in the bench, and
#: folded in one go, that is how long every user batch, and so every alert, waited
#: (docs/tuning.md).
YIELD_EVERY = 128

#: Header telling alert consumers an alert is about a shared entity (schema_version 3), not a user.
ALERT_KIND_HEADER = "riskmon-alert-kind"


class EntityStore(Protocol):
    """The entity type's state table (``stream.worker.state_table.EntityTableStore``)."""

    def load(self, entity_ids: list[str]) -> dict[str, EntityState]: ...

    def to_store(self, states: dict[str, EntityState]) -> dict[str, bytes]: ...

    async def write(self, stored: dict[str, bytes], last_event: dict[str, InputEvent]) -> None: ...


class EntityBatchHandler:
    """Runs the protocol above for one entity type."""

    def __init__(self, entity_type: str, alerts: Sink, dead_letters: Sink, store: EntityStore,
                 model: Callable[[], Any], clock: Callable[[], float] = time.time, resend_delay_s: float = 1.0,
                 give_up_s: float | None = None) -> None:
        self.entity_type = entity_type
        self.alerts = alerts
        self.dead_letters = dead_letters
        self.store = store
        self.model = model
        self.clock = clock
        self.resend_delay_s = resend_delay_s
        self.give_up_s = give_up_s  # as the user stage's (``until_acknowledged``)

    async def handle(self, batch: Sequence[InputEvent]) -> None:
        """Fold the batch, or each record alone when that fails (dead-lettering the ones that fail
        again); publish what was folded.  Only folding fails a record: publishing waits for the
        broker, as the user stage does (``stream.worker.batch.until_acknowledged``)."""
        try:
            folded = await self._fold(batch)
        except Exception as exc:  # noqa: BLE001 - one bad sighting must not stop the stream
            log.error("a batch of %d %s sightings failed (%s); retrying them one by one, dead-lettering any that fail",
                      len(batch), self.entity_type, type(exc).__name__)
        else:
            await self._publish(*folded)
            return
        for ev in batch:
            try:
                one = await self._fold([ev])
            except Exception as exc:  # noqa: BLE001
                error = InvalidEvent(PROCESSING_ERROR, f"the monitor failed on this sighting: {type(exc).__name__}: {exc}")
                await until_acknowledged(f"{self.entity_type} dead letters",
                                         sent_all([dead_letter_message(self.dead_letters, ev, error)]),
                                         self.resend_delay_s, self.give_up_s)
                continue
            await self._publish(*one)

    async def _publish(self, outcomes: list[EntityOutcome], stored: dict[str, bytes],
                       last_event: dict[str, InputEvent]) -> None:
        """The alerts (acknowledged), then the states (acknowledged), each until the broker has them."""
        await until_acknowledged(f"{self.entity_type} alerts", sent_all(self._count(outcomes)),
                                 self.resend_delay_s, self.give_up_s)
        await until_acknowledged(f"{self.entity_type} states", lambda: self.store.write(stored, last_event),
                                 self.resend_delay_s, self.give_up_s)

    async def _fold(self, batch: Sequence[InputEvent]
                    ) -> tuple[list[EntityOutcome], dict[str, bytes], dict[str, InputEvent]]:
        """Fold the batch's sightings (alerts decided, nothing sent) and encode the states."""
        parsed = [(s, ev) for ev in batch for s in unpack(ev.value or b"")]
        last_event = {s.entity_id: ev for s, ev in parsed}
        states = self.store.load(list(last_event))
        model = self.model()
        stamp = datetime.fromtimestamp(self.clock(), timezone.utc)
        outcomes: list[EntityOutcome] = []
        for i, (s, _) in enumerate(parsed, 1):
            state = states.get(s.entity_id)
            if state is None:
                state = states[s.entity_id] = EntityState()
            outcomes.append(observe(state, s, model.entity_thresholds, model.version, stamp))
            if i % YIELD_EVERY == 0:
                await asyncio.sleep(0)  # let the user stage's batch run: its alerts wait on this loop
        return outcomes, self.store.to_store(states), last_event

    def _count(self, outcomes: list[EntityOutcome]) -> list[tuple[Sink, dict[str, Any]]]:
        """Count the sightings and alerts; the alerts to send."""
        counts: Counter[str] = Counter()
        alerts: list[tuple[Sink, dict[str, Any]]] = []
        for o in outcomes:
            counts["duplicate" if o.duplicate else "folded"] += 1
            if o.alert is None:
                continue
            labels = (self.entity_type, o.alert["severity"])
            if o.suppressed:
                metrics.ENTITY_ALERTS_SUPPRESSED.labels(*labels).inc()
                continue
            metrics.ENTITY_ALERTS.labels(*labels).inc()
            alerts.append((self.alerts, {"key": o.sighting.entity_id.encode(), "value": orjson.dumps(o.alert),
                                         "headers": [(ALERT_KIND_HEADER, b"entity")]}))
        for result, n in counts.items():
            metrics.ENTITY_SIGHTINGS.labels(self.entity_type, result).inc(n)
        return alerts
