"""What real producers send: the official Java client against the real worker.

Real producer fleets use the Apache Kafka Java client: record batches
compressed with gzip, snappy, lz4 or zstd, null values (tombstones), records
without a key, headers, long keys, and clocks that are sometimes wrong.  These
tests send exactly that with tests/java/PlanProducer.java (kafka-clients 4.0)
and judge the worker as the fault tests do (tests/faults_support.py): against
the offline replay of the same events.

* ``test_codec``: ~100 valid events per codec, one worker run for all five
  codecs (each codec's users are its own), one test result per codec.
* ``test_java_fleet_mixed_kill9``: a simulated stream round-robin over all codecs
  with keyless, mis-keyed (some with 4-16 KB keys) and wrong-partition events of
  dedicated users, tombstones, headers, contract-breaking messages and two
  skewed-clock evasions (a loan dated 2200 or 1990 before a borrowing burst),
  the worker killed with SIGKILL a third of the way through and restarted.
"""

from __future__ import annotations

import base64
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import orjson
import pytest
from kafka.partitioner import murmur2

from stream.core.alerts import ALERT_SCHEMA_VERSION
from stream.core.contract import REASON_CODES, InvalidEvent, parse_event
from stream.core.features import UserState
from stream.settings import Settings
from stream.sim.retime import retime
from stream.kafka.topics import delete_topics, ensure_topics
from tests import java_producer as jp
from tests.conftest import free_ports
from tests.faults_support import (
    Expectation,
    Workers,
    assert_same_as_offline,
    changelog_topic,
    commits_caught_up,
    describe_progress,
    fresh_settings,
    http_status,
    kill9,
    offline_expectation,
    partition_offsets,
    processed,
    sim_events,
    state_mismatches,
    train_model,
    wait_until,
)
from tests.support import decode_dlq, metric_sum, offline_bytes, read_records, scrape

pytestmark = [pytest.mark.kafka, pytest.mark.slow]

CODECS = jp.CODECS
REKEYED = "riskmon_events_rekeyed_total"
INVALID = "riskmon_events_invalid_total"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return train_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def producer_classes(kafka_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """PlanProducer compiled once (fails, never skips, without a JDK or the client jars)."""
    return jp.compile_producer(tmp_path_factory.mktemp("plan-producer"), kafka_settings)


# --------------------------------------------------------------------------- reading topics with partitions/offsets/headers


def partition_of(user_id: str, partitions: int) -> int:
    """The Java client's default partition for key ``user_id`` (murmur2, as every Kafka client)."""
    return (murmur2(user_id.encode()) & 0x7FFFFFFF) % partitions


def by_label(samples: dict[str, float], name: str, label: str = "reason") -> dict[str, float]:
    """{label value: sample} of a labelled counter (zeros dropped)."""
    out: dict[str, float] = {}
    for key, value in samples.items():
        if key.startswith(name + "{") and value:
            labels = dict(part.split("=", 1) for part in key[len(name) + 1:-1].split(","))
            out[labels[label].strip('"')] = out.get(labels[label].strip('"'), 0.0) + value
    return out


def mismatches(got: dict[str, bytes], expected: dict[str, bytes]) -> list[str]:
    """Users whose last changelog state differs from the offline one (missing included)."""
    missing = sorted(set(expected) - set(got))
    differ = sorted(u for u in set(expected) & set(got) if offline_bytes(got[u]) != expected[u])
    problems = []
    if missing:
        problems.append(f"{len(missing)} of {len(expected)} users missing from the changelog, e.g. {missing[:3]}")
    if differ:
        detail = []
        for u in differ[:3]:
            g, e = UserState.from_bytes(got[u]), UserState.from_bytes(expected[u])
            detail.append(f"{u}: loans/repayments {g.n_loans}/{g.n_repayments} vs offline {e.n_loans}/{e.n_repayments}")
        problems.append(f"{len(differ)} users with state != offline replay, e.g. {'; '.join(detail)}")
    return problems


def merged(expectations: list[Expectation]) -> Expectation:
    """One expectation for disjoint sets of users."""
    states: dict[str, bytes] = {}
    for e in expectations:
        states.update(e.states)
    return Expectation(states=states, alert_ids=set().union(*(e.alert_ids for e in expectations)),
                       scored=sum(e.scored for e in expectations), duplicates=sum(e.duplicates for e in expectations),
                       suppressed=sum(e.suppressed for e in expectations))


def lag_is_zero(port: int) -> bool:
    lag = [v for k, v in scrape(port).items() if k.startswith("riskmon_consumer_lag_messages{")]
    return bool(lag) and sum(lag) == 0


# --------------------------------------------------------------------------- (a) each codec


@dataclass
class CodecRun:
    """One worker run over five groups of users, each group sent with its own codec."""

    events: dict[str, list[dict]]
    expected: dict[str, Expectation]
    summary: dict | None = None
    states: dict[str, bytes] = field(default_factory=dict)
    alerts: list[dict] = field(default_factory=list)
    dlq: list[dict] = field(default_factory=list)
    problem: str = ""  # why the run did not finish, for every codec's failure message


@pytest.fixture(scope="module")
def codec_run(kafka_settings: Settings, model_dir: Path, producer_classes: Path,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[CodecRun]:
    tmp = tmp_path_factory.mktemp("codecs")
    (port,) = free_ports(1)
    settings = fresh_settings(kafka_settings, uuid.uuid4().hex[:10], model_dir=model_dir, data_dir=tmp / "worker",
                              metrics_port=port)
    ensure_topics(settings)
    events = retime(sim_events(users=170, days=14, seed=41, prefix="jc"))  # retime: a no-op if already moved
    users = sorted({e["user_id"] for e in events})
    codec_of = {u: CODECS[i % len(CODECS)] for i, u in enumerate(users)}
    groups = {c: [e for e in events if codec_of[e["user_id"]] == c] for c in CODECS}
    run = CodecRun(groups, {c: offline_expectation(model_dir, groups[c], settings.suppress_window_s) for c in CODECS})
    everything = merged(list(run.expected.values()))
    # One codec after another (each user's events in order, in one codec's batches).
    plan = jp.write_plan(tmp / "plan.jsonl", (jp.record(c, e["user_id"], orjson.dumps(e)) for c in CODECS for e in groups[c]))
    log = tmp / "worker.log"
    workers = Workers()
    try:
        worker = workers.start(settings, log)
        wait_until(lambda: http_status(port, "/ready") == 200, 60, "worker ready", [log], [worker])
        try:
            run.summary = jp.send(settings, settings.input_topic, plan, classes=producer_classes)
            wait_until(lambda: lag_is_zero(port) and not state_mismatches(settings, everything), 90,
                       "every codec's events processed, state == offline", [log], [worker],
                       describe=describe_progress(settings, everything, port))
        except AssertionError as exc:  # reported by each codec's test, which names the codec
            run.problem = f"\nthe run did not finish: {exc}"
    finally:
        workers.close()
    try:
        run.states = {r.key.decode(): r.value for r in read_records(settings, changelog_topic(settings))
                      if r.key is not None and r.value is not None}
        run.alerts = [orjson.loads(r.value) for r in read_records(settings, settings.alerts_topic)]
        run.dlq = [orjson.loads(r.value) for r in read_records(settings, settings.dlq_topic)]
        if run.dlq:
            run.problem += f"\ndead letters of the run: {dict(Counter(d['reason'] for d in run.dlq))}, e.g. {run.dlq[0]['error']}"
        yield run
    finally:
        delete_topics(settings, [settings.input_topic, settings.alerts_topic, settings.dlq_topic,
                                 changelog_topic(settings)])


@pytest.mark.parametrize("codec", CODECS)
def test_codec(codec_run: CodecRun, codec: str) -> None:
    run, events, expected = codec_run, codec_run.events[codec], codec_run.expected[codec]
    assert 60 <= len(events) <= 160 and len(expected.states) >= 20, f"{codec}: test data ({len(events)} events)"
    assert run.summary is not None, f"{codec}: the Java producer did not finish{run.problem}"
    assert run.summary["by_codec"].get(codec) == len(events), f"{codec}: producer summary {run.summary}"
    rate = run.summary["compression_rate"][codec]
    if codec == "none":
        assert rate == 1.0, f"uncompressed batches report compression rate {rate}"
    else:
        assert rate < 0.9, f"{codec}: the producer's batches were not compressed (compression-rate-avg {rate})"
    problems = mismatches(run.states, expected.states)
    assert not problems, f"{codec}-compressed events: {'; '.join(problems)}{run.problem}"
    got = {a["alert_id"] for a in run.alerts if a["schema_version"] == ALERT_SCHEMA_VERSION and a["user_id"] in expected.states}
    assert got == expected.alert_ids, (
        f"{codec}-compressed events: alert ids differ from the offline replay: {len(got - expected.alert_ids)} "
        f"unexpected, {len(expected.alert_ids - got)} missing{run.problem}")
    dead = [d for d in run.dlq if d["key_b64"] and base64.b64decode(d["key_b64"]).decode(errors="replace") in expected.states]
    assert not dead, f"{codec}-compressed events: {len(dead)} valid events dead-lettered{run.problem}"


# --------------------------------------------------------------------------- (b) the mixed fleet, kill -9


@dataclass
class Reject:
    """A message the worker must dead-letter: reason, message key and original bytes."""

    reason: str
    key: bytes | None
    original: bytes


@dataclass
class Mix:
    plan: list[dict]  # plan lines, in send order
    valid: list[dict]  # every contract-valid event sent, in send order (skewed ones included)
    rejects: list[Reject]
    rekey: dict[str, list[tuple[str, dict]]]  # reason -> [(user_id, event)] of the messages to be re-keyed
    headers: dict[bytes, dict[str, str]]  # value -> headers sent with it
    skew_future: str = "jv-skew-future"
    skew_past: str = "jv-skew-past"


CHUNK = 40  # plan lines per codec chunk (round-robin over the five codecs)


def _tz8(ts: str) -> datetime:
    return datetime.fromisoformat(ts).astimezone(timezone(timedelta(hours=8)))


def _loan(user: str, n: int, ts: str, amount: float, product: str, channel: str, limit: float = 10_000.0) -> dict:
    return {"event_id": f"e-{user}-{n}", "event_type": "loan", "user_id": user, "ts": ts, "amount": amount,
            "currency": "CNY", "loan_id": f"l-{user}-{n}", "product": product, "term_days": 30,
            "credit_limit": limit, "credit_score": 690, "segment": "individual", "purpose": "consumption",
            "channel": channel, "device_id": f"d-{user}"}


def _invalid_messages(now_ts: str, max_bytes: int) -> list[tuple[bytes | None, bytes]]:
    """(key, value) of contract-breaking messages; values unique, keys equal user_id where there is one."""
    base = _loan("jv-bad-u", 0, now_ts, 100.0, "cash_loan", "app")

    def doc(i: int, **changes) -> tuple[bytes, bytes]:
        d = {**base, "user_id": f"jv-bad-u{i}", "event_id": f"e-jv-bad-{i}", **changes}
        d = {k: v for k, v in d.items() if v is not None}
        return f"jv-bad-u{i}".encode(), orjson.dumps(d)

    return [
        (b"jv-bad-0", b"this is not json {"),
        (None, b"{{ keyless garbage"),
        (b"jv-bad-2", b"\xff\xfe not utf-8 at all"),
        (b"jv-bad-3", b'["jv", 3]'),
        (b"jv-bad-4", b"null"),
        doc(5, amount=None),  # missing_field
        doc(6, amount="12"),  # wrong_type
        doc(7, amount=-5),  # out_of_range
        doc(8, currency="USD"),  # out_of_range
        doc(9, ts="yesterday"),  # bad_format
        doc(10, event_type="refund"),  # unknown_event_type
        doc(11, term_days=0),  # out_of_range
        doc(12, pad="x" * (max_bytes + 1000)),  # too_large
    ]


def build_mix(partitions: int, max_bytes: int) -> Mix:
    rng = random.Random(4242)
    # 400 users: over 1,000 valid events, so the offline replay's stream time (the 0.1-99.9 % span of the
    # file's event times, stream.core.event_time) leaves out the one 2200 and the one 1990 loan, as the worker does.
    events = retime(sim_events(users=400, days=14, seed=42, prefix="jv"))  # retime: a no-op if already moved
    newest = max(_tz8(e["ts"]) for e in events)
    loans = [i for i, e in enumerate(events) if e["event_type"] == "loan"]
    normal_users = sorted({e["user_id"] for e in events})

    # Items: (position in the simulated stream, kind, key, value, headers, explicit partition, valid event or None).
    # Extras go right after a simulated event, so their times fit the stream around them.
    extras: list[tuple[float, str, bytes | None, bytes | None, dict | None, int | None, dict | None]] = []
    rekey: dict[str, list[tuple[str, dict]]] = {"no_key": [], "key_mismatch": [], "wrong_partition": []}
    headers_of: dict[bytes, dict[str, str]] = {}

    def dedicated(kind: str, i: int, at: int) -> dict:
        src = events[at]
        user = f"jv-{kind}-{i}"
        return {**src, "user_id": user, "event_id": f"e-{user}", "loan_id": f"l-{user}", "device_id": f"d-{user}"}

    spots = rng.sample(loans, 40)
    for i in range(14):  # keyless: the sticky partitioner puts them anywhere
        ev = dedicated("nk", i, spots[i])
        hdrs = {"trace-id": f"t-nk-{i}", "producer": "java-fleet"} if i % 3 == 0 else None
        value = orjson.dumps(ev)
        if hdrs:
            headers_of[value] = hdrs
        extras.append((spots[i] + 0.5, "nokey", None, value, hdrs, None, ev))
        rekey["no_key"].append((ev["user_id"], ev))
    for i in range(16):  # mis-keyed: another user's id, a stray id, or a 4-16 KB key
        ev = dedicated("mk", i, spots[14 + i])
        if i < 4:
            key = bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(4096 * (i + 1)))
        elif i < 10:
            key = rng.choice(normal_users).encode()
        else:
            key = f"acct-{i}".encode()
        hdrs = {"trace-id": f"t-mk-{i}"} if i % 4 == 1 else None
        value = orjson.dumps(ev)
        if hdrs:
            headers_of[value] = hdrs
        extras.append((spots[14 + i] + 0.5, "miskey", key, value, hdrs, None, ev))
        rekey["key_mismatch"].append((ev["user_id"], ev))
    for i in range(6):  # right key, explicitly sent to another partition
        ev = dedicated("wp", i, spots[30 + i])
        wrong = (partition_of(ev["user_id"], partitions) + 1 + i % (partitions - 1)) % partitions
        extras.append((spots[30 + i] + 0.5, "wrongpart", ev["user_id"].encode(), orjson.dumps(ev), None, wrong, ev))
        rekey["wrong_partition"].append((ev["user_id"], ev))

    # Headers on ordinary events of ordinary users: processed as usual.
    with_headers = set(rng.sample(range(len(events)), 40))

    rejects: list[Reject] = []
    # Tombstones: unique keys, ordinary users' keys, and one without a key.
    tomb_keys: list[bytes | None] = [f"jv-tomb-{i}".encode() for i in range(3)]
    tomb_keys += [u.encode() for u in rng.sample(normal_users, 3)] + [None]
    for i, key in enumerate(tomb_keys):
        at = (i + 1) * len(events) / (len(tomb_keys) + 1)
        extras.append((at, "tombstone", key, None, None, None, None))
        rejects.append(Reject("null_value", key, b""))
    for i, (key, value) in enumerate(_invalid_messages(newest.isoformat(), max_bytes)):
        try:
            parse_event(value, max_bytes=max_bytes)
        except InvalidEvent as exc:
            reason = exc.code
        else:
            raise AssertionError(f"test data: invalid message {i} parses")
        assert reason in REASON_CODES and reason != "key_mismatch", reason
        extras.append(((i + 0.3) * len(events) / 13, "invalid", key, value, None, None, None))
        rejects.append(Reject(reason, key, value))

    # The skewed-clock evasion and its twin in the past: one loan dated far away, then a
    # burst of 8 loans within two hours totalling 160 % of the limit at ordinary times.
    products, channels = ("cash_loan", "credit_line", "installment"), ("app", "web")
    for user, skew_ts, reason in (("jv-skew-future", "2200-01-01T00:00:00+08:00", "future_ts"),
                                  ("jv-skew-past", "1990-01-01T00:00:00+08:00", "stale_ts")):
        skewed = _loan(user, 0, skew_ts, 800.0, "cash_loan", "app")
        extras.append((len(events) * 0.2, "skew", user.encode(), orjson.dumps(skewed), None, None, skewed))
        rejects.append(Reject(reason, user.encode(), orjson.dumps(skewed)))
        start = newest - timedelta(hours=5)
        for k in range(8):
            ev = _loan(user, k + 1, (start + timedelta(minutes=15 * k)).isoformat(), 2000.0, products[k % 3],
                       channels[k % 2])
            extras.append((len(events) * (0.5 + 0.05 * k), "burst", user.encode(), orjson.dumps(ev), None, None, ev))

    items = [(float(i), "sim", e["user_id"].encode(), orjson.dumps(e),
              {"trace-id": f"t-{i}", "content-type": "application/json"} if i in with_headers else None, None, e)
             for i, e in enumerate(events)]
    items += extras
    items.sort(key=lambda item: item[0])  # stable: an extra after the event it copies
    plan, valid = [], []
    for n, (_, kind, key, value, hdrs, partition, ev) in enumerate(items):
        plan.append(jp.record(CODECS[(n // CHUNK) % len(CODECS)], key, value, hdrs, partition=partition))
        if hdrs and kind == "sim":
            headers_of[value] = hdrs
        if ev is not None:
            valid.append(ev)
    return Mix(plan, valid, rejects, rekey, headers_of)


def test_java_fleet_mixed_kill9(unique_topics: Settings, model_dir: Path, producer_classes: Path, tmp_path: Path) -> None:
    (port,) = free_ports(1)
    settings = unique_topics.replace(model_dir=model_dir, data_dir=tmp_path / "worker", metrics_port=port)
    parts = settings.partitions
    mix = build_mix(parts, settings.max_message_bytes)
    expected = offline_expectation(model_dir, mix.valid, settings.suppress_window_s)
    x, y = mix.skew_future, mix.skew_past
    # The test data means what it says: offline, the skewed loans are refused and the bursts alert.
    burst_alerts: dict[str, set[str]] = {}
    for user in (x, y):
        offline = UserState.from_bytes(expected.states[user])
        assert (offline.n_loans, offline.n_repayments) == (8, 0), (
            f"offline replay of {user}: {offline.n_loans} loans, expected the 8 of the burst (the skewed one refused)")
        burst = [e for e in mix.valid if e["user_id"] == user and not e["ts"].startswith(("2200-", "1990-"))]
        burst_alerts[user] = offline_expectation(model_dir, burst, settings.suppress_window_s).alert_ids
        assert burst_alerts[user], f"test data: the burst of {user} does not alert offline"
        assert burst_alerts[user] <= expected.alert_ids, f"offline replay: the skewed loan changed {user}'s alerts"
    assert sorted(expected.refused_time.values()) == ["future_ts", "stale_ts"], expected.refused_time
    rekeyed_users = {u for pairs in mix.rekey.values() for u, _ in pairs}
    assert all(sum(1 for e in mix.valid if e["user_id"] == u) == 1 for u in rekeyed_users)
    plan = jp.write_plan(tmp_path / "plan.jsonl", mix.plan)
    n_valid = len(mix.valid)

    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    workers = Workers()
    producer = None
    try:
        first = workers.start(settings, logs[0])
        wait_until(lambda: http_status(port, "/ready") == 200, 60, "first worker ready", logs[:1], [first])
        # A 100 ms linger: each 40-line codec chunk (0.1 s at 400/s) leaves in multi-record batches that compress.
        producer = jp.start(settings, settings.input_topic, plan, rate=400.0, classes=producer_classes, linger_ms=100)
        wait_until(lambda: processed(port) >= n_valid // 3, 60, "a third of the events processed", logs[:1], [first])
        before_kill = processed(port)
        kill9(first)
        t_kill = datetime.now(timezone.utc)
        assert before_kill < n_valid, "the worker finished before it could be killed mid-stream"
        committed = partition_offsets(settings)
        assert committed is not None, "group offsets unreadable after the kill"

        second = workers.start(settings, logs[1])
        wait_until(lambda: http_status(port, "/ready") == 200, 90, "restarted worker ready", logs[1:], [second])
        summary = producer.wait(120)
        wait_until(lambda: lag_is_zero(port) and not state_mismatches(settings, expected), 120,
                   "all processed after the restart, state == offline", logs[1:], [second],
                   describe=describe_progress(settings, expected, port))
        samples = scrape(port)
        health = (http_status(port, "/healthy"), http_status(port, "/ready"))
        stuck = commits_caught_up(settings)
    finally:
        if producer is not None:
            producer.stop()
        workers.close()

    assert summary["sent"] == len(mix.plan) and set(summary["by_codec"]) == set(CODECS), summary
    assert all(summary["compression_rate"][c] < 0.9 for c in CODECS if c != "none"), summary

    # Every valid event processed once (re-keyed users included); alert ids == offline.
    counts = assert_same_as_offline(settings, expected)
    assert samples["riskmon_state_users"] == counts["users"]

    # Each user's state lives on the user's own partition only: nothing was scored where it landed.
    changelog = read_records(settings, changelog_topic(settings))
    homes: dict[str, set[int]] = {}
    for r in changelog:
        if r.key is not None and r.value is not None:
            homes.setdefault(r.key.decode(), set()).add(r.partition)
    astray = {u: sorted(p) for u, p in homes.items() if p != {partition_of(u, parts)}}
    assert not astray, f"{len(astray)} users' state written on other partitions than their own, e.g. {list(astray.items())[:3]}"
    last = {r.key.decode(): r.value for r in changelog if r.key is not None and r.value is not None}
    for user in sorted(rekeyed_users):
        state = UserState.from_bytes(last[user])
        assert state.n_loans + state.n_repayments == 1, f"re-keyed user {user}: {state.n_loans} loans, {state.n_repayments} repayments"

    # The skewed loans are not in any state; the bursts alerted.
    for user in (x, y):
        state = UserState.from_bytes(last[user])
        assert (state.n_loans, state.n_repayments) == (8, 0), f"{user}: {state.n_loans} loans in state, the burst has 8"
    alerts = [orjson.loads(r.value) for r in read_records(settings, settings.alerts_topic)]
    for user in (x, y):
        got = {a["alert_id"] for a in alerts if a["schema_version"] == ALERT_SCHEMA_VERSION and a["user_id"] == user}
        assert got and got == burst_alerts[user], (
            f"burst after a skewed loan of {user}: alerts {sorted(got)}, offline {sorted(burst_alerts[user])}")

    # Every rejected message is on the dead-letter topic with its reason and original bytes, and nothing else is.
    dlq = [orjson.loads(r.value) for r in read_records(settings, settings.dlq_topic)]
    found: Counter[tuple[str, bytes | None, bytes]] = Counter()
    for record in dlq:
        original = b"" if record.get("original_b64") in ("", None) else decode_dlq(orjson.dumps(record))[1]
        key = None if record.get("key_b64") is None else base64.b64decode(record["key_b64"])
        found[record["reason"], key, original] += 1
    wanted = Counter((r.reason, r.key, r.original) for r in mix.rejects)
    missing = [(reason, key, original[:60]) for (reason, key, original) in wanted if found[reason, key, original] < 1]
    assert not missing, f"{len(missing)} rejected messages not on the DLQ (reason, key, original): {missing[:5]}"
    unexpected = [(reason, key, original[:80]) for (reason, key, original) in found if (reason, key, original) not in wanted]
    assert not unexpected, f"{len(unexpected)} unexpected dead letters (reason, key, original): {unexpected[:5]}"

    # The restarted worker counted exactly the dead letters it wrote (rejected_at after the kill).
    after_kill = Counter(r["reason"] for r in dlq if datetime.fromisoformat(r["rejected_at"]) > t_kill)
    assert by_label(samples, INVALID) == {k: float(v) for k, v in after_kill.items()}, (
        f"restarted worker's {INVALID} {by_label(samples, INVALID)} != its dead letters {dict(after_kill)}")

    # Keyless, mis-keyed and wrong-partition messages were re-produced with key = user_id to
    # the user's partition, value and headers unchanged.
    records = read_records(settings, settings.input_topic)
    for reason, pairs in mix.rekey.items():
        for user, ev in pairs:
            value = orjson.dumps(ev)
            copies = [r for r in records if r.value == value and r.key == user.encode()
                      and r.partition == partition_of(user, parts)]
            assert copies, f"{reason}: no copy of {ev['event_id']} keyed {user} on partition {partition_of(user, parts)}"
            sent = mix.headers.get(value, {})
            for r in copies:
                got = {k: v.decode(errors="replace") for k, v in (r.headers or [])}
                assert sent.items() <= got.items(), f"{reason}: headers {sent} not kept on the copy of {ev['event_id']}: {got}"
    # The restarted worker re-keyed at least every such message it found past the committed offsets
    # (the killed worker's counters died with it; a redelivered message is re-keyed again).
    misplaced = {orjson.dumps(ev): (reason, user) for reason, pairs in mix.rekey.items() for user, ev in pairs}
    originals: Counter[str] = Counter()
    for r in records:
        if r.value in misplaced and r.offset >= committed[r.partition][0]:
            reason, user = misplaced[r.value]
            if not (r.key == user.encode() and r.partition == partition_of(user, parts)):  # not a copy
                originals[reason] += 1
    rekeyed = by_label(samples, REKEYED)
    for reason in mix.rekey:
        assert rekeyed.get(reason, 0.0) >= originals[reason], (
            f"{REKEYED}{{reason={reason!r}}} = {rekeyed.get(reason, 0.0)} on the restarted worker, "
            f"but {originals[reason]} such messages were past the committed offsets {committed}")
    assert metric_sum(samples, REKEYED) >= sum(originals.values())

    assert health == (200, 200), f"/healthy, /ready at the end: {health}"
    assert stuck is None, stuck
    print(f"\njava fleet: {len(mix.plan)} records over {CODECS}, {n_valid} valid, {len(mix.rejects)} rejected, "
          f"{sum(len(p) for p in mix.rekey.values())} to re-key ({dict(originals)} after the kill, "
          f"re-keyed {rekeyed}); kill -9 after {before_kill:.0f} processed; {counts}")
