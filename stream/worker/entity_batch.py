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
from typing import Any, Awaitable, Callable, Protocol, Sequence

import orjson

from stream.core.contract import InvalidEvent
from stream.core.dlq import PROCESSING_ERROR
from stream.core.entities import EntityState, unpack
from stream.core.entity_alerts import EntityOutcome, observe
from stream.worker import metrics
from stream.worker.batch import InputEvent, Sink, dead_letter

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

    async def write(self, states: dict[str, EntityState], last_event: dict[str, InputEvent]) -> None: ...


class EntityBatchHandler:
    """Runs the protocol above for one entity type."""

    def __init__(self, entity_type: str, alerts: Sink, dead_letters: Sink, store: EntityStore,
                 model: Callable[[], Any], clock: Callable[[], float] = time.time) -> None:
        self.entity_type = entity_type
        self.alerts = alerts
        self.dead_letters = dead_letters
        self.store = store
        self.model = model
        self.clock = clock

    async def handle(self, batch: Sequence[InputEvent]) -> None:
        try:
            await self._process(batch)
            return
        except Exception as exc:  # noqa: BLE001 - one bad sighting must not stop the stream
            log.error("a batch of %d %s sightings failed (%s); retrying them one by one, dead-lettering any that fail",
                      len(batch), self.entity_type, type(exc).__name__)
        for ev in batch:
            try:
                await self._process([ev])
            except Exception as one:  # noqa: BLE001
                error = InvalidEvent(PROCESSING_ERROR, f"the monitor failed on this sighting: {type(one).__name__}: {one}")
                _, _, delivery = await dead_letter(self.dead_letters, ev, error)
                await delivery

    async def _process(self, batch: Sequence[InputEvent]) -> None:
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
        await self._emit(outcomes)
        await self.store.write(states, last_event)

    async def _emit(self, outcomes: list[EntityOutcome]) -> None:
        counts: Counter[str] = Counter()
        deliveries: list[Awaitable[Any]] = []
        for o in outcomes:
            counts["duplicate" if o.duplicate else "folded"] += 1
            if o.alert is None:
                continue
            labels = (self.entity_type, o.alert["severity"])
            if o.suppressed:
                metrics.ENTITY_ALERTS_SUPPRESSED.labels(*labels).inc()
                continue
            metrics.ENTITY_ALERTS.labels(*labels).inc()
            deliveries.append(await self.alerts.send(
                key=o.sighting.entity_id.encode(), value=orjson.dumps(o.alert),
                headers=[(ALERT_KIND_HEADER, b"entity")],
            ))
        for result, n in counts.items():
            metrics.ENTITY_SIGHTINGS.labels(self.entity_type, result).inc(n)
        if deliveries:
            await asyncio.gather(*deliveries)  # acknowledged before any state is written
