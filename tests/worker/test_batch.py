"""The worker's batch protocol (stream.worker.batch) with fake topics and a fake state store: no Faust, no broker.

What is checked is the delivery guarantee's order: alerts acknowledged before
states are written, dead letters and re-keyed copies acknowledged (re-sent when
refused) before the batch counts as processed, one failing event isolated and
dead-lettered while the others go on, and a replayed batch folded in once.
"""

from __future__ import annotations

import asyncio
import base64
import time
from collections import Counter
from datetime import datetime, timezone
from types import SimpleNamespace
from typing import Any

import orjson
import pytest

from models.model import RiskModel, load, save
from models.train import train
from stream.core import pipeline
from stream.core.admission import Admission
from stream.worker.batch import BatchHandler, Sinks
from stream.core.contract import parse_document
from stream.core.entities import NEW_ACCOUNT_S, unpack
from stream.core.event_time import TimePolicy
from stream.core.features import RECENT_IDS, UserState, first_seen
from stream.core.routing import REKEYED_AFTER_HEADER, REKEYED_FROM_HEADER, partition_for
from stream.core.rules import RuleConfig
from stream.core.state_epoch import StateEpoch
from stream.sim import SimConfig, generate
from tests.support import offline_bytes

PARTITIONS = 4


@pytest.fixture(scope="module")
def model(tmp_path_factory: pytest.TempPathFactory) -> RiskModel:
    history, _ = generate(SimConfig(users=300, days=20, seed=3, user_prefix="hist"))
    out = tmp_path_factory.mktemp("model")
    save(train((parse_document(e) for e in history), seed=7), out)
    return load(out)


@pytest.fixture(scope="module")
def events() -> list[dict]:
    stream, _ = generate(SimConfig(users=60, days=14, seed=5, anomaly_rate=0.3, user_prefix="b"))
    return stream


class Log(list):
    """What happened, in order: ("send", sink, key) / ("ack", sink, key) / ("write", users) / ("forget",)."""


class FakeSink:
    def __init__(self, name: str, log: Log, refuse_first: int = 0) -> None:
        self.name, self.log, self.refuse_left = name, log, refuse_first
        self.sent: list[dict[str, Any]] = []

    async def send(self, **message: Any) -> asyncio.Future:
        self.log.append(("send", self.name, message.get("key")))
        delivery: asyncio.Future = asyncio.get_running_loop().create_future()
        if self.refuse_left:
            self.refuse_left -= 1
            delivery.set_exception(RuntimeError("broker refused"))
        else:
            self.sent.append(message)
            self.log.append(("ack", self.name, message.get("key")))
            delivery.set_result(None)
        return delivery


class FakeStore:
    def __init__(self, log: Log) -> None:
        self.log = log
        self.stored: dict[str, bytes] = {}

    def load(self, user_ids: list[str]) -> dict[str, UserState]:
        return {u: UserState.from_bytes(self.stored[u]) for u in user_ids if u in self.stored}

    def to_store(self, states: dict[str, UserState]) -> dict[str, bytes]:
        return {u: s.to_bytes() for u, s in states.items()}

    async def write(self, states: dict[str, UserState], stored: dict[str, bytes], last_event: dict[str, Any]) -> None:
        self.log.append(("write", sorted(states)))
        self.stored.update(stored)

    def forget_unwritten(self) -> None:
        self.log.append(("forget",))

    def epoch(self, newest: float, unknown_past_s: float) -> StateEpoch:
        epoch = StateEpoch(newest=newest, unknown_past_s=unknown_past_s)
        epoch.scan(first_seen(b) for b in self.stored.values())
        return epoch

    def as_offline(self) -> dict[str, bytes]:
        """The stored states as the offline replay stores them (no input positions)."""
        return {u: offline_bytes(b) for u, b in self.stored.items()}


def _message(doc: dict | bytes | None, offset: int, key: bytes | None | str = "own", partition: int | None = None) -> SimpleNamespace:
    value = doc if isinstance(doc, (bytes, type(None))) else orjson.dumps(doc)
    if key == "own":
        key = doc["user_id"].encode() if isinstance(doc, dict) else b"k"
    home = partition_for(key, PARTITIONS) if key else 0
    message = SimpleNamespace(topic="in", partition=home if partition is None else partition, offset=offset,
                              timestamp=None, headers=[("trace", b"t-1")])
    return SimpleNamespace(key=key, value=value, message=message)


def _handler(model: RiskModel, log: Log, refuse_dead_letters: int = 0,
             rules: RuleConfig = RuleConfig()) -> tuple[BatchHandler, Sinks, FakeStore]:
    sinks = Sinks(FakeSink("alerts", log), FakeSink("dlq", log, refuse_dead_letters), FakeSink("input", log))
    store = FakeStore(log)
    # Stream time: the wall clock, far enough ahead of the simulated calendar but not 90 days.
    admission = Admission(TimePolicy(stale_tolerance_s=0), 64 * 1024, PARTITIONS, "murmur2")
    handler = BatchHandler(sinks, store, model=lambda: model, rules=rules, admission=lambda: admission,
                           suppress_window_s=0.0, resend_delay_s=0.0)
    return handler, sinks, store


def _offline(model: RiskModel, docs: list[dict], rules: RuleConfig | None = None) -> tuple[dict[str, bytes], set[str]]:
    """The offline replay with the rules in force for ``model`` (or exactly ``rules``)."""
    states: dict[str, UserState] = {}
    rules = model.rules(RuleConfig()) if rules is None else rules
    outcomes = pipeline.process(model, rules, states, [parse_document(d) for d in docs], 0.0)
    return {u: s.to_bytes() for u, s in states.items()}, {o.alert["alert_id"] for o in outcomes if o.alert}


def _alert_ids(sink: FakeSink) -> set[str]:
    return {orjson.loads(m["value"])["alert_id"] for m in sink.sent}


def test_a_batch_ends_as_the_offline_replay_with_alerts_acknowledged_before_states(model, events) -> None:
    log = Log()
    handler, sinks, store = _handler(model, log)
    batch = [_message(d, i) for i, d in enumerate(events)]
    asyncio.run(handler.handle(batch))
    states, alert_ids = _offline(model, events)
    assert store.as_offline() == states
    assert alert_ids and _alert_ids(sinks.alerts) == alert_ids
    write_at = next(i for i, entry in enumerate(log) if entry[0] == "write")
    assert all(entry[0] == "ack" for entry in log[write_at - 1 : write_at])
    last_alert_ack = max(i for i, entry in enumerate(log) if entry[:2] == ("ack", "alerts"))
    assert last_alert_ack < write_at, "a state was written before the alerts were acknowledged"
    assert handler.next_offset == {p: 1 + max(m.message.offset for m in batch if m.message.partition == p)
                                   for p in {m.message.partition for m in batch}}


def test_the_worker_scores_with_the_rules_the_model_calibrated_not_the_configured_ones(events) -> None:
    """A rules_file that makes every loan a stacking hit, calibrated at training: the worker
    (configured with the same file) alerts as the offline replay with the model's rules,
    not as the file's raw thresholds would."""
    hot = RuleConfig(stacking_loans_24h=1, stacking_products_7d=1)
    history, _ = generate(SimConfig(users=300, days=20, seed=3, user_prefix="hist"))
    model = train((parse_document(e) for e in history), seed=7, n_estimators=20, rules=hot)
    assert model.rules(hot) != hot
    handler, sinks, _ = _handler(model, Log(), rules=hot)
    asyncio.run(handler.handle([_message(d, i) for i, d in enumerate(events)]))
    sent = _alert_ids(sinks.alerts)
    assert sent == _offline(model, events, model.rules(hot))[1]
    assert sent != _offline(model, events, hot)[1]


def test_a_replayed_batch_is_folded_in_once(model, events) -> None:
    """However many of a user's events the replay holds: more than the state's recent ids, whose
    copies ids alone would not recognise (docs/reliability.md, finding 20)."""
    log = Log()
    handler, sinks, store = _handler(model, log)
    docs = events[:400]
    assert max(Counter(d["user_id"] for d in docs).values()) > RECENT_IDS, "test data: within the id ring"
    batch = [_message(d, i) for i, d in enumerate(docs)]
    asyncio.run(handler.handle(batch))
    first = dict(store.stored)
    asyncio.run(handler.handle(batch))  # a crash before the commit: Kafka delivers it again
    assert store.stored == first
    assert _alert_ids(sinks.alerts) == _offline(model, docs)[1]


def test_refused_dead_letters_are_sent_again_before_the_batch_counts_as_processed(model, events) -> None:
    log = Log()
    handler, sinks, _ = _handler(model, log, refuse_dead_letters=2)
    batch = [_message(b"not json", 0, key=b"x"), _message(None, 1, key=b"x"), _message(events[0], 2)]
    asyncio.run(handler.handle(batch))
    assert sorted(orjson.loads(m["value"])["reason"] for m in sinks.dead_letters.sent) == ["not_json", "null_value"]
    assert [e for e in log if e[1:2] == ("dlq",)].count(("send", "dlq", b"x")) == 4  # two refused, sent again


class FlakyStore(FakeStore):
    """A changelog that times out for its first ``failures`` writes (a leader election, a slow broker)."""

    def __init__(self, log: Log, failures: int) -> None:
        super().__init__(log)
        self.failures = failures

    async def write(self, states: dict[str, UserState], stored: dict[str, bytes], last_event: dict[str, Any]) -> None:
        if self.failures:
            self.failures -= 1
            raise TimeoutError("changelog batch expired")
        await super().write(states, stored, last_event)


@pytest.mark.parametrize("outage", ["changelog", "alerts"])
def test_a_broker_outage_holds_the_batch_and_costs_no_event(model, events, outage: str) -> None:
    """The changelog times out three times, or the alerts topic refuses 40 alerts: the batch waits
    and sends again until the broker has everything (docs/reliability.md, finding 21).  No event is
    dead-lettered, the states and alerts are the offline replay's, and every alert went out once
    acknowledged (the refused ones sent again)."""
    log = Log()
    handler, sinks, store = _handler(model, log)
    if outage == "changelog":
        store = handler.store = FlakyStore(log, failures=3)
    else:
        sinks.alerts.refuse_left = 40
    asyncio.run(handler.handle([_message(d, i) for i, d in enumerate(events)]))
    states, alert_ids = _offline(model, events)
    assert not sinks.dead_letters.sent
    assert store.as_offline() == states
    sent = [orjson.loads(m["value"])["alert_id"] for m in sinks.alerts.sent]
    assert sorted(sent) == sorted(alert_ids) and len(alert_ids) > 40
    assert sum(entry[0] == "write" for entry in log) == 1


def test_a_broker_that_refuses_past_the_session_timeout_stops_the_worker_with_nothing_marked(model, events) -> None:
    """Past the session timeout the group may have given the partitions to another worker, whose
    states a late write would undo: the batch raises (the worker restarts from its last commit),
    nothing is dead-lettered and no offset is marked."""
    log = Log()
    handler, sinks, _ = _handler(model, log)
    handler.store = FlakyStore(log, failures=10**6)
    handler.give_up_s = 0.0
    with pytest.raises(RuntimeError, match="did not take the batch's user states"):
        asyncio.run(handler.handle([_message(d, i) for i, d in enumerate(events[:30])]))
    assert not sinks.dead_letters.sent and handler.next_offset == {}


def test_a_state_that_cannot_be_stored_fails_its_users_events_only(model, events, monkeypatch) -> None:
    """Encoding is part of computing the batch: a state whose bytes cannot be made fails the events
    that made it (dead-lettered, their user's state left as it was), not the write of the others."""
    log = Log()
    handler, sinks, store = _handler(model, log)
    docs = events[:60]
    poisoned = docs[0]["user_id"]
    real = FakeStore.to_store

    def to_store(self, states):
        if poisoned in states:
            raise OverflowError("a value past its field's range")
        return real(self, states)

    monkeypatch.setattr(FakeStore, "to_store", to_store)
    asyncio.run(handler.handle([_message(d, i) for i, d in enumerate(docs)]))
    dead = [orjson.loads(base64.b64decode(orjson.loads(m["value"])["original_b64"]))["event_id"]
            for m in sinks.dead_letters.sent]
    assert sorted(dead) == sorted(d["event_id"] for d in docs if d["user_id"] == poisoned)
    assert store.as_offline() == _offline(model, [d for d in docs if d["user_id"] != poisoned])[0]


def test_a_batch_is_reported_with_the_model_that_scored_it_though_another_came_in_meanwhile(model, events) -> None:
    """The model timer may swap models while a batch waits for the broker; the batch's outcomes
    go to the drift monitors with the model that scored them, which ignore another model's
    (an outside review crashed the worker with two models of different columns: finding 27)."""
    from stream.worker.app import DriftTracker

    log = Log()
    handler, _, store = _handler(model, log)
    in_force: list[Any] = [model]
    handler.model = lambda: in_force[0]
    reported: list[Any] = []
    handler.on_outcomes = lambda outcomes, scored_by: reported.append((outcomes, scored_by))
    write = store.write

    async def swapped_meanwhile(states, stored, last_event) -> None:
        in_force[0] = object()  # another model, swapped in while the changelog write was in flight
        await write(states, stored, last_event)

    store.write = swapped_meanwhile  # type: ignore[method-assign]
    asyncio.run(handler.handle([_message(d, i) for i, d in enumerate(events[:60])]))
    ((outcomes, scored_by),) = reported
    assert scored_by is model
    tracker = DriftTracker(model, window=1000)
    tracker.observe(outcomes, object())
    assert all(m.rows == 0 for m in tracker.monitors.values())
    tracker.observe(outcomes, model)
    assert sum(m.rows for m in tracker.monitors.values()) == sum(o.decision is not None for o in outcomes)


def test_an_event_the_monitor_fails_on_is_dead_lettered_and_the_others_go_on(model, events, monkeypatch) -> None:
    log = Log()
    handler, sinks, store = _handler(model, log)
    poison = events[3]["event_id"]
    real = pipeline.process

    def failing(model, rules, states, batch, *args, **kwargs):
        if any(e.event_id == poison for e in batch):
            raise ZeroDivisionError("boom")
        return real(model, rules, states, batch, *args, **kwargs)

    monkeypatch.setattr("stream.worker.batch.process", failing)
    asyncio.run(handler.handle([_message(d, i) for i, d in enumerate(events[:20])]))
    (dead,) = [orjson.loads(m["value"]) for m in sinks.dead_letters.sent]
    assert dead["reason"] == "processing_error" and "ZeroDivisionError" in dead["error"]
    assert ("forget",) in log
    expected, _ = _offline(model, [d for d in events[:20] if d["event_id"] != poison])
    assert store.as_offline() == expected


def test_a_keyless_event_is_sent_on_to_its_users_partition_not_scored_here(model, events) -> None:
    log = Log()
    handler, sinks, store = _handler(model, log)
    doc = events[0]
    home = partition_for(doc["user_id"].encode(), PARTITIONS)
    batch = [_message(doc, 7, key=None), _message(doc, 8, key=doc["user_id"].encode(), partition=(home + 1) % PARTITIONS)]
    asyncio.run(handler.handle(batch))
    assert store.stored == {} and not sinks.alerts.sent
    for copy, source in zip(sinks.input.sent, batch):
        assert copy["key"] == doc["user_id"].encode() and copy["partition"] == home
        assert copy["value"] == source.value
        assert ("trace", b"t-1") in copy["headers"]
        assert (REKEYED_FROM_HEADER, f"in:{source.message.partition}:{source.message.offset}".encode()) in copy["headers"]
        assert (REKEYED_AFTER_HEADER, b"") in copy["headers"]  # each the first of its user and partition



class Partitions:
    """The input topic's partitions as logs: the next offset of each (originals and copies alike)."""

    def __init__(self) -> None:
        self.next: Counter[int] = Counter()

    def append(self, partition: int) -> int:
        self.next[partition] += 1
        return self.next[partition] - 1

    def keyless(self, docs: list[dict], block: int = 7) -> list[SimpleNamespace]:
        """``docs`` sent without keys as a sticky partitioner sends them: blocks on partitions 0 and 1."""
        return [_message(d, self.append((i // block) % 2), key=None, partition=(i // block) % 2)
                for i, d in enumerate(docs)]

    def arrived(self, copies: list[dict[str, Any]]) -> list[SimpleNamespace]:
        """The copies a handler sent, as the messages the broker appended them as, in send order."""
        return [SimpleNamespace(key=c["key"], value=c["value"], message=SimpleNamespace(
            topic="in", partition=c["partition"], offset=self.append(c["partition"]), timestamp=None,
            headers=c["headers"])) for c in copies]


def _forward_and_fold(handler: BatchHandler, sinks: Sinks, partitions: Partitions, batch: list) -> None:
    """The batch read from the originals' partitions, then its copies from their users' partitions."""
    sent = len(sinks.input.sent)
    asyncio.run(handler.handle(batch))
    asyncio.run(handler.handle(partitions.arrived(sinks.input.sent[sent:])))


def test_re_keyed_copies_sent_again_after_a_crash_are_folded_in_once(model, events) -> None:
    """A producer without keys: every event comes as a copy.  The forwarder crashes before its
    commit, its successor reads the originals again and sends new copies (new messages at new
    offsets) for users with more events than the state's recent ids: each is recognised by where
    its original sat, the states and alerts end as one offline pass leaves them."""
    handler, sinks, store = _handler(model, Log())
    docs = events[:400]
    assert max(Counter(d["user_id"] for d in docs).values()) > RECENT_IDS, "test data: within the id ring"
    partitions = Partitions()
    originals = partitions.keyless(docs)
    _forward_and_fold(handler, sinks, partitions, originals)
    first = dict(store.stored)
    offline_states, offline_alerts = _offline(model, docs)
    assert store.as_offline() == offline_states
    _forward_and_fold(handler, sinks, partitions, originals)  # the crash: the originals read again
    assert store.stored == first
    assert _alert_ids(sinks.alerts) == offline_alerts


def test_a_copy_refused_and_sent_again_after_later_ones_is_not_lost(model, events) -> None:
    """The broker refuses the batch's first copies and takes the rest: the refused ones are sent
    again and reach the users' partitions after copies of later originals.  Nothing is dropped as
    folded: a state counts a partition's copies as folded only through an unbroken chain."""
    log = Log()
    handler, sinks, store = _handler(model, log)
    sinks = handler.sinks = Sinks(sinks.alerts, sinks.dead_letters, FakeSink("input", log, refuse_first=25))
    docs = events[:200]
    partitions = Partitions()
    originals = partitions.keyless(docs)
    _forward_and_fold(handler, sinks, partitions, originals)
    resent_last = [dict(c["headers"])[REKEYED_FROM_HEADER] for c in sinks.input.sent[-25:]]
    assert resent_last == [f"in:{m.message.partition}:{m.message.offset}".encode() for m in originals[:25]]
    arrival_order = [orjson.loads(c["value"]) for c in sinks.input.sent]
    assert store.as_offline() == _offline(model, arrival_order)[0]


def test_records_a_rescale_moved_are_skipped_here_and_counted_as_processed(model, events) -> None:
    """riskmon rescale copied them to their key's new partition, where they are scored (stream.core.rescale)."""
    log = Log()
    handler, sinks, store = _handler(model, log)
    handler.moved = lambda partition, offset, key: offset < 5
    batch = [_message(d, i) for i, d in enumerate(events[:10])]
    asyncio.run(handler.handle(batch))
    assert store.as_offline() == _offline(model, events[5:10])[0]
    assert not sinks.input.sent and not sinks.dead_letters.sent
    assert handler.next_offset == {p: 1 + max(m.message.offset for m in batch if m.message.partition == p)
                                   for p in {m.message.partition for m in batch}}


@pytest.mark.parametrize("lateness", [True, False])
def test_lateness_sightings_are_held_back_while_older_workers_may_fold_them(model: RiskModel, lateness: bool) -> None:
    """A merchant loan and a repayment 20 days late into it: the merchant's through-topic gets the
    loan's sighting and the lateness sighting, or during a rolling upgrade's first bounce (older
    entity stages would read a lateness sighting as a loan) the loan's alone."""
    log: Log = []
    handler, sinks, _ = _handler(model, log)
    sinks.sightings["merchant"] = FakeSink("merchant-sightings", log)
    handler.lateness_sightings = lateness
    day = 86400
    when = lambda ago: datetime.fromtimestamp(time.time() - ago * day, timezone.utc).isoformat(timespec="seconds")  # noqa: E731
    loan = {"event_id": "e-m-1", "event_type": "loan", "user_id": "u-m", "ts": when(25),
            "amount": 300.0, "loan_id": "l-m-1", "product": "credit_line", "term_days": 1, "credit_limit": 3000,
            "segment": "individual", "channel": "merchant", "merchant_id": "m-till"}
    late = {"event_id": "r-m-1", "event_type": "repayment", "user_id": "u-m", "ts": when(3),
            "amount": 300.0, "loan_id": "l-m-1", "days_late": 20}
    asyncio.run(handler.handle([_message(loan, 0), _message(late, 1)]))
    sent = [s for m in sinks.sightings["merchant"].sent for s in unpack(m["value"])]
    assert [(s.event_id, s.late_days) for s in sent] == [("e-m-1", 0), ("r-m-1", 20)][: 2 if lateness else 1]


def test_a_worker_started_without_state_calls_an_account_new_only_past_its_first_fourteen_days(model: RiskModel) -> None:
    """Four borrowers share a tablet when the worker first starts: established, for all it knows
    (``stream.core.state_epoch``), across batches and as its table recovers them.  A stranger on
    the tablet three weeks later is new."""
    log: Log = []
    handler, sinks, store = _handler(model, log)
    sinks.sightings["device"] = FakeSink("device-sightings", log)
    day = 86400
    start = time.time() - 30 * day
    when = lambda d: datetime.fromtimestamp(start + d * day, timezone.utc).isoformat(timespec="seconds")  # noqa: E731

    def loan(user: str, d: float) -> dict:
        return {"event_id": f"e-{user}-{d}", "event_type": "loan", "user_id": user, "ts": when(d), "amount": 100.0,
                "loan_id": f"l-{user}-{d}", "product": "cash_loan", "term_days": 30, "credit_limit": 3000,
                "segment": "individual", "channel": "app", "device_id": "d-tablet"}

    docs = [loan(f"u-{k}", k) for k in range(4)] + [loan(f"u-{k}", 10 + k) for k in range(4)] + [loan("u-new", 21)]
    for offset, doc in enumerate(docs):  # one batch each: the epoch outlives a batch
        asyncio.run(handler.handle([_message(doc, offset)]))
    sent = {s.user_id: s.new_account for m in sinks.sightings["device"].sent for s in unpack(m["value"])}
    assert sent == {"u-0": False, "u-1": False, "u-2": False, "u-3": False, "u-new": True}
    assert store.epoch(0.0, NEW_ACCOUNT_S).start == int(start)  # no newest: nothing settles, the full min


def test_an_alerts_reasons_do_not_depend_on_how_the_events_are_batched(model, events) -> None:
    """A batch's alerts are explained together (``scoring.model_reasons``): cut into batches of 7,
    every alert names the same reasons, weights included, as when all come in one batch."""
    def reasons(size: int) -> dict[str, list]:
        handler, sinks, _ = _handler(model, Log())
        messages = [_message(d, i) for i, d in enumerate(events)]
        for start in range(0, len(messages), size):
            asyncio.run(handler.handle(messages[start:start + size]))
        return {a["alert_id"]: a["reasons"] for a in (orjson.loads(m["value"]) for m in sinks.alerts.sent)}

    whole, cut = reasons(len(events)), reasons(7)
    assert whole and whole == cut
    assert sum(1 for rs in whole.values() for r in rs if "feature" in r) >= 3
