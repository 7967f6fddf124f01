"""The entity stage's batch protocol (stream.worker.entity_batch) and the user stage's forwarding of
sightings (stream.worker.batch), with fakes: what the stream does at each step, without Faust."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

from dataclasses import replace

import orjson
import pytest

from stream.core.contract import parse_document
from stream.core.entities import DAY, EntityState, Sighting, pack, unpack
from stream.core.entity_alerts import EntityThresholds
from stream.core.pipeline import featurize_sighted
from stream.core.routing import partition_for
from stream.worker.batch import Sinks
from stream.worker.entity_batch import ALERT_KIND_HEADER, YIELD_EVERY, EntityBatchHandler
from tests.worker.test_batch import FakeSink, Log, _handler, _message
from tests.worker.test_batch import events, model  # noqa: F401 - pytest fixtures the last test uses

T0 = 1_780_000_000 // DAY * DAY
MODEL = SimpleNamespace(version="m-test", entity_thresholds=EntityThresholds({"device": 4.0, "merchant": 3.0}))


class FakeEntityStore:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.stored: dict[str, bytes] = {}

    def load(self, entity_ids: list[str]) -> dict[str, EntityState]:
        return {k: EntityState.from_bytes(self.stored[k]) for k in entity_ids if k in self.stored}

    def to_store(self, states: dict[str, EntityState]) -> dict[str, bytes]:
        return {k: s.to_bytes() for k, s in states.items()}

    async def write(self, stored: dict[str, bytes], last_event: dict[str, Any]) -> None:
        self.log.append(("write", sorted(stored)))
        self.stored.update(stored)


def _sighting_message(user: int, offset: int, partition: int = 0, entity: str = "d-farm") -> SimpleNamespace:
    s = Sighting("device", entity, f"e-{user}", f"u-{user}", T0 + user * 3600.0, True, False, False, (partition, offset))
    message = SimpleNamespace(topic="sightings", partition=0, offset=offset, timestamp=None, headers=[])
    return SimpleNamespace(key=entity.encode(), value=s.to_bytes(), message=message)


def _entity_handler(log: Log) -> tuple[EntityBatchHandler, FakeSink, FakeSink, FakeEntityStore]:
    alerts, dlq, store = FakeSink("alerts", log), FakeSink("dlq", log), FakeEntityStore(log)
    return EntityBatchHandler("device", alerts, dlq, store, model=lambda: MODEL), alerts, dlq, store


def test_a_farm_alerts_before_its_state_is_written_and_a_replay_changes_nothing() -> None:
    log = Log()
    handler, alerts, _, store = _entity_handler(log)
    batch = [_sighting_message(u, offset=u) for u in range(6)]
    asyncio.run(handler.handle(batch))
    sent = [orjson.loads(m["value"]) for m in alerts.sent]
    assert [("member_of" in a) for a in sent] == [False, True, True]  # tipped at 4; two more named
    assert {u for a in sent for u in a["users"]} == {f"u-{u}" for u in range(6)}
    assert all(m["headers"] == [(ALERT_KIND_HEADER, b"entity")] and m["key"] == b"d-farm" for m in alerts.sent)
    write_at = next(i for i, entry in enumerate(log) if entry[0] == "write")
    assert max(i for i, entry in enumerate(log) if entry[:2] == ("ack", "alerts")) < write_at
    before = dict(store.stored)
    # The user stage replays its batch after a crash: the same sightings, the same input offsets.
    asyncio.run(handler.handle(batch))
    assert store.stored == before and len(alerts.sent) == 3


def test_a_broker_outage_holds_the_entity_batch_and_costs_no_sighting() -> None:
    """As the user stage (finding 21): the alerts topic refuses the first alert and the changelog
    times out twice; the batch sends again until both have everything, nothing is dead-lettered."""
    log = Log()
    handler, alerts, dlq, store = _entity_handler(log)
    handler.resend_delay_s = 0.0
    alerts.refuse_left = 1
    writes_failing = [2]
    write = store.write

    async def flaky(stored, last_event) -> None:
        if writes_failing[0]:
            writes_failing[0] -= 1
            raise TimeoutError("changelog batch expired")
        await write(stored, last_event)

    store.write = flaky  # type: ignore[method-assign]
    batch = [_sighting_message(u, offset=u) for u in range(6)]
    asyncio.run(handler.handle(batch))
    clean_log = Log()
    clean, clean_alerts, _, clean_store = _entity_handler(clean_log)
    asyncio.run(clean.handle(batch))
    assert not dlq.sent and store.stored == clean_store.stored
    ids = [sorted(orjson.loads(m["value"])["alert_id"] for m in sink.sent) for sink in (alerts, clean_alerts)]
    assert ids[0] == ids[1] and len(ids[0]) == 3


def test_a_large_batch_lets_the_loop_run_between_chunks_and_folds_the_same() -> None:
    """The user stage shares the event loop: a batch of many sightings must not hold it for the whole fold
    (it yields every ``YIELD_EVERY`` sightings), and yielding changes nothing that is folded or written."""
    n = 3 * YIELD_EVERY + 5
    batch = [_sighting_message(u, offset=u, entity=f"d-{u % 40}") for u in range(n)]

    async def run(handler: EntityBatchHandler) -> int:
        turns = 0
        done = asyncio.Event()

        async def other_stage() -> None:
            nonlocal turns
            while not done.is_set():
                turns += 1
                await asyncio.sleep(0)

        ticker = asyncio.ensure_future(other_stage())
        await asyncio.sleep(0)
        began = turns
        await handler.handle(batch)
        during = turns - began
        done.set()
        await ticker
        return during

    handler, alerts, _, store = _entity_handler(Log())
    handler.clock = lambda: float(T0)  # alerts carry the time they were raised
    assert asyncio.run(run(handler)) >= n // YIELD_EVERY
    one_go, one_alerts, _, one_store = _entity_handler(Log())
    one_go.clock = handler.clock
    for m in batch:  # the same sightings, one per batch: nothing to yield between
        asyncio.run(one_go.handle([m]))
    assert store.stored == one_store.stored
    assert [m["value"] for m in alerts.sent] == [m["value"] for m in one_alerts.sent]


def test_packed_and_single_records_fold_alike() -> None:
    """A pack (this release's user stage) folds each of its sightings, as the same sightings one per record
    (an older worker's user stage, during a rolling upgrade) do; a batch may hold both."""
    singles = [_sighting_message(u, offset=u) for u in range(6)]
    packed = SimpleNamespace(key=None, value=pack([s for m in singles[:4] for s in unpack(m.value)]),
                             message=SimpleNamespace(topic="sightings", partition=0, offset=0, timestamp=None, headers=[]))
    states = []
    for batch in (singles, [packed, *singles[4:]]):
        log = Log()
        handler, alerts, _, store = _entity_handler(log)
        asyncio.run(handler.handle(batch))
        states.append(store.stored["d-farm"])
        assert [("member_of" in orjson.loads(m["value"])) for m in alerts.sent] == [False, True, True]
    assert states[0] == states[1]


def test_a_sighting_that_cannot_be_read_is_dead_lettered_and_the_rest_go_on() -> None:
    log = Log()
    handler, alerts, dlq, store = _entity_handler(log)
    bad = SimpleNamespace(key=b"d-farm", value=b"{not json", message=SimpleNamespace(
        topic="sightings", partition=0, offset=99, timestamp=None, headers=[]))
    asyncio.run(handler.handle([_sighting_message(u, offset=u) for u in range(2)] + [bad]))
    assert len(dlq.sent) == 1 and orjson.loads(dlq.sent[0]["value"])["reason"] == "processing_error"
    assert EntityState.from_bytes(store.stored["d-farm"]).members == ["u-1", "u-0"]


@pytest.mark.parametrize("packed", [True, False])
def test_the_user_stage_forwards_sightings_with_their_input_offsets_before_writing_states(
    model, events, packed: bool,  # noqa: F811
) -> None:
    """Packed (the default): one record per partition of the through-topic, sent to the partition each of
    its sightings' entity ids hashes to; unpacked (older entity stages in the group): one record per
    sighting, keyed by its entity.  The same sightings either way."""
    log = Log()
    handler, sinks, store = _handler(model, log)
    sightings = FakeSink("sightings", log)
    handler.sinks = Sinks(sinks.alerts, sinks.dead_letters, sinks.input, {"device": sightings}, {"device": 4})
    handler.pack_sightings = packed
    batch = [_message(d, i) for i, d in enumerate(events)]
    asyncio.run(handler.handle(batch))
    with_device = [(m, d) for m, d in zip(batch, events) if d["event_type"] == "loan" and d.get("device_id")
                   and d.get("channel") != "merchant"]
    got = [s for m in sightings.sent for s in unpack(m["value"])]
    assert len(got) == len(with_device) > 0
    if packed:
        assert len(sightings.sent) == len({m["partition"] for m in sightings.sent}) <= 4
        assert all(partition_for(s.entity_id.encode(), 4) == m["partition"]
                   for m in sightings.sent for s in unpack(m["value"]))
    else:
        assert len(sightings.sent) == len(got)
        assert all(m["key"] == s.entity_id.encode() for m, s in zip(sightings.sent, got))
    assert {(s.event_id, s.source) for s in got} == {
        (d["event_id"], (m.message.partition, m.message.offset)) for m, d in with_device}
    # One batch, yet each loan's sighting is read at its own moment, as one event at a time would:
    # a user's later repayment in the same batch must not make an earlier draw look light.
    alone = {s.event_id: s for _, _, seen in featurize_sighted(parse_document(d) for d in events)
             for s in seen if s.entity_type == "device"}
    assert {s.event_id: replace(s, source=None) for s in got} == alone
    assert any(s.heavy for s in got)
    write_at = next(i for i, entry in enumerate(log) if entry[0] == "write")
    assert max(i for i, entry in enumerate(log) if entry[:2] == ("ack", "sightings")) < write_at
